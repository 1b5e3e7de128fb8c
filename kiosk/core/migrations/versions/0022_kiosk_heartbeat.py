"""kiosks report that they are alive; one silent too long in waking hours is shown on the console

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('silent_since', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_kiosks_silent', 'kiosks', ['facility_id'], unique=False,
                    postgresql_where=sa.text('silent_since IS NOT NULL'),
                    sqlite_where=sa.text('silent_since IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_kiosks_silent', table_name='kiosks')
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.drop_column('silent_since')
        batch_op.drop_column('last_seen_at')
