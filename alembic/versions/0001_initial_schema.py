"""Initial schema: suppliers and calendars, items, PO lines, schedules, reports, receipts,
backorders and allocations, forecasts, supplier statistics, alerts, audit, users, settings.

Reviewed by hand: constraint names follow db.base.NAMING_CONVENTION; the two partial unique
indexes (one current report per line and day, one live alert per rule and subject) carry
their WHERE clause for both SQLite and PostgreSQL.

Create Date: 2026-11-27 07:53:54.325548
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None


def upgrade() -> None:
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('on_hand', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_items_on_hand_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('sku', name=op.f('uq_items_sku'))
    )
    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('working_weekdays', sa.String(length=7), server_default='1111100', nullable=False),
    sa.Column('transit_days', sa.Integer(), server_default='0', nullable=False),
    sa.Column('capacity_per_day', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('capacity_per_day IS NULL OR capacity_per_day > 0', name=op.f('ck_suppliers_capacity_positive')),
    sa.CheckConstraint('length(working_weekdays) = 7', name=op.f('ck_suppliers_weekmask_length')),
    sa.CheckConstraint('transit_days >= 0', name=op.f('ck_suppliers_transit_days_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('code', name=op.f('uq_suppliers_code'))
    )
    op.create_table('backorders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=60), nullable=False),
    sa.Column('customer', sa.String(length=200), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status', sa.Enum('waiting', 'fulfilled', 'cancelled', name='backorder_status', native_enum=False, create_constraint=True, length=20), server_default='waiting', nullable=False),
    sa.Column('promise_date', sa.Date(), nullable=True),
    sa.Column('promise_status', sa.Enum('promised', 'unpromisable', name='promise_status', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('promise_computed_at', sa.DateTime(), nullable=True),
    sa.Column('communicated_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_backorders_quantity_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_backorders_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backorders')),
    sa.UniqueConstraint('order_ref', name=op.f('uq_backorders_order_ref'))
    )
    with op.batch_alter_table('backorders', schema=None) as batch_op:
        batch_op.create_index('ix_backorders_item_status', ['item_id', 'status'], unique=False)

    op.create_table('po_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_number', sa.String(length=60), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=True),
    sa.Column('need_by_date', sa.Date(), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('transit_days', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_production', 'shipped', 'received', 'cancelled', name='line_status', native_enum=False, create_constraint=True, length=20), server_default='open', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('line > 0', name=op.f('ck_po_lines_line_positive')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_po_lines_quantity_positive')),
    sa.CheckConstraint('transit_days IS NULL OR transit_days >= 0', name=op.f('ck_po_lines_transit_days_non_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_po_lines_item_id_items')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_po_lines_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_po_lines')),
    sa.UniqueConstraint('po_number', 'line', name=op.f('uq_po_lines_po_number_line'))
    )
    with op.batch_alter_table('po_lines', schema=None) as batch_op:
        batch_op.create_index('ix_po_lines_item_status', ['item_id', 'status'], unique=False)
        batch_op.create_index('ix_po_lines_status_need_by', ['status', 'need_by_date'], unique=False)
        batch_op.create_index('ix_po_lines_supplier_status', ['supplier_id', 'status'], unique=False)

    op.create_table('supplier_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('closure_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_closures_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_closures')),
    sa.UniqueConstraint('supplier_id', 'closure_date', name=op.f('uq_supplier_closures_supplier_id_closure_date'))
    )
    op.create_table('supplier_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_contacts_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_contacts')),
    sa.UniqueConstraint('supplier_id', 'email', name=op.f('uq_supplier_contacts_supplier_id_email'))
    )
    with op.batch_alter_table('supplier_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_contacts_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_stats',
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('buffer_days', sa.Integer(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('median_lead_time_days', sa.Float(), nullable=True),
    sa.Column('observed_capacity_p90', sa.Float(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_stats_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_supplier_stats'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('supplier', 'buyer', 'manager', 'admin', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('alerts_seen_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(role = 'supplier' AND supplier_id IS NOT NULL) OR (role <> 'supplier' AND supplier_id IS NULL)", name=op.f('ck_users_supplier_user_has_supplier')),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_users_failed_logins_non_negative')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_users_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.Enum('line', 'backorder', 'supplier', name='subject_type', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject_key', sa.String(length=60), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('backorder_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.Enum('info', 'warning', 'critical', name='severity', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', name='alert_status', native_enum=False, create_constraint=True, length=20), server_default='open', nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['backorder_id'], ['backorders.id'], name=op.f('fk_alerts_backorder_id_backorders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_alerts_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_alerts_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_alerts_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_alerts_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_backorder_id', ['backorder_id'], unique=False)
        batch_op.create_index('ix_alerts_po_line_id', ['po_line_id'], unique=False)
        batch_op.create_index('ix_alerts_status_severity', ['status', 'severity'], unique=False)
        batch_op.create_index('ix_alerts_supplier_status', ['supplier_id', 'status'], unique=False)
        batch_op.create_index('uq_alerts_live_rule_subject', ['rule', 'subject_key'], unique=True, sqlite_where=sa.text("status <> 'resolved'"), postgresql_where=sa.text("status <> 'resolved'"))

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=60), nullable=True),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_audit_events_po_line_id_po_lines'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_po_line_id'), ['po_line_id'], unique=False)

    op.create_table('backorder_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('backorder_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('available_date', sa.Date(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_backorder_allocations_quantity_positive')),
    sa.ForeignKeyConstraint(['backorder_id'], ['backorders.id'], name=op.f('fk_backorder_allocations_backorder_id_backorders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_backorder_allocations_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backorder_allocations'))
    )
    with op.batch_alter_table('backorder_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backorder_allocations_backorder_id'), ['backorder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_backorder_allocations_po_line_id'), ['po_line_id'], unique=False)

    op.create_table('line_forecasts',
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('produced', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('rate', sa.Float(), nullable=True),
    sa.Column('rate_source', sa.String(length=20), nullable=False),
    sa.Column('completion_p50', sa.Date(), nullable=True),
    sa.Column('completion_p90', sa.Date(), nullable=True),
    sa.Column('arrival_p50', sa.Date(), nullable=True),
    sa.Column('arrival_p90', sa.Date(), nullable=True),
    sa.Column('days_late_p50', sa.Integer(), nullable=True),
    sa.Column('days_late_p90', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_line_forecasts_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('po_line_id', name=op.f('pk_line_forecasts'))
    )
    op.create_table('production_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('good_qty', sa.Integer(), nullable=False),
    sa.Column('rejected_qty', sa.Integer(), server_default='0', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('is_current', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('good_qty >= 0', name=op.f('ck_production_reports_good_qty_non_negative')),
    sa.CheckConstraint('rejected_qty >= 0', name=op.f('ck_production_reports_rejected_qty_non_negative')),
    sa.CheckConstraint('revision > 0', name=op.f('ck_production_reports_revision_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_production_reports_created_by_id_users')),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_production_reports_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_reports')),
    sa.UniqueConstraint('po_line_id', 'report_date', 'revision', name=op.f('uq_production_reports_po_line_id_report_date_revision'))
    )
    with op.batch_alter_table('production_reports', schema=None) as batch_op:
        batch_op.create_index('uq_production_reports_current', ['po_line_id', 'report_date'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.create_table('production_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('daily_output', sa.Integer(), nullable=False),
    sa.Column('estimated_end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('daily_output > 0', name=op.f('ck_production_schedules_daily_output_positive')),
    sa.CheckConstraint('estimated_end_date >= start_date', name=op.f('ck_production_schedules_dates_in_order')),
    sa.CheckConstraint('revision > 0', name=op.f('ck_production_schedules_revision_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_production_schedules_created_by_id_users')),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_production_schedules_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_schedules')),
    sa.UniqueConstraint('po_line_id', 'revision', name=op.f('uq_production_schedules_po_line_id_revision'))
    )
    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('received_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('rejected_qty', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_receipts_quantity_non_negative')),
    sa.CheckConstraint('rejected_qty >= 0 AND rejected_qty <= quantity', name=op.f('ck_receipts_rejected_within_quantity')),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_receipts_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index('ix_receipts_line_date', ['po_line_id', 'received_date'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('alert_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_comments_alert_id_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_alert_comments_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_comments'))
    )
    with op.batch_alter_table('alert_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_comments_alert_id'), ['alert_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_comments_alert_id'))

    op.drop_table('alert_comments')
    op.drop_table('settings')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_receipts_line_date')

    op.drop_table('receipts')
    op.drop_table('production_schedules')
    with op.batch_alter_table('production_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_production_reports_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.drop_table('production_reports')
    op.drop_table('line_forecasts')
    with op.batch_alter_table('backorder_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backorder_allocations_po_line_id'))
        batch_op.drop_index(batch_op.f('ix_backorder_allocations_backorder_id'))

    op.drop_table('backorder_allocations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_po_line_id'))
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_live_rule_subject', sqlite_where=sa.text("status <> 'resolved'"), postgresql_where=sa.text("status <> 'resolved'"))
        batch_op.drop_index('ix_alerts_supplier_status')
        batch_op.drop_index('ix_alerts_status_severity')
        batch_op.drop_index('ix_alerts_po_line_id')
        batch_op.drop_index('ix_alerts_backorder_id')

    op.drop_table('alerts')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_supplier_id'))

    op.drop_table('users')
    op.drop_table('supplier_stats')
    with op.batch_alter_table('supplier_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_contacts_supplier_id'))

    op.drop_table('supplier_contacts')
    op.drop_table('supplier_closures')
    with op.batch_alter_table('po_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_po_lines_supplier_status')
        batch_op.drop_index('ix_po_lines_status_need_by')
        batch_op.drop_index('ix_po_lines_item_status')

    op.drop_table('po_lines')
    with op.batch_alter_table('backorders', schema=None) as batch_op:
        batch_op.drop_index('ix_backorders_item_status')

    op.drop_table('backorders')
    op.drop_table('suppliers')
    op.drop_table('items')
