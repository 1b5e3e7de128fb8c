"""systemic issues (cases grouped across facilities) and their referrals to oversight, with every change

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

ONE_OPEN = "state != 'closed'"


def upgrade() -> None:
    op.create_table(
        'systemic_issues',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_systemic_issues')),
        sa.UniqueConstraint('source', 'source_id', name=op.f('uq_systemic_issues_source')),
    )
    op.create_table(
        'systemic_issue_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('added_by', sa.String(length=100), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_systemic_issue_cases_case_id_cases')),
        sa.ForeignKeyConstraint(['issue_id'], ['systemic_issues.id'],
                                name=op.f('fk_systemic_issue_cases_issue_id_systemic_issues')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_systemic_issue_cases')),
        sa.UniqueConstraint('issue_id', 'case_id', name=op.f('uq_systemic_issue_cases_issue_id')),
    )
    op.create_index(op.f('ix_systemic_issue_cases_issue_id'), 'systemic_issue_cases', ['issue_id'], unique=False)
    op.create_index(op.f('ix_systemic_issue_cases_case_id'), 'systemic_issue_cases', ['case_id'], unique=False)
    op.create_table(
        'referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=32), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_zone', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('sent_by', sa.String(length=100), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['issue_id'], ['systemic_issues.id'], name=op.f('fk_referrals_issue_id_systemic_issues')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    )
    op.create_index(op.f('ix_referrals_issue_id'), 'referrals', ['issue_id'], unique=False)
    op.create_index('ix_referrals_state_due_at', 'referrals', ['state', 'due_at'], unique=False)
    op.create_index('ix_referrals_one_open', 'referrals', ['issue_id', 'recipient'], unique=True,
                    postgresql_where=sa.text(ONE_OPEN), sqlite_where=sa.text(ONE_OPEN))
    op.create_table(
        'referral_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('state_from', sa.String(length=32), nullable=True),
        sa.Column('state_to', sa.String(length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_changes_referral_id_referrals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_changes')),
    )
    op.create_index(op.f('ix_referral_changes_referral_id'), 'referral_changes', ['referral_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_referral_changes_referral_id'), table_name='referral_changes')
    op.drop_table('referral_changes')
    op.drop_index('ix_referrals_one_open', table_name='referrals')
    op.drop_index('ix_referrals_state_due_at', table_name='referrals')
    op.drop_index(op.f('ix_referrals_issue_id'), table_name='referrals')
    op.drop_table('referrals')
    op.drop_index(op.f('ix_systemic_issue_cases_case_id'), table_name='systemic_issue_cases')
    op.drop_index(op.f('ix_systemic_issue_cases_issue_id'), table_name='systemic_issue_cases')
    op.drop_table('systemic_issue_cases')
    op.drop_table('systemic_issues')
