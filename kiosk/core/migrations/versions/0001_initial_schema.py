"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 17:55:48.708969
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('detainees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('a_number', sa.String(length=9), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_detainees')),
    sa.UniqueConstraint('a_number', name=op.f('uq_detainees_a_number'))
    )
    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('surface', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('expires_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)

    op.create_table('hotlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('free_call_code', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_hotlines_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotlines'))
    )
    with op.batch_alter_table('hotlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotlines_facility_id'), ['facility_id'], unique=False)

    op.create_table('housing_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_housing_units_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_units')),
    sa.UniqueConstraint('facility_id', 'name', name=op.f('uq_housing_units_facility_id'))
    )
    with op.batch_alter_table('housing_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_housing_units_facility_id'), ['facility_id'], unique=False)

    op.create_table('staff_facilities',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_staff_facilities_facility_id_facilities')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_facilities_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('staff_id', 'facility_id', name=op.f('pk_staff_facilities'))
    )
    op.create_table('kiosks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('housing_unit_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_token_hash', sa.String(length=64), nullable=True),
    sa.Column('enrollment_expires_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('device_token_hash', sa.String(length=64), nullable=True),
    sa.Column('enrolled_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_kiosks_facility_id_facilities')),
    sa.ForeignKeyConstraint(['housing_unit_id'], ['housing_units.id'], name=op.f('fk_kiosks_housing_unit_id_housing_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosks')),
    sa.UniqueConstraint('device_token_hash', name=op.f('uq_kiosks_device_token_hash')),
    sa.UniqueConstraint('enrollment_token_hash', name=op.f('uq_kiosks_enrollment_token_hash'))
    )
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosks_facility_id'), ['facility_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('housing_unit_id', sa.Integer(), nullable=True),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('detainee_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('submitted_by', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_emergency', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('due_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['detainee_id'], ['detainees.id'], name=op.f('fk_cases_detainee_id_detainees')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_cases_facility_id_facilities')),
    sa.ForeignKeyConstraint(['housing_unit_id'], ['housing_units.id'], name=op.f('fk_cases_housing_unit_id_housing_units')),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_cases_kiosk_id_kiosks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_cases_submission_token'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_detainee_id'), ['detainee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_log_case_id_cases')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_audit_log_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_case_id'), ['case_id'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('status_from', sa.String(length=32), nullable=True),
    sa.Column('status_to', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('visible_to_detainee', sa.Boolean(), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('share_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=4), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_share_codes_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_share_codes_code_hash'))
    )
    with op.batch_alter_table('share_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_codes_case_id'), ['case_id'], unique=False)

    op.create_table('trusted_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('added_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', kiosk.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_trusted_contacts_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_contacts')),
    sa.UniqueConstraint('case_id', 'phone', name=op.f('uq_trusted_contacts_case_id'))
    )
    with op.batch_alter_table('trusted_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_contacts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trusted_contacts_phone'), ['phone'], unique=False)

    _audit_log_append_only()


def downgrade() -> None:
    _drop_audit_log_triggers()
    with op.batch_alter_table('trusted_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_contacts_phone'))
        batch_op.drop_index(batch_op.f('ix_trusted_contacts_case_id'))

    op.drop_table('trusted_contacts')
    with op.batch_alter_table('share_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_codes_case_id'))

    op.drop_table('share_codes')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_case_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_facility_id'))
        batch_op.drop_index(batch_op.f('ix_cases_detainee_id'))
        batch_op.drop_index(batch_op.f('ix_cases_category'))

    op.drop_table('cases')
    with op.batch_alter_table('kiosks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosks_facility_id'))

    op.drop_table('kiosks')
    op.drop_table('staff_facilities')
    with op.batch_alter_table('housing_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_housing_units_facility_id'))

    op.drop_table('housing_units')
    with op.batch_alter_table('hotlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotlines_facility_id'))

    op.drop_table('hotlines')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_expires_at'))

    op.drop_table('web_sessions')
    op.drop_table('staff_users')
    op.drop_table('facilities')
    op.drop_table('detainees')


# The audit log is append-only in the database itself, whatever code runs against it.
def _audit_log_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
        """)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
            """)


def _drop_audit_log_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
