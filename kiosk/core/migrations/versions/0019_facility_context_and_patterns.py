"""facilities in context (field office, operator type, average daily population); rate-jump alerts and
similar complaints across languages (the Patterns page)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

ONE_QUEUED_DAILY = "status = 'queued' AND kind = 'find_patterns'"


def upgrade() -> None:
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_office', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('operator_type', sa.String(length=16), nullable=True))

    op.create_table(
        'facility_populations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('population', sa.Integer(), nullable=False),
        sa.Column('entered_by', sa.String(length=100), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('population >= 0', name=op.f('ck_facility_populations_not_negative')),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                                name=op.f('fk_facility_populations_facility_id_facilities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_populations')),
        sa.UniqueConstraint('facility_id', 'as_of', name=op.f('uq_facility_populations_facility_id')),
    )

    op.create_index('ix_cases_created_facility_category', 'cases', ['created_at', 'facility_id', 'category'],
                    unique=False)
    op.create_index('ix_jobs_one_queued_daily', 'jobs', ['kind'], unique=True,
                    postgresql_where=sa.text(ONE_QUEUED_DAILY), sqlite_where=sa.text(ONE_QUEUED_DAILY))

    op.create_table(
        'rate_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('first_week', sa.Date(), nullable=False),
        sa.Column('last_week', sa.Date(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recent', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Float(), nullable=False),
        sa.Column('baseline', sa.Integer(), nullable=False),
        sa.Column('p_value', sa.Float(), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.Column('dismiss_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_rate_alerts_facility_id_facilities')),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['staff_users.id'],
                                name=op.f('fk_rate_alerts_dismissed_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_alerts')),
        sa.UniqueConstraint('facility_id', 'category', 'first_week', name=op.f('uq_rate_alerts_facility_id')),
    )
    op.create_index(op.f('ix_rate_alerts_facility_id'), 'rate_alerts', ['facility_id'], unique=False)

    op.create_table(
        'similar_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('suggested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'],
                                name=op.f('fk_similar_groups_decided_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_similar_groups')),
    )
    op.create_index(op.f('ix_similar_groups_status'), 'similar_groups', ['status'], unique=False)
    op.create_table(
        'similar_group_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('similarity', sa.Float(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_similar_group_cases_case_id_cases')),
        sa.ForeignKeyConstraint(['group_id'], ['similar_groups.id'],
                                name=op.f('fk_similar_group_cases_group_id_similar_groups')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_similar_group_cases')),
        sa.UniqueConstraint('case_id', name=op.f('uq_similar_group_cases_case_id')),
    )
    op.create_index(op.f('ix_similar_group_cases_group_id'), 'similar_group_cases', ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_similar_group_cases_group_id'), table_name='similar_group_cases')
    op.drop_table('similar_group_cases')
    op.drop_index(op.f('ix_similar_groups_status'), table_name='similar_groups')
    op.drop_table('similar_groups')
    op.drop_index(op.f('ix_rate_alerts_facility_id'), table_name='rate_alerts')
    op.drop_table('rate_alerts')
    op.drop_index('ix_jobs_one_queued_daily', table_name='jobs')
    op.drop_index('ix_cases_created_facility_category', table_name='cases')
    op.drop_table('facility_populations')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('operator_type')
        batch_op.drop_column('field_office')
