"""Refusals and file-check problems in the reader's language: the admin's settings, the notification
settings, a file's rows and the file as a whole. English (the command line, which has no language)
reads as it always did; the new messages' catalogs come with the lead's merge, so a stand-in catalog
(tests.fake_catalog) gives their German here."""

from __future__ import annotations

import pandas as pd
import pytest

from portal.core.domain import PortalError, ValidationError
from portal.core.fileformats import RowError, check_rows, describe_errors
from portal.core.filereading import TooManyRows, read_table
from portal.core.notifications import resolve_notify_settings, validate_notify_setting
from portal.core.settings import SPECS, resolve
from portal.i18n import language
from tests.fake_catalog import install

GERMAN = {
    "{setting}: must start with http:// or https://, not '{value}'.": (
        "{setting}: muss mit http:// oder https:// beginnen, nicht '{value}'."
    ),
    "{setting}: must be between {minimum} and {maximum}, got {value}": (
        "{setting}: muss zwischen {minimum} und {maximum} liegen, nicht {value}"
    ),
    "Weight: quality": "Gewicht: Qualität",
    "Scorecard weights must sum to 100, they sum to {total}": (
        "Die Gewichte müssen zusammen 100 ergeben, sie ergeben {total}"
    ),
    "Unknown setting(s): {names}": "Unbekannte Einstellung(en): {names}",
    "the stored setting {key}": "die gespeicherte Einstellung {key}",
    "Row {row}, column {column} (value '{value}'): {reason}": (
        "Zeile {row}, Spalte {column} (Wert '{value}'): {reason}"
    ),
    "Row {row}, column {column}: {reason}": "Zeile {row}, Spalte {column}: {reason}",
    "Row {row}: {reason}": "Zeile {row}: {reason}",
    "... and {n} more": "... und {n} weitere",
    "The file is empty.": "Die Datei ist leer.",
    "The file has more than {limit} rows; split it into files of at most {limit} rows and import them one "
    "after the other.": "Die Datei hat mehr als {limit} Zeilen; teilen Sie sie auf.",
    "The {kind} file has {problems}. Expected columns: {expected}.": (
        "Die Datei ({kind}) hat {problems}. Erwartete Spalten: {expected}."
    ),
    "missing column(s): {columns}": "fehlende Spalte(n): {columns}",
}


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, "de", GERMAN)


def refusal(fn: object, *args: object) -> str:
    with pytest.raises(ValidationError) as caught:
        fn(*args)  # type: ignore[operator]
    return str(caught.value)


# ------------------------------------------------------------------------- settings


def test_a_notification_setting_is_refused_in_the_admins_language_naming_the_field_in_it(
    german: None,
) -> None:
    with language("de"):
        message = refusal(validate_notify_setting, "notify.base_url", "ftp://portal")
    # "Portal base URL" from the real German catalog, the sentence from the new template.
    assert message == "Basis-URL des Portals: muss mit http:// oder https:// beginnen, nicht 'ftp://portal'."


def test_a_notification_setting_is_refused_in_english_where_no_language_is_set(german: None) -> None:
    message = refusal(validate_notify_setting, "notify.base_url", "ftp://portal")
    assert message == "Portal base URL: must start with http:// or https://, not 'ftp://portal'."


def test_a_bad_value_of_the_environment_is_ignored_with_a_problem_in_the_admins_language(
    german: None,
) -> None:
    with language("de"):
        resolved = resolve_notify_settings({"notify.base_url": "ftp://x"}, {})
    assert resolved.problems == [
        "die gespeicherte Einstellung notify.base_url: "
        "Basis-URL des Portals: muss mit http:// oder https:// beginnen, nicht 'ftp://x'."
    ]


def test_an_admin_setting_is_refused_in_the_admins_language(german: None) -> None:
    with language("de"):
        assert refusal(resolve, {"weight_quality": 140}) == (
            "Gewicht: Qualität: muss zwischen 0 und 100 liegen, nicht 140"
        )
        assert refusal(resolve, {"weight_quality": 20}) == (
            "Die Gewichte müssen zusammen 100 ergeben, sie ergeben 105"
        )
        assert refusal(resolve, {"colour": 1}) == "Unbekannte Einstellung(en): colour"
    assert refusal(resolve, {"weight_quality": 140}) == "Weight: quality: must be between 0 and 100, got 140"


def test_every_admin_setting_has_a_label_and_help_marked_for_translation() -> None:
    """The rows-per-upload and weight settings were built with f-strings, which no catalog can hold."""
    from tests.unit.test_catalogs import used_messages

    marked = {message for _context, message in used_messages()}
    unmarked = sorted(
        key for key, spec in SPECS.items() if spec.label not in marked or spec.help not in marked
    )
    assert not unmarked


# ------------------------------------------------------------------------- files


def test_a_row_error_is_framed_in_the_readers_language(german: None) -> None:
    frame = pd.DataFrame(
        [["PO-1", "1", "2026-03-10", "100", "2026-03-09", ""]],
        columns=["po_number", "line", "start_date", "daily_output", "estimated_end_date", "reason"],
    )
    [error] = check_rows(frame, "schedules").errors
    english = str(error)
    with language("de"):
        german_text = str(error)
    assert english == "Row 2, column estimated_end_date (value '2026-03-09'): is before the start date"
    assert german_text.startswith("Zeile 2, Spalte estimated_end_date (Wert '2026-03-09'): ")
    assert str(RowError(4, "", "", "is empty")) == "Row 4: is empty"
    with language("de"):
        assert str(RowError(4, "", "", "is empty")) == "Zeile 4: is empty"
        assert str(RowError(5, "sku", "", "is required")) == "Zeile 5, Spalte sku: ist erforderlich"


def test_the_count_of_errors_left_out_is_in_the_readers_language(german: None) -> None:
    errors = [RowError(row, "sku", "", "is required") for row in range(2, 6)]
    assert describe_errors(errors, limit=2).splitlines()[-1] == "... and 2 more"
    with language("de"):
        assert describe_errors(errors, limit=2).splitlines()[-1] == "... und 2 weitere"


def test_a_file_refused_as_a_whole_is_refused_in_the_readers_language(german: None) -> None:
    with language("de"), pytest.raises(PortalError) as empty:
        read_table(b"   ", "lines.csv", "pos")
    assert str(empty.value) == "Die Datei ist leer."
    with language("de"):
        assert str(TooManyRows(20_000)) == "Die Datei hat mehr als 20.000 Zeilen; teilen Sie sie auf."
    assert str(TooManyRows(20_000)).startswith("The file has more than 20,000 rows; split it into files")


def test_missing_columns_are_named_in_the_readers_language(german: None) -> None:
    frame = pd.DataFrame([["PO-1"]], columns=["po_number"])
    with language("de"), pytest.raises(PortalError) as caught:
        check_rows(frame, "schedules")
    assert str(caught.value).startswith("Die Datei (schedules) hat fehlende Spalte(n): line, ")
