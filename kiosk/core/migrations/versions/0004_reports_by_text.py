"""reports by text

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:14:35.253160
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_conversations',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('expires_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_conversations'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitter_phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('submitter_relationship', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('detainee_name', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('detainee_name')
        batch_op.drop_column('submitter_relationship')
        batch_op.drop_column('submitter_phone')

    op.drop_table('sms_conversations')
