"""A stand-in catalog for tests of new messages, before the lead merges their translations."""

from __future__ import annotations

import gettext
from collections.abc import Mapping

import pytest

from portal import i18n


class FakeCatalog(gettext.NullTranslations):
    """Translates the messages given (ngettext: by the msgid n chooses); others stay English."""

    def __init__(self, messages: Mapping[str, str]) -> None:
        super().__init__()
        self.messages = dict(messages)

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        chosen = singular if n == 1 else plural
        return self.messages.get(chosen, chosen)

    def pgettext(self, context: str, message: str) -> str:
        return self.messages.get(message, message)


def install(monkeypatch: pytest.MonkeyPatch, code: str, messages: Mapping[str, str]) -> None:
    """Use ``messages`` as the catalog of language ``code`` for the rest of the test."""
    real = i18n._translations
    fake = FakeCatalog(messages)
    monkeypatch.setattr(i18n, "_translations", lambda wanted: fake if wanted == code else real(wanted))
