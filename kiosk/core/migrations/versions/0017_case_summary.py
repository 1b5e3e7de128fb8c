"""a case manager's summary of a case; the text that carried a staff reply to whoever reported the case

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.String(length=600), nullable=True))
        batch_op.add_column(sa.Column('summary_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('summary_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_event_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_sms_outbound_reply_event_id'), ['reply_event_id'])
        batch_op.create_foreign_key(batch_op.f('fk_sms_outbound_reply_event_id_case_events'), 'case_events',
                                    ['reply_event_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sms_outbound_reply_event_id_case_events'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_sms_outbound_reply_event_id'), type_='unique')
        batch_op.drop_column('reply_event_id')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('summary_at')
        batch_op.drop_column('summary_by')
        batch_op.drop_column('summary')
