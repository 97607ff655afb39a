"""Writing master data from files: suppliers (with their contacts), items and customer backorders."""

from __future__ import annotations

from sqlalchemy import insert, select

from db.models import Backorder, Item, Supplier, SupplierContact, utcnow
from portal.core.batching import chunked
from portal.core.fileformats import check_known, check_new
from portal.core.timezones import default_timezone
from portal.services.imports.lookups import _dates, _ints, _skus, _supplier_codes, _texts
from portal.services.imports.result import ImportJob


def _write_suppliers(job: ImportJob) -> None:
    session, table, result, dry_run = job.session, job.table, job.result, job.dry_run
    rows = table.rows
    check_new(table, "code", _supplier_codes(session), "a supplier with this code already exists")
    if dry_run or table.errors:
        return
    values = [
        {
            "code": code,
            "name": name,
            "country": country,
            "transit_days": transit if transit is not None else 0,
            "capacity_per_day": capacity,
            "timezone": zone or default_timezone(country),
        }
        for code, name, country, transit, capacity, zone in zip(
            rows["code"],
            rows["name"],
            _texts(rows["country"]),
            _ints(rows["transit_days"]),
            _ints(rows["capacity_per_day"]),
            _texts(rows["timezone"]),
            strict=True,
        )
    ]
    session.execute(insert(Supplier), values)
    ids = _supplier_codes(session)
    contacts = [
        {"supplier_id": ids[code], "email": email.strip()}
        for code, emails in zip(rows["code"], _texts(rows["email"]), strict=True)
        if emails
        for email in dict.fromkeys(e for e in emails.replace(",", ";").split(";") if e.strip())
    ]
    if contacts:
        session.execute(insert(SupplierContact), contacts)
    result.created = len(values)


def _write_items(job: ImportJob) -> None:
    session, table, result, dry_run = job.session, job.table, job.result, job.dry_run
    rows = table.rows
    existing = _skus(session, rows["sku"].dropna().tolist())
    check_new(table, "sku", existing, "an item with this sku already exists")
    if dry_run or table.errors:
        return
    values = [
        {"sku": sku, "description": desc, "on_hand": on_hand}
        for sku, desc, on_hand in zip(
            rows["sku"], rows["description"], _ints(rows["on_hand"], 0), strict=True
        )
    ]
    session.execute(insert(Item), values)
    result.created = len(values)


def _write_backorders(job: ImportJob) -> None:
    session, table, result, dry_run = job.session, job.table, job.result, job.dry_run
    rows = table.rows
    skus = _skus(session, rows["sku"].dropna().unique().tolist())
    check_known(table, "sku", skus, "no item with this sku")
    refs = rows["order_ref"].dropna().tolist()
    existing: set[str] = set()
    for chunk in chunked(refs):
        existing.update(session.scalars(select(Backorder.order_ref).where(Backorder.order_ref.in_(chunk))))
    check_new(table, "order_ref", existing, "a backorder with this order_ref already exists")
    if dry_run or table.errors:
        return
    now = utcnow()
    values = [
        {
            "order_ref": ref,
            "customer": customer,
            "item_id": skus[sku],
            "quantity": qty,
            "order_date": order,
            "priority": priority,
            "communicated_date": communicated,
            "created_at": now,
        }
        for ref, customer, sku, qty, order, priority, communicated in zip(
            rows["order_ref"],
            _texts(rows["customer"]),
            rows["sku"],
            _ints(rows["quantity"]),
            _dates(rows["order_date"]),
            _ints(rows["priority"], 0),
            _dates(rows["communicated_date"]),
            strict=True,
        )
    ]
    session.execute(insert(Backorder), values)
    result.item_ids = {skus[s] for s in rows["sku"]}
    result.created = len(values)
