"""What the server can tell about the reader's device: whether the browser says it is a phone."""

from __future__ import annotations

import streamlit as st

MOBILE_MARKERS = ("mobi", "android", "iphone", "ipod")


def looks_like_a_phone() -> bool:
    """Whether the browser says it is a phone (its User-Agent): the server cannot see the screen width."""
    try:
        agent = str(st.context.headers.get("User-Agent") or "").lower()
    except Exception:  # no request (AppTest, bare mode): a desktop
        return False
    return any(marker in agent for marker in MOBILE_MARKERS)
