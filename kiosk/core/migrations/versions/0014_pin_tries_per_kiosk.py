"""wrong PINs slow down the kiosk that typed them; only many, from several kiosks, lock the case

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_failures_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pin_failures_kiosk_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pin_failures_from_several_kiosks', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # The old count was five tries from anywhere; it starts again under the new rules, and no case stays shut.
    op.execute("UPDATE cases SET pin_failures = 0, pin_locked_until = NULL")

    op.create_table(
        'pin_tries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kiosk_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('typed_digest', sa.String(length=64), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('wait_until', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('(case_id IS NULL) <> (typed_digest IS NULL)', name=op.f('ck_pin_tries_one_subject')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_pin_tries_case_id_cases')),
        sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], name=op.f('fk_pin_tries_kiosk_id_kiosks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pin_tries')),
        sa.UniqueConstraint('case_id', 'kiosk_id', name=op.f('uq_pin_tries_case_id')),
        sa.UniqueConstraint('typed_digest', 'kiosk_id', name=op.f('uq_pin_tries_typed_digest')),
    )
    op.create_index(op.f('ix_pin_tries_last_failure_at'), 'pin_tries', ['last_failure_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pin_tries_last_failure_at'), table_name='pin_tries')
    op.drop_table('pin_tries')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('pin_failures_from_several_kiosks')
        batch_op.drop_column('pin_failures_kiosk_id')
        batch_op.drop_column('pin_failures_since')
