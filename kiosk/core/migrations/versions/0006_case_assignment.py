"""case assignment

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 19:29:40.783010
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_assigned_to_id_staff_users'), 'staff_users', ['assigned_to_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_assigned_to_id_staff_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_assigned_to_id'))
        batch_op.drop_column('assigned_to_id')

