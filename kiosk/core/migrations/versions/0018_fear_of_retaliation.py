"""fear of retaliation: whether the facility may be told the person's name, and whether they fear reprisal

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: a case filed before the questions was never asked, and stays NULL (do not name).
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('may_name_to_facility', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('fears_retaliation', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('fears_retaliation')
        batch_op.drop_column('may_name_to_facility')
