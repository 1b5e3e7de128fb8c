"""a detainee message carries its form token

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 21:48:04.731536
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_case_events_submission_token'), ['submission_token'])



def downgrade() -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_events_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')

