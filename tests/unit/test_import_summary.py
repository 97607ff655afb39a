"""The import summary (ImportResult.summary): counted in words, in the reader's language."""

from __future__ import annotations

import gettext

import pytest

from portal import i18n
from portal.core.fileformats import RowError
from portal.i18n import language
from portal.services.imports.result import ImportResult

#: A stand-in German catalog: the summary's messages as a translator would give them.
GERMAN: dict[str, str | tuple[str, str]] = {
    "{n} error": ("{n} Fehler", "{n} Fehler"),
    "{errors} in {n} row; nothing was written.": (
        "{errors} in {n} Zeile; nichts wurde gespeichert.",
        "{errors} in {n} Zeilen; nichts wurde gespeichert.",
    ),
    "{n} new purchase-order line": ("{n} neue Bestellposition", "{n} neue Bestellpositionen"),
    "{summary}, {n} changed": ("{summary}, {n} geändert", "{summary}, {n} geändert"),
    "{summary} ({n} change e-mail to suppliers queued)": (
        "{summary} ({n} Änderungs-E-Mail an Lieferanten eingeplant)",
        "{summary} ({n} Änderungs-E-Mails an Lieferanten eingeplant)",
    ),
    "{n} row imported ({what})": ("{n} Zeile importiert ({what})", "{n} Zeilen importiert ({what})"),
    "{summary}, {n} correction": ("{summary}, {n} Korrektur", "{summary}, {n} Korrekturen"),
    "daily production reports": "Tagesmeldungen",
    "{summary}.": "{summary}.",
}


class StandIn(gettext.NullTranslations):
    """Translations from a dict (the real catalogs are merged by the lead)."""

    def gettext(self, message: str) -> str:
        found = GERMAN.get(message)
        return found if isinstance(found, str) else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = GERMAN.get(msgid1)
        if isinstance(found, tuple):
            return found[0 if n == 1 else 1]
        return msgid1 if n == 1 else msgid2


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    english = gettext.NullTranslations()
    monkeypatch.setattr(i18n, "_translations", lambda code: StandIn() if code == "de" else english)


def test_the_summary_counts_in_words_without_plural_brackets() -> None:
    assert ImportResult("pos", 3, created=1, changed=2, change_emails=1).summary() == (
        "1 new purchase-order line, 2 changed (1 change e-mail to suppliers queued)."
    )
    assert ImportResult("pos", 1, changed=1).summary() == "0 new purchase-order lines, 1 changed."
    assert ImportResult("reports", 1200, created=1200, corrected=1).summary() == (
        "1,200 rows imported (daily production reports), 1 correction."
    )
    errors = [RowError(2, "good_qty", "x", "must be a whole number"), RowError(2, "date", "y", "not a date")]
    assert ImportResult("reports", 2, errors=errors).summary() == "2 errors in 1 row; nothing was written."


def test_a_german_buyer_reads_the_summary_in_german(german: None) -> None:
    with language("de"):
        assert ImportResult("pos", 3, created=2, changed=1, change_emails=1).summary() == (
            "2 neue Bestellpositionen, 1 geändert (1 Änderungs-E-Mail an Lieferanten eingeplant)."
        )
        assert ImportResult("reports", 1200, created=1200, corrected=2).summary() == (
            "1.200 Zeilen importiert (Tagesmeldungen), 2 Korrekturen."
        )
        errors = [RowError(3, "date", "y", "not a date")]
        assert ImportResult("reports", 2, errors=errors).summary() == (
            "1 Fehler in 1 Zeile; nichts wurde gespeichert."
        )
