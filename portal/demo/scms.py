"""Map the USAID SCMS delivery history (a real, messy public data set) into the portal's import formats.

Pure pandas: reads the CSV and returns DataFrames shaped like the ``suppliers``, ``items``,
``pos`` and ``receipts`` import files (see DOMAIN.md, "File formats"), plus the rows that
could not be mapped and why. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from portal.demo.world import ITEM_COLUMNS, PO_COLUMNS, RECEIPT_COLUMNS, SUPPLIER_COLUMNS

SKIPPED_COLUMNS = ["source_row", "id", "reason"]

COL_ID = "ID"
COL_PO = "PO / SO #"
COL_VENDOR = "Vendor"
COL_ITEM = "Item Description"
COL_QTY = "Line Item Quantity"
COL_ORDERED = "PO Sent to Vendor Date"
COL_SCHEDULED = "Scheduled Delivery Date"
COL_DELIVERED = "Delivered to Client Date"
COL_SITE = "Manufacturing Site"
REQUIRED_COLUMNS = [COL_ID, COL_PO, COL_VENDOR, COL_ITEM, COL_QTY, COL_ORDERED, COL_SCHEDULED, COL_DELIVERED]

CODE_MAX_LEN = 40
DESCRIPTION_MAX_LEN = 300
SKU_PREFIX = "SCMS-"

# Every date layout seen in the file ("02-Jun-06"; "2010-09-14" and "8/27/14" in the order date),
# plus their four-digit-year twins. Parsed by hand rather than with strptime("%b") so that month
# names do not depend on the process locale.
_DATE_PATTERNS = (
    r"(?P<day>\d{1,2})-(?P<month>[A-Za-z]{3})-(?P<year>\d{4}|\d{2})",
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})",
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})",
)
# In "PO Sent to Vendor Date" (and "PQ First Sent to Client Date") a spreadsheet once read every
# M/D/YY value whose day was <= 12 as YY/M/D and stored it as ISO: "1/7/15" became "2001-07-15".
# Evidence: no M/D/YY value there has a day <= 12, and the "ISO" years are exactly 2001-2012 and
# the "ISO" days exactly 06-15 (the data set's years). Taken at face value they give orders sent
# years before 2006 and 136 orders sent after their due date.
_MANGLED_MDY = r"^20(0[1-9]|1[0-2])-(\d{1,2})-(\d{2})$"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
# Same pivot as strptime's %y: 00-68 are 20xx, 69-99 are 19xx.
_TWO_DIGIT_YEAR_PIVOT = 69

# Country names/codes that end a "Manufacturing Site" in this data set. Names match in any case;
# two-letter codes only in upper case, because as words ("IT", "IN") they would match prose.
_SITE_COUNTRY_NAMES = {
    "india": "IN",
    "germany": "DE",
    "france": "FR",
    "korea": "KR",
    "china": "CN",
    "canada": "CA",
    "japan": "JP",
    "thailand": "TH",
    "uk": "GB",
    "usa": "US",
    "switzerland": "CH",
    "poland": "PL",
    "australia": "AU",
    "norway": "NO",
    "cyprus": "CY",
    "south africa": "ZA",
    "puerto rico": "PR",
}
_SITE_COUNTRY_CODES = {
    "IN": "IN",
    "DE": "DE",
    "NL": "NL",
    "IT": "IT",
    "GR": "GR",
    "US": "US",
    "CY": "CY",
    # The only sites ending in "SA" are Port Elizabeth and Midrand: South Africa, not Saudi Arabia.
    "SA": "ZA",
}
_SITE_TAIL = re.compile(r"(south\s+africa|puerto\s+rico|[A-Za-z]+)[\s.)]*$", re.IGNORECASE)


@dataclass(frozen=True)
class ScmsWorld:
    """The SCMS history as portal import tables, plus the source rows that were left out."""

    suppliers: pd.DataFrame
    items: pd.DataFrame
    pos: pd.DataFrame
    receipts: pd.DataFrame
    skipped: pd.DataFrame


def read_scms(source: str | Path | IO[bytes], *, repair_order_dates: bool = True) -> ScmsWorld:
    """Read and map the SCMS delivery history."""
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"not an SCMS delivery history: missing columns {missing}")
    return map_scms(raw, repair_order_dates=repair_order_dates)


def map_scms(raw: pd.DataFrame, *, repair_order_dates: bool = True) -> ScmsWorld:
    """Map an SCMS frame (all columns as text, in file order) to the portal's import tables."""
    df = pd.DataFrame(
        {
            # Header is CSV line 1, so the first data row is line 2 (the file has no multi-line fields).
            "source_row": pd.RangeIndex(2, len(raw) + 2),
            "id": raw[COL_ID].str.strip(),
            "po_number": raw[COL_PO].str.strip(),
            "vendor": raw[COL_VENDOR].str.strip(),
            "description": _normalize_text(raw[COL_ITEM]),
            "site": raw[COL_SITE].str.strip() if COL_SITE in raw.columns else "",
            "quantity": _positive_int(raw[COL_QTY]),
            "order_date": parse_dates(raw[COL_ORDERED], iso_is_mangled_mdy=repair_order_dates),
            "need_by_date": parse_dates(raw[COL_SCHEDULED]),
            "received_date": parse_dates(raw[COL_DELIVERED]),
        }
    )
    # An order sent after its due date is a data-entry error (a handful of lines): the portal
    # refuses such a line, so its order date is treated as unknown rather than losing the delivery.
    df["order_date"] = df["order_date"].where(~(df["order_date"] > df["need_by_date"]))
    id_num = pd.to_numeric(df["id"].where(df["id"].str.fullmatch(r"\d+"), None), errors="coerce")
    df["id_num"] = id_num

    def quoted(column: str) -> pd.Series:
        return ' "' + raw[column].astype(str).str.strip() + '"'

    # Each problem is (rows, message); messages quote the offending value so a reader can act on it.
    problems: list[tuple[pd.Series, str | pd.Series]] = [
        (id_num.isna(), "ID is not a whole number:" + quoted(COL_ID)),
        # A repeated ID would make the line order within its PO ambiguous; the first one wins.
        (id_num.notna() & id_num.duplicated(keep="first"), "duplicate ID"),
        (df["po_number"] == "", "PO / SO # is empty"),
        (df["vendor"] == "", "Vendor is empty"),
        (df["description"] == "", "Item Description is empty"),
        (df["quantity"].isna(), "Line Item Quantity is not a positive whole number:" + quoted(COL_QTY)),
        (df["need_by_date"].isna(), "Scheduled Delivery Date is not a date:" + quoted(COL_SCHEDULED)),
        (df["received_date"].isna(), "Delivered to Client Date is not a date:" + quoted(COL_DELIVERED)),
    ]
    reason = pd.Series("", index=df.index, dtype=object)
    for mask, message in problems:
        reason = reason.where(~mask, reason + "; " + message)
    reason = reason.str.removeprefix("; ")
    bad = reason != ""

    skipped = pd.DataFrame(
        {
            "source_row": df.loc[bad, "source_row"].astype("int64"),
            "id": df.loc[bad, "id"].astype(object),
            "reason": reason[bad].astype(object),
        },
        columns=SKIPPED_COLUMNS,
    ).reset_index(drop=True)

    kept = df.loc[~bad].sort_values(["po_number", "id_num"], kind="stable").copy()
    kept["line"] = kept.groupby("po_number", sort=False).cumcount().astype("int64") + 1
    assert not kept.duplicated(["po_number", "line"]).any(), "duplicate (po_number, line)"

    suppliers = _suppliers(kept)
    skus = {d: _sku(d) for d in kept["description"].unique()}
    items = _items(skus)
    kept["supplier_code"] = kept["vendor"].map(suppliers.set_index("name")["code"])
    kept["sku"] = kept["description"].map(skus)
    kept = kept.sort_values("id_num", kind="stable")

    pos = pd.DataFrame(
        {
            "po_number": kept["po_number"].astype(object),
            "line": kept["line"],
            "supplier_code": kept["supplier_code"].astype(object),
            "sku": kept["sku"].astype(object),
            "quantity": kept["quantity"].astype("int64"),
            "order_date": _iso(kept["order_date"]),
            "need_by_date": _iso(kept["need_by_date"]),
            "promised_date": None,
            "transit_days": None,
        },
        columns=PO_COLUMNS,
    ).reset_index(drop=True)
    receipts = pd.DataFrame(
        {
            "po_number": pos["po_number"],
            "line": pos["line"],
            "received_date": _iso(kept["received_date"]).reset_index(drop=True),
            "quantity": pos["quantity"],
            "rejected_qty": 0,
        },
        columns=RECEIPT_COLUMNS,
    )
    receipts["rejected_qty"] = receipts["rejected_qty"].astype("int64")
    return ScmsWorld(suppliers=suppliers, items=items, pos=pos, receipts=receipts, skipped=skipped)


