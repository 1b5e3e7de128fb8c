"""the Reports page's monthly tallies of every facility together, kept by the database itself: cases by
category, status, language and deadline (case_months), and the times to first action and to closing
in bins (duration_months); ten years' outcomes, languages and timeliness read these instead of a
million cases

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 16:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# As in 0024, triggers keep the tallies, so that every way a case is written moves them. What they
# count is kiosk/core/report_months.py's to say; these are frozen copies of its SQL, and a test there
# checks the two agree. A later migration must not alter `cases` in an Alembic batch that copies the
# table on SQLite: the copy has no triggers.
WATCHED = "created_at, category, status, language, is_emergency, priority, due_at, first_action_at, closed_at"
DEADLINE = "CASE WHEN {c}.is_emergency THEN 'emergency' WHEN {c}.priority = 1 THEN 'medical' ELSE 'other' END"
# A duration in whole seconds, in its bin: 15 minutes under two days, 2 hours under two weeks, a day
# under 90 days, then one bin for the rest.
BIN = """CASE WHEN s < 0 THEN 0 WHEN s < 172800 THEN s - s % 900 WHEN s < 1209600 THEN s - s % 7200
              WHEN s < 7776000 THEN s - s % 86400 ELSE 7776000 END"""
PG_SECONDS = "round(date_part('epoch', {until} - {since}))::integer"
SQLITE_SECONDS = "CAST(round((julianday({until}) - julianday({since})) * 86400.0) AS INTEGER)"
MEASURES = (("first_action", "first_action_at"), ("closing", "closed_at"))

# What a first action or a closing adds to (or, step -1, takes from) its bin.
_PG_DURATION = """
        IF c.{column} IS NOT NULL THEN
            INSERT INTO duration_months AS t (month, deadline, measure, bin, cases, in_time)
            VALUES (the_month, the_deadline, '{measure}', duration_bin(c.created_at, c.{column}), step,
                    CASE WHEN c.{column} <= c.due_at THEN step ELSE 0 END)
            ON CONFLICT (month, deadline, measure, bin)
            DO UPDATE SET cases = t.cases + excluded.cases, in_time = t.in_time + excluded.in_time;
        END IF;"""
POSTGRESQL = [
    f"""
    CREATE FUNCTION duration_bin(since timestamptz, until timestamptz) RETURNS integer
    IMMUTABLE LANGUAGE sql AS $$
        SELECT {BIN} FROM (SELECT {PG_SECONDS.format(since='since', until='until')} AS s) AS d
    $$
    """,
    f"""
    CREATE FUNCTION tally_report_months(c cases, step integer) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        the_month date := date_trunc('month', c.created_at AT TIME ZONE 'UTC')::date;
        the_deadline text := {DEADLINE.format(c='c')};
    BEGIN
        INSERT INTO case_months AS t (month, category, status, language, deadline, cases)
        VALUES (the_month, c.category, c.status, c.language, the_deadline, step)
        ON CONFLICT (month, category, status, language, deadline) DO UPDATE SET cases = t.cases + step;
        {"".join(_PG_DURATION.format(measure=measure, column=column) for measure, column in MEASURES)}
    END $$
    """,
    """
    CREATE FUNCTION count_report_months() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM tally_report_months(OLD, -1);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            PERFORM tally_report_months(NEW, 1);
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER cases_report_months AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}
    ON cases FOR EACH ROW EXECUTE FUNCTION count_report_months()
    """,
    f"""
    INSERT INTO case_months (month, category, status, language, deadline, cases)
    SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date, category, status, language,
           {DEADLINE.format(c='cases')}, count(*)
      FROM cases GROUP BY 1, 2, 3, 4, 5
    """,
    *(f"""
    INSERT INTO duration_months (month, deadline, measure, bin, cases, in_time)
    SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date, {DEADLINE.format(c='cases')}, '{measure}',
           duration_bin(created_at, {column}), count(*), count(*) FILTER (WHERE {column} <= due_at)
      FROM cases WHERE {column} IS NOT NULL GROUP BY 1, 2, 3, 4
    """ for measure, column in MEASURES),
]


def _sqlite_tally(c: str, step: int) -> str:
    """The statements that count row ``c`` (NEW or OLD) in, ``step`` 1, or out, -1."""
    month = f"date({c}.created_at, 'start of month')"
    deadline = DEADLINE.format(c=c)
    statements = [f"""INSERT INTO case_months (month, category, status, language, deadline, cases)
        VALUES ({month}, {c}.category, {c}.status, {c}.language, {deadline}, {step})
        ON CONFLICT (month, category, status, language, deadline) DO UPDATE SET cases = cases + excluded.cases;"""]
    for measure, column in MEASURES:
        seconds = SQLITE_SECONDS.format(since=f"{c}.created_at", until=f"{c}.{column}")
        statements.append(f"""INSERT INTO duration_months (month, deadline, measure, bin, cases, in_time)
        SELECT {month}, {deadline}, '{measure}', (SELECT {BIN} FROM (SELECT {seconds} AS s)), {step},
               CASE WHEN {c}.{column} <= {c}.due_at THEN {step} ELSE 0 END
        WHERE {c}.{column} IS NOT NULL
        ON CONFLICT (month, deadline, measure, bin)
        DO UPDATE SET cases = cases + excluded.cases, in_time = in_time + excluded.in_time;""")
    return " ".join(statements)


SQLITE = [
    f"CREATE TRIGGER cases_report_months_insert AFTER INSERT ON cases BEGIN {_sqlite_tally('NEW', 1)} END",
    f"CREATE TRIGGER cases_report_months_delete AFTER DELETE ON cases BEGIN {_sqlite_tally('OLD', -1)} END",
    (f"CREATE TRIGGER cases_report_months_update AFTER UPDATE OF {WATCHED} ON cases "
     f"BEGIN {_sqlite_tally('OLD', -1)} {_sqlite_tally('NEW', 1)} END"),
    f"""INSERT INTO case_months (month, category, status, language, deadline, cases)
        SELECT date(created_at, 'start of month'), category, status, language, {DEADLINE.format(c='cases')}, count(*)
          FROM cases WHERE true GROUP BY 1, 2, 3, 4, 5""",
    *(f"""INSERT INTO duration_months (month, deadline, measure, bin, cases, in_time)
        SELECT date(created_at, 'start of month'), {DEADLINE.format(c='cases')}, '{measure}',
               (SELECT {BIN} FROM (SELECT {SQLITE_SECONDS.format(since='cases.created_at', until=f'cases.{column}')} AS s)),
               count(*), sum(CASE WHEN {column} <= due_at THEN 1 ELSE 0 END)
          FROM cases WHERE {column} IS NOT NULL GROUP BY 1, 2, 3, 4""" for measure, column in MEASURES),
]


def upgrade() -> None:
    op.create_table(
        'case_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('deadline', sa.String(length=16), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'category', 'status', 'language', 'deadline', name=op.f('pk_case_months')),
    )
    op.create_table(
        'duration_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('deadline', sa.String(length=16), nullable=False),
        sa.Column('measure', sa.String(length=16), nullable=False),
        sa.Column('bin', sa.Integer(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('in_time', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'deadline', 'measure', 'bin', name=op.f('pk_duration_months')),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == 'postgresql' else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER cases_report_months ON cases")
        op.execute("DROP FUNCTION count_report_months()")
        op.execute("DROP FUNCTION tally_report_months(cases, integer)")
        op.execute("DROP FUNCTION duration_bin(timestamptz, timestamptz)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER cases_report_months_{name}")
    op.drop_table('duration_months')
    op.drop_table('case_months')
