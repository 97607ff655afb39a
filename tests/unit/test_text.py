"""User text put into Streamlit Markdown shows as typed: no formatting, link, image, icon or LaTeX."""

from __future__ import annotations

import re
import string

import pytest

from portal.ui.text import WORD_JOINER, plain

HOSTILE = [
    "![x](http://127.0.0.1:9/x.png) **b** :red[x] $x$",
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> &amp; &#60;",
    ":material/warning: :smile: :streamlit: :+1: :red-background[x] :blue-badge[y]",
    "see http://evil.example/x and WWW.evil.example or <http://evil.example>",
    "# heading\n- item\n> quote\n1. one\n    code\n| a | b |\n|---|---|",
    "$$\\int x$$ \\(x\\) `code` ~~strike~~ _i_ *i* __b__ ~sub~ ^sup^ \\*kept\\*",
    "PO-1042/3",
    "Müller & Söhne GmbH · 株式会社",
]

# What Streamlit's Markdown renderer (1.67, StreamlitMarkdown.*.js) turns into something other than
# text *after* the backslash escapes are resolved: emoji shortcodes, material icons, the logo, and
# bare web addresses (GFM autolink literals).
TEXT_NODE_PATTERNS = [
    re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:"),
    re.compile(r":material[/_](\w+):"),
    re.compile(r":streamlit:"),
    re.compile(r"(?i)(https?://|www(?=\.))"),
]


def _unescape(markdown: str) -> str:
    """What CommonMark shows for an escaped text: each backslash escape stands for its character."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


@pytest.mark.parametrize("value", HOSTILE)
def test_every_punctuation_character_is_escaped_so_markdown_sees_only_text(value: str) -> None:
    escaped = plain(value)
    bare, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\":
            assert escaped[i + 1] in string.punctuation  # a backslash always escapes the next character
            i += 2
            continue
        if escaped[i] in string.punctuation:
            bare.append(escaped[i])
        i += 1
    assert bare == []
    assert "\n" not in escaped and "\r" not in escaped


@pytest.mark.parametrize("value", HOSTILE)
def test_the_text_shown_is_the_text_typed_on_one_line(value: str) -> None:
    shown = _unescape(plain(value)).replace(WORD_JOINER, "")
    assert shown == re.sub(r"[ \t]*\n\s*", " ", value)


@pytest.mark.parametrize("value", HOSTILE)
def test_no_shortcode_icon_or_bare_address_survives_the_escapes(value: str) -> None:
    shown = _unescape(plain(value))
    for pattern in TEXT_NODE_PATTERNS:
        assert not pattern.search(shown), (pattern.pattern, shown)


def test_ordinary_values_are_unchanged_apart_from_their_punctuation() -> None:
    assert plain("Acme Plastics") == "Acme Plastics"
    assert plain("PO-1042/3") == "PO\\-1042\\/3"
    assert plain(None) == "" and plain(float("nan")) == ""
    assert plain(42) == "42"
    assert plain(ValueError("Row 3: bad *value*")) == "Row 3\\: bad \\*value\\*"
    assert plain("a:b") == "a\\:" + WORD_JOINER + "b"


def test_every_ascii_punctuation_character_is_covered() -> None:
    assert plain(string.punctuation) == "".join("\\" + c for c in string.punctuation).replace(
        "\\:", "\\:" + WORD_JOINER
    )
