"""User text inside Streamlit's Markdown, shown as the characters typed, never as formatting.

Titles, captions, messages, metric labels and values, tab and button labels are all Markdown
in Streamlit: a PO number ``![x](http://host/x.png)`` imported from a file would load that URL
in every browser that shows it, ``:red[...]`` would colour text, ``$...$`` would typeset LaTeX.
Every imported or typed value (PO numbers, supplier codes and names, SKUs, item descriptions,
customer order references, notes, comments, user names, file names, messages that quote them)
goes through :func:`plain` before it is put into such a string.
"""

from __future__ import annotations

import re

#: Invisible, and does not allow a line break: splits the shortcodes below without showing.
WORD_JOINER = "\u2060"

# CommonMark lets a backslash escape any ASCII punctuation character, which then stands for
# itself: no emphasis, link, image, HTML, heading, list, table, code, directive or LaTeX.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")
# Streamlit turns text into emoji (``:smile:``), icons (``:material/x:``) and links (bare
# ``http://`` and ``www.`` addresses) after the escapes are resolved, in the parsed text itself:
# a word joiner after a colon that something follows, and between "www" and its dot, stops those
# (a colon before a space or at the end opens no shortcode and no address: it stays as it is).
_AFTER_COLON = re.compile(r"\\:(?=\S)")
_WWW_DOT = re.compile(r"(?i)(www)(?=\\\.)")


def plain(value: object) -> str:
    """``value`` as text for a Markdown string: shown exactly as typed, on one line.

    ``None`` (and a frame's missing value, NaN) becomes an empty string. Line breaks become spaces
    (a line break could start a heading, a list or a code block). E-mail addresses may still show
    as ``mailto:`` links.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = _AFTER_COLON.sub(lambda _m: "\\:" + WORD_JOINER, text)
    return _WWW_DOT.sub(lambda m: m.group(1) + WORD_JOINER, text)
