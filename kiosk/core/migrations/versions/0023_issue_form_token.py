"""an issue made by hand remembers its form's token: a double-submitted form makes one issue

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('systemic_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_systemic_issues_form_token', ['form_token'])


def downgrade() -> None:
    with op.batch_alter_table('systemic_issues', schema=None) as batch_op:
        batch_op.drop_constraint('uq_systemic_issues_form_token', type_='unique')
        batch_op.drop_column('form_token')
