"""indexes for the staff queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 20:11:35.901478
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_category_created', ['category', 'created_at', 'facility_id'], unique=False)
        batch_op.create_index('ix_cases_emergency', ['is_emergency', 'status'], unique=False)
        batch_op.create_index('ix_cases_queue', ['status', 'priority', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_queue')
        batch_op.drop_index('ix_cases_emergency')
        batch_op.drop_index('ix_cases_category_created')

