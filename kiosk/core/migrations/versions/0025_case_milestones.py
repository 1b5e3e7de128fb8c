"""a case keeps when staff first acted on it and when it was closed (the reports measure both),
back-filled from its events; indexes for the Reports page

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
# The brief's 0023 (on 0022) was taken on main by the issue form token (0023) and complaint_months (0024).
down_revision = '0024'
branch_labels = None
depends_on = None

# What kiosk/core/milestones.py counts as a first action and as closing, as its events recorded them.
FIRST_ACTION = """
UPDATE cases SET first_action_at = (
    SELECT min(e.created_at) FROM case_events e
    WHERE e.case_id = cases.id AND e.kind IN ('status_changed', 'reply', 'facility_contact'))
"""
CLOSED_AT = """
UPDATE cases SET closed_at = (
    SELECT max(e.created_at) FROM case_events e
    WHERE e.case_id = cases.id AND e.kind = 'status_changed' AND e.status_to = cases.status)
WHERE status IN ('resolved', 'not_substantiated', 'withdrawn')
"""


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_action_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(FIRST_ACTION)
    op.execute(CLOSED_AT)
    op.create_index('ix_cases_reports', 'cases',
                    ['created_at', 'facility_id', 'category', 'status', 'language', 'is_emergency', 'priority',
                     'due_at', 'first_action_at', 'closed_at'], unique=False)
    op.create_index('ix_emergency_alerts_raised', 'emergency_alerts', ['raised_at', 'facility_id', 'acknowledged_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_emergency_alerts_raised', table_name='emergency_alerts')
    op.drop_index('ix_cases_reports', table_name='cases')
    # In place, not in a batch: on SQLite a batch copies the table, and the copy would lose the
    # triggers that keep complaint_months (0024).
    op.execute('ALTER TABLE cases DROP COLUMN closed_at')
    op.execute('ALTER TABLE cases DROP COLUMN first_action_at')
