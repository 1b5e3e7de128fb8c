"""complaints counted by facility, category and month, kept by the database itself: the Patterns page's
long periods read these instead of every case

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

# A trigger, not the application, keeps the counts: every way a case is written (the ORM, a bulk
# insert, COPY, a hand-made UPDATE) moves them, so they cannot drift from the cases. A later migration
# must not alter `cases` in an Alembic batch that copies the table on SQLite: the copy has no triggers.
POSTGRESQL = [
    """
    CREATE FUNCTION count_complaint_months() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE complaint_months SET complaints = complaints - 1
             WHERE facility_id = OLD.facility_id AND category = OLD.category
               AND month = date_trunc('month', OLD.created_at AT TIME ZONE 'UTC')::date;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO complaint_months (facility_id, category, month, complaints)
            VALUES (NEW.facility_id, NEW.category, date_trunc('month', NEW.created_at AT TIME ZONE 'UTC')::date, 1)
            ON CONFLICT (facility_id, category, month) DO UPDATE SET complaints = complaint_months.complaints + 1;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER cases_count_months AFTER INSERT OR DELETE OR UPDATE OF created_at, facility_id, category
    ON cases FOR EACH ROW EXECUTE FUNCTION count_complaint_months()
    """,
    """
    INSERT INTO complaint_months (facility_id, category, month, complaints)
    SELECT facility_id, category, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, count(*)
      FROM cases GROUP BY 1, 2, 3
    """,
]
# SQLite keeps a UTC time as text ('2026-11-30 14:05:00.000000'), so date(…, 'start of month') is its month.
_SQLITE_ADD = """INSERT INTO complaint_months (facility_id, category, month, complaints)
            VALUES (NEW.facility_id, NEW.category, date(NEW.created_at, 'start of month'), 1)
            ON CONFLICT (facility_id, category, month) DO UPDATE SET complaints = complaints + 1;"""
_SQLITE_TAKE = """UPDATE complaint_months SET complaints = complaints - 1
             WHERE facility_id = OLD.facility_id AND category = OLD.category
               AND month = date(OLD.created_at, 'start of month');"""
SQLITE = [
    f"CREATE TRIGGER cases_count_months_insert AFTER INSERT ON cases BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER cases_count_months_delete AFTER DELETE ON cases BEGIN {_SQLITE_TAKE} END",
    ("CREATE TRIGGER cases_count_months_update AFTER UPDATE OF created_at, facility_id, category ON cases "
     f"BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END"),
    """INSERT INTO complaint_months (facility_id, category, month, complaints)
       SELECT facility_id, category, date(created_at, 'start of month'), count(*) FROM cases
        WHERE true GROUP BY 1, 2, 3""",
]


def upgrade() -> None:
    op.create_table(
        'complaint_months',
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('complaints', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                                name=op.f('fk_complaint_months_facility_id_facilities')),
        sa.PrimaryKeyConstraint('facility_id', 'category', 'month', name=op.f('pk_complaint_months')),
    )
    op.create_index('ix_complaint_months_month', 'complaint_months',
                    ['month', 'facility_id', 'category', 'complaints'], unique=False)
    for statement in POSTGRESQL if op.get_bind().dialect.name == 'postgresql' else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER cases_count_months ON cases")
        op.execute("DROP FUNCTION count_complaint_months()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER cases_count_months_{name}")
    op.drop_index('ix_complaint_months_month', table_name='complaint_months')
    op.drop_table('complaint_months')
