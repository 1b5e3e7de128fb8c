"""emergencies: stored at once, alerted to staff, escalated by text; hotlines chosen per kind of emergency

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:30:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# Which emergencies a line already configured is shown for, by its kind (administrators change it later).
SHOWN_FOR = {
    'emergency': '["danger_from_detainee", "danger_from_staff", "danger", "medical"]',
    'medical': '["medical"]',
    'sexual_abuse': '["sexual_abuse", "danger_from_staff"]',
    'ombudsman': '["sexual_abuse", "danger_from_detainee", "danger_from_staff", "danger", "medical"]',
}


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE cases SET completed_at = created_at")
    op.execute("UPDATE cases SET emergency_kind = CASE "
               "WHEN CAST(answers AS TEXT) LIKE '%sexual_abuse%' THEN 'sexual_abuse' "
               "WHEN category = 'medical' THEN 'medical' ELSE 'danger' END WHERE is_emergency")

    with op.batch_alter_table('hotlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_for', sa.JSON(), nullable=True))
    for kind, shown_for in SHOWN_FOR.items():
        # Bound as JSON: PostgreSQL refuses a VARCHAR parameter for a json column.
        op.execute(sa.text("UPDATE hotlines SET shown_for = :shown WHERE kind = :kind")
                   .bindparams(sa.bindparam('shown', json.loads(shown_for), type_=sa.JSON()), kind=kind))
    op.execute("UPDATE hotlines SET shown_for = '[]' WHERE shown_for IS NULL")
    with op.batch_alter_table('hotlines', schema=None) as batch_op:
        batch_op.alter_column('shown_for', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))

    op.create_table(
        'on_call_numbers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                                name=op.f('fk_on_call_numbers_facility_id_facilities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_on_call_numbers')),
        sa.UniqueConstraint('facility_id', 'phone', name=op.f('uq_on_call_numbers_facility_id')),
    )
    op.create_index(op.f('ix_on_call_numbers_facility_id'), 'on_call_numbers', ['facility_id'], unique=False)

    op.create_table(
        'emergency_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('escalations', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_emergency_alerts_case_id_cases')),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                                name=op.f('fk_emergency_alerts_facility_id_facilities')),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_users.id'],
                                name=op.f('fk_emergency_alerts_acknowledged_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_alerts')),
        sa.UniqueConstraint('case_id', name=op.f('uq_emergency_alerts_case_id')),
    )
    op.create_index('ix_emergency_alerts_open', 'emergency_alerts', ['facility_id', 'id'], unique=False,
                    postgresql_where=sa.text('acknowledged_at IS NULL'),
                    sqlite_where=sa.text('acknowledged_at IS NULL'))

    op.create_table(
        'alert_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('outbound_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['emergency_alerts.id'],
                                name=op.f('fk_alert_texts_alert_id_emergency_alerts')),
        sa.ForeignKeyConstraint(['outbound_id'], ['sms_outbound.id'],
                                name=op.f('fk_alert_texts_outbound_id_sms_outbound')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_texts')),
        sa.UniqueConstraint('alert_id', 'phone', name=op.f('uq_alert_texts_alert_id')),
    )
    op.create_index(op.f('ix_alert_texts_alert_id'), 'alert_texts', ['alert_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_alert_texts_alert_id'), table_name='alert_texts')
    op.drop_table('alert_texts')
    op.drop_index('ix_emergency_alerts_open', table_name='emergency_alerts')
    op.drop_table('emergency_alerts')
    op.drop_index(op.f('ix_on_call_numbers_facility_id'), table_name='on_call_numbers')
    op.drop_table('on_call_numbers')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('hotlines', schema=None) as batch_op:
        batch_op.drop_column('shown_for')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('completed_at')
        batch_op.drop_column('emergency_kind')
