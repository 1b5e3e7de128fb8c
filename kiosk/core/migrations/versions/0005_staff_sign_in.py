"""staff sign-in

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:21:22.125401
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_failed_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', kiosk.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('first_failed_at')
        batch_op.drop_column('failed_logins')

