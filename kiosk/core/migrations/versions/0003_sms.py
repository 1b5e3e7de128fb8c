"""sms

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:49:19.649729
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_inbound',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('failed_lookup', sa.Boolean(), nullable=False),
    sa.Column('received_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_sid', name=op.f('pk_sms_inbound'))
    )
    with op.batch_alter_table('sms_inbound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_inbound_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_inbound_received_at'), ['received_at'], unique=False)

    op.create_table('sms_outbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('twilio_sid', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_outbound')),
    sa.UniqueConstraint('twilio_sid', name=op.f('uq_sms_outbound_twilio_sid'))
    )
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_outbound_phone'), ['phone'], unique=False)

    op.create_table('sms_senders',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('locked_until', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_senders'))
    )
    op.create_table('case_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_followers_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_followers')),
    sa.UniqueConstraint('case_id', 'phone', name=op.f('uq_case_followers_case_id'))
    )
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_followers_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_followers_phone'), ['phone'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_followers_phone'))
        batch_op.drop_index(batch_op.f('ix_case_followers_case_id'))

    op.drop_table('case_followers')
    op.drop_table('sms_senders')
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_outbound_phone'))

    op.drop_table('sms_outbound')
    with op.batch_alter_table('sms_inbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_inbound_received_at'))
        batch_op.drop_index(batch_op.f('ix_sms_inbound_phone'))

    op.drop_table('sms_inbound')
