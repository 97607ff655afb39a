"""A stand-in catalog for tests of new messages, before the lead merges their translations."""

from __future__ import annotations

import gettext
from collections.abc import Mapping

import pytest

from portal import i18n


class FakeCatalog(gettext.NullTranslations):
    """Translates the messages given (ngettext: by the msgid n chooses); others as the real catalog."""

    def __init__(self, messages: Mapping[str, str], real: gettext.NullTranslations) -> None:
        super().__init__()
        self.messages = dict(messages)
        self.real = real

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or self.real.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        chosen = singular if n == 1 else plural
        return self.messages.get(chosen) or self.real.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.messages.get(message) or self.real.pgettext(context, message)


def install(monkeypatch: pytest.MonkeyPatch, code: str, messages: Mapping[str, str]) -> None:
    """Use ``messages`` over the catalog of language ``code`` for the rest of the test."""
    real = i18n._translations
    fake = FakeCatalog(messages, real(code))
    monkeypatch.setattr(i18n, "_translations", lambda wanted: fake if wanted == code else real(wanted))
