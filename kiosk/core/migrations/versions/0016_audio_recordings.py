"""human recordings of the kiosk's phrases, which replace the synthetic voice; complaints said aloud

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 23:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audio_recordings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('phrase_key', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('clip', sa.LargeBinary(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_users.id'],
                                name=op.f('fk_audio_recordings_uploaded_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_recordings')),
        sa.UniqueConstraint('language', 'phrase_key', 'version', name=op.f('uq_audio_recordings_language')),
    )
    op.create_table(
        'voice_recordings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_token', sa.String(length=64), nullable=True),
        sa.Column('kiosk_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('clip', sa.LargeBinary(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_voice_recordings_case_id_cases')),
        sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_voice_recordings_event_id_case_events')),
        sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_voice_recordings_kiosk_id_kiosks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_recordings')),
    )
    with op.batch_alter_table('voice_recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_recordings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_recordings_submission_token'), ['submission_token'], unique=False)


def downgrade() -> None:
    op.drop_table('voice_recordings')
    op.drop_table('audio_recordings')
