"""The translation catalogs: every message the code uses is translated in every language, each
compiled .mo matches its .po, and no translation can break the placeholders the code fills in.

The messages are extracted from the source here, with Babel's own API and the project's babel.cfg,
so a message added to the code without running ``pybabel extract`` / ``update`` fails too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = sorted(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
#: A str.format placeholder: {n}, {date}, {link_start} ("{{" is a literal brace, not one).
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")

MsgId = str | tuple[str, ...] | list[str]


def _key(message_id: MsgId, context: str | None = None) -> tuple[str | None, str]:
    """A message's identity: its context and (for a plural) its singular."""
    return context, message_id[0] if isinstance(message_id, (tuple, list)) else message_id


@cache
def used_messages() -> dict[tuple[str | None, str], MsgId]:
    """Every message the code marks, extracted from the source as `pybabel extract -F babel.cfg` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[tuple[str | None, str], MsgId] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found[_key(message, context)] = message
    return found


@cache
def catalog(code: str) -> Catalog:
    with open(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


def _forms(message: Message) -> tuple[str, ...]:
    """A translation's forms (one, or one per plural form); read_mo gives a plural's as a list."""
    string = message.string
    if isinstance(string, (tuple, list)):
        return tuple(str(form or "") for form in string)
    return (str(string or ""),)


def _translated(message: Message) -> bool:
    return not message.fuzzy and all(form.strip() for form in _forms(message))


def test_the_code_marks_messages_for_translation() -> None:
    assert len(used_messages()) > 100


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_the_code_uses_is_translated(code: str) -> None:
    """Fails until the translators have translated every message (run pybabel update first)."""
    by_key = {_key(m.id, m.context): m for m in catalog(code) if m.id}
    missing = [key[1] for key in used_messages() if key not in by_key]
    untranslated = [key[1] for key in used_messages() if key in by_key and not _translated(by_key[key])]
    assert not missing, (
        f"{len(missing)} message(s) not in the {code} catalog (pybabel update): {missing[:10]}"
    )
    assert not untranslated, (
        f"{len(untranslated)} message(s) untranslated or fuzzy in {code}: {untranslated[:10]}"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_compiled_catalog_matches_its_po_file(code: str) -> None:
    """pybabel compile was run after the last edit: the .mo holds exactly the .po's translations."""
    po = {_key(m.id, m.context): m for m in catalog(code) if m.id}
    with open(LOCALE_DIR / code / "LC_MESSAGES" / "messages.mo", "rb") as mo_file:
        mo = {_key(m.id, m.context): m for m in read_mo(mo_file) if m.id}
    expected = {key: _forms(m) for key, m in po.items() if _translated(m)}
    compiled = {key: _forms(m) for key, m in mo.items() if key in expected}
    assert compiled == expected, "a .po changed after the last `pybabel compile -d portal/locale`"
    # Babel also compiles a plural with empty forms (the English forms stand in); anything else in
    # the .mo is a message the .po no longer has.
    extra = [
        key[1]
        for key, m in mo.items()
        if key not in expected and not (key in po and po[key].pluralizable and not _translated(po[key]))
    ]
    assert not extra, f"the {code} .mo has messages its .po lacks: {extra[:10]}"


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_message(code: str) -> None:
    """A translation with another {name} than its message would crash .format() at run time."""
    wrong = []
    for message in catalog(code):
        if not message.id:
            continue
        ids = tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for form in _forms(message):
            # A plural form may leave out the count ("one line" for {n} = 1), never add a name.
            if form and not (_placeholders(form) <= wanted and _placeholders(form) >= wanted - {"n"}):
                wrong.append((ids[0], form))
    assert not wrong, f"placeholders differ in {code}: {wrong[:10]}"


def test_the_placeholder_check_sees_names_and_ignores_literal_braces() -> None:
    assert _placeholders("Post {n} lines for {date:%Y}") == {"n", "date"}
    assert _placeholders("{{literal}} and {link_start}x{link_end}") == {"link_start", "link_end"}