def parse_dates(values: pd.Series, *, iso_is_mangled_mdy: bool = False) -> pd.Series:
    """Parse every date layout found in the SCMS file; anything else (e.g. "Date Not Captured") is NaT."""
    text = values.astype(str).str.strip()
    if iso_is_mangled_mdy:
        text = text.str.replace(_MANGLED_MDY, r"\1/\2/\3", regex=True)
    parts = pd.DataFrame(index=values.index, columns=["day", "month", "year"], dtype=object)
    for pattern in _DATE_PATTERNS:
        found = text.str.extract(f"^{pattern}$")[["day", "month", "year"]]
        parts = parts.fillna(found)
    month_text = parts["month"].str.lower()
    month = month_text.map(_MONTHS).fillna(pd.to_numeric(month_text, errors="coerce"))
    year = pd.to_numeric(parts["year"], errors="coerce")
    short = parts["year"].str.len() == 2
    year = year.where(~short, year + 2000 - 100 * (year >= _TWO_DIGIT_YEAR_PIVOT))
    frame = pd.DataFrame({"year": year, "month": month, "day": pd.to_numeric(parts["day"], errors="coerce")})
    # errors="coerce" also turns impossible calendar dates (31-Feb) into NaT.
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[s]")


def slugify(name: str) -> str:
    """Upper-case ASCII slug of a name: letters and digits joined by single hyphens, at most 40 chars."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")
    return slug[:CODE_MAX_LEN].rstrip("-")


def supplier_codes(names: list[str]) -> dict[str, str]:
    """Unique, stable codes for vendor names; a collision gets a short hash of the full name appended."""
    codes: dict[str, str] = {}
    used: set[str] = set()
    # Sorting makes the claimant of a contested slug independent of the order rows appear in.
    for name in sorted(set(names)):
        base = slugify(name) or "VENDOR"
        code = base
        salt = 0
        while code in used:
            digest = hashlib.sha1(f"{name}#{salt}".encode()).hexdigest()[:6].upper()
            code = f"{base[: CODE_MAX_LEN - 7].rstrip('-')}-{digest}"
            salt += 1
        used.add(code)
        codes[name] = code
    return codes


def site_country(sites: pd.Series) -> pd.Series:
    """ISO alpha-2 country named at the end of each manufacturing site, or None when none is named."""
    tail = sites.astype(str).str.strip().str.extract(_SITE_TAIL)[0]
    by_name = tail.str.lower().str.replace(r"\s+", " ", regex=True).map(_SITE_COUNTRY_NAMES)
    by_code = tail.map(_SITE_COUNTRY_CODES)
    return by_name.fillna(by_code).astype(object).where(lambda s: s.notna(), None)


def _suppliers(lines: pd.DataFrame) -> pd.DataFrame:
    names = sorted(lines["vendor"].unique())
    codes = supplier_codes(names)
    countries = pd.DataFrame({"vendor": lines["vendor"], "country": site_country(lines["site"])})
    counts = countries.dropna().value_counts().reset_index(name="n")
    counts = counts.sort_values(["vendor", "n", "country"], ascending=[True, False, True])
    top = counts.drop_duplicates("vendor").set_index("vendor")
    total = lines["vendor"].value_counts()
    # The site is where the goods were made, which is what a production calendar needs. Only trust
    # it when one country covers most of the vendor's lines: traders and the RDC ship many
    # manufacturers' goods, so a plurality alone says little.
    reliable = top["n"] * 2 > total.reindex(top.index)
    country = top["country"].where(reliable)
    out = pd.DataFrame({"code": [codes[n] for n in names], "name": names}, columns=SUPPLIER_COLUMNS)
    out["country"] = pd.Series(names).map(country).astype(object)
    out["country"] = out["country"].where(out["country"].notna(), None)
    for col in ("transit_days", "capacity_per_day", "email"):
        out[col] = None
    out["name"] = out["name"].astype(object)
    out["code"] = out["code"].astype(object)
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def _items(skus: dict[str, str]) -> pd.DataFrame:
    descriptions = sorted(skus)
    items = pd.DataFrame(
        {
            "sku": [skus[d] for d in descriptions],
            "description": [d[:DESCRIPTION_MAX_LEN] for d in descriptions],
            "on_hand": 0,
        },
        columns=ITEM_COLUMNS,
    ).astype({"sku": object, "description": object, "on_hand": "int64"})
    assert items["sku"].is_unique, "sku hash collision"
    return items


def _sku(description: str) -> str:
    return SKU_PREFIX + hashlib.sha1(description.encode("utf-8")).hexdigest()[:10]


def _normalize_text(values: pd.Series) -> pd.Series:
    # Collapsing inner whitespace keeps "100  Tests" and "100 Tests" one item with one sku.
    return values.str.strip().str.replace(r"\s+", " ", regex=True)


def _positive_int(values: pd.Series) -> pd.Series:
    # Thousands separators are tolerated; fractions, zero and negatives are not quantities.
    number = pd.to_numeric(values.str.strip().str.replace(",", "", regex=False), errors="coerce")
    ok = number.notna() & (number > 0) & (number == number.round())
    return number.where(ok).astype("Int64")


def _iso(dates: pd.Series) -> pd.Series:
    text = dates.dt.strftime("%Y-%m-%d").astype(object)
    return text.where(dates.notna(), None)
