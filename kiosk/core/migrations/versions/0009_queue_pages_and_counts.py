"""indexes for the paged queue and its counts

The queue now reads one page of open cases in (priority, due_at, id) order and counts them
in one query; bench/staff_pages.py measured both over 100,000 cases.

- ix_cases_open_queue: the open cases only, in queue order, with every column the counts
  read. PostgreSQL cannot read (status, priority, due_at) in queue order across five
  statuses, so it sorted every open case; both databases now read a page without sorting
  and count without touching the table.
- ix_cases_facility_queue: the same for a case manager's facilities.
- ix_cases_category_facility_created replaces ix_cases_category_created for "the same
  problem elsewhere": with the id it counts, PostgreSQL reads only the index; facility
  first, SQLite counts facility by facility instead of looking up every case's facility.
- ix_cases_queue and ix_cases_emergency served the queries these replace.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 21:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The statuses of kiosk.core.casework.OPEN, in its order: SQLite matches a query's IN list to this one.
OPEN = "status IN ('new', 'acknowledged', 'in_review', 'facility_contacted', 'referred')"


def upgrade() -> None:
    op.create_index('ix_cases_open_queue', 'cases',
                    ['priority', 'due_at', 'id', 'is_emergency', 'needs_interpreter', 'status'], unique=False,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index('ix_cases_facility_queue', 'cases',
                    ['facility_id', 'status', 'priority', 'due_at', 'id', 'is_emergency', 'needs_interpreter'],
                    unique=False)
    op.create_index('ix_cases_category_facility_created', 'cases', ['category', 'facility_id', 'created_at', 'id'],
                    unique=False)
    op.drop_index('ix_cases_queue', table_name='cases')
    op.drop_index('ix_cases_emergency', table_name='cases')
    op.drop_index('ix_cases_category_created', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_category_created', 'cases', ['category', 'created_at', 'facility_id'], unique=False)
    op.create_index('ix_cases_emergency', 'cases', ['is_emergency', 'status'], unique=False)
    op.create_index('ix_cases_queue', 'cases', ['status', 'priority', 'due_at'], unique=False)
    op.drop_index('ix_cases_facility_queue', table_name='cases')
    op.drop_index('ix_cases_open_queue', table_name='cases')
    op.drop_index('ix_cases_category_facility_created', table_name='cases')
