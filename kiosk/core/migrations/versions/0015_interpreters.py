"""interpreters: requests to translate a case's texts, sent to an interpreter account or a telephone service

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:00:00

The interpreter role needs no change of schema (a role is stored as its text).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'interpretations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('source_language', sa.String(length=16), nullable=False),
        sa.Column('target_language', sa.String(length=16), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('interpreter_id', sa.Integer(), nullable=True),
        sa.Column('vendor_reference', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_by', sa.String(length=100), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('translation_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('(interpreter_id IS NULL) <> (vendor_reference IS NULL)',
                           name=op.f('ck_interpretations_one_interpreter')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_interpretations_case_id_cases')),
        sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_interpretations_event_id_case_events')),
        sa.ForeignKeyConstraint(['interpreter_id'], ['staff_users.id'],
                                name=op.f('fk_interpretations_interpreter_id_staff_users')),
        sa.ForeignKeyConstraint(['translation_id'], ['translations.id'],
                                name=op.f('fk_interpretations_translation_id_translations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interpretations')),
    )
    op.create_index(op.f('ix_interpretations_case_id'), 'interpretations', ['case_id'], unique=False)
    op.create_index(op.f('ix_interpretations_interpreter_id'), 'interpretations', ['interpreter_id'], unique=False)
    op.create_index(op.f('ix_interpretations_status'), 'interpretations', ['status'], unique=False)
    op.create_index('ix_interpretations_open_words', 'interpretations', ['case_id'], unique=True,
                    postgresql_where=sa.text("event_id IS NULL AND status = 'requested'"),
                    sqlite_where=sa.text("event_id IS NULL AND status = 'requested'"))
    op.create_index('ix_interpretations_open_event', 'interpretations', ['event_id'], unique=True,
                    postgresql_where=sa.text("status = 'requested'"), sqlite_where=sa.text("status = 'requested'"))


def downgrade() -> None:
    op.drop_index('ix_interpretations_open_event', table_name='interpretations')
    op.drop_index('ix_interpretations_open_words', table_name='interpretations')
    op.drop_index(op.f('ix_interpretations_status'), table_name='interpretations')
    op.drop_index(op.f('ix_interpretations_interpreter_id'), table_name='interpretations')
    op.drop_index(op.f('ix_interpretations_case_id'), table_name='interpretations')
    op.drop_table('interpretations')
    # Interpreter accounts have no role in the older version: they are switched off, not deleted
    # (the audit log names them).
    op.execute("UPDATE staff_users SET active = false, session_generation = session_generation + 1 "
               "WHERE role = 'interpreter'")
