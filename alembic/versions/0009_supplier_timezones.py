"""Suppliers' own day, grid drafts and posting links: suppliers.timezone (IANA, backfilled from
the country), output_drafts (typed but unposted Daily output values per user and day),
posting_links (the hash of a reminder's posting link) and audit_events.posting_link_id.

Reviewed by hand: three additions, nothing renamed. The backfill gives each existing supplier
its country's zone (portal.core.timezones.COUNTRY_ZONES, copied here so this file never changes
with the code), else UTC. The downgrade drops them: suppliers' zones, drafts and links are lost.

Create Date: 2026-12-01 23:53:30.039613
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'

#: The country -> zone table as of this migration (the code's table may grow later).
COUNTRY_ZONES = {
    'BD': 'Asia/Dhaka', 'BR': 'America/Sao_Paulo', 'CA': 'America/Toronto', 'CH': 'Europe/Zurich',
    'CN': 'Asia/Shanghai', 'CZ': 'Europe/Prague', 'DE': 'Europe/Berlin', 'ES': 'Europe/Madrid',
    'FR': 'Europe/Paris', 'GB': 'Europe/London', 'HK': 'Asia/Hong_Kong', 'ID': 'Asia/Jakarta',
    'IN': 'Asia/Kolkata', 'IT': 'Europe/Rome', 'JP': 'Asia/Tokyo', 'KH': 'Asia/Phnom_Penh',
    'KR': 'Asia/Seoul', 'MA': 'Africa/Casablanca', 'MX': 'America/Mexico_City', 'MY': 'Asia/Kuala_Lumpur',
    'NL': 'Europe/Amsterdam', 'PK': 'Asia/Karachi', 'PL': 'Europe/Warsaw', 'PT': 'Europe/Lisbon',
    'RO': 'Europe/Bucharest', 'TH': 'Asia/Bangkok', 'TR': 'Europe/Istanbul', 'TW': 'Asia/Taipei',
    'US': 'America/Chicago', 'VN': 'Asia/Ho_Chi_Minh',
}


def upgrade() -> None:
    op.create_table('posting_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=120), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('uses', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_posting_links_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_posting_links_token_hash'))
    )
    with op.batch_alter_table('posting_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_links_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('output_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_output_drafts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_output_drafts')),
    sa.UniqueConstraint('user_id', 'report_date', name=op.f('uq_output_drafts_user_id_report_date'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posting_link_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_posting_link_id_posting_links'), 'posting_links', ['posting_link_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))

    suppliers = sa.table('suppliers', sa.column('country', sa.String), sa.column('timezone', sa.String))
    for country, zone in COUNTRY_ZONES.items():
        op.execute(suppliers.update().where(sa.func.upper(suppliers.c.country) == country).values(timezone=zone))



def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_posting_link_id_posting_links'), type_='foreignkey')
        batch_op.drop_column('posting_link_id')

    op.drop_table('output_drafts')
    with op.batch_alter_table('posting_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posting_links_supplier_id'))

    op.drop_table('posting_links')
    # Not in batch mode: on SQLite that rebuilds suppliers, which other tables' foreign keys refuse.
    # Both databases drop a plain column natively (SQLite since 3.35).
    op.execute('ALTER TABLE suppliers DROP COLUMN timezone')
