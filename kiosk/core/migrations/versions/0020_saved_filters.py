"""saved queue filters, each person's own; at most 30 each, a limit the database keeps

A filter takes one of its owner's slots 1-30: the unique (owner, slot) pair and the CHECK on
the slot refuse a 31st however many saves arrive together.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('slot', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('query', sa.String(length=400), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('slot BETWEEN 1 AND 30', name=op.f('ck_saved_filters_slot_within_limit')),
        sa.ForeignKeyConstraint(['owner_id'], ['staff_users.id'], name=op.f('fk_saved_filters_owner_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
        sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_saved_filters_owner_id')),
        sa.UniqueConstraint('owner_id', 'slot', name='uq_saved_filters_owner_slot'),
    )


def downgrade() -> None:
    op.drop_table('saved_filters')
