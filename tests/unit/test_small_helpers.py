"""The one severity ranking, the one chunking helper and the one check of a required, bounded text."""

from __future__ import annotations

import pytest

from db.models import PoLine
from portal.core.batching import chunked, id_chunks
from portal.core.domain import Severity, ValidationError
from portal.core.inputs.fields import bounded_text


def test_severities_rank_from_info_up_to_critical_and_back() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2]
    assert Severity.ranks() == {"info": 0, "warning": 1, "critical": 2}
    assert [Severity.from_rank(r) for r in (2, 1, 0)] == list(Severity.worst_first())
    assert Severity.worst_first()[0] is Severity.CRITICAL


def test_a_rank_no_severity_has_is_refused() -> None:
    with pytest.raises(ValueError, match="rank 3"):
        Severity.from_rank(3)
    with pytest.raises(ValueError):
        Severity.from_rank(-1)


def test_chunks_keep_the_order_and_never_exceed_the_size() -> None:
    assert chunked(["c", "a", "b", "d", "e"], 2) == [["c", "a"], ["b", "d"], ["e"]]
    assert chunked([], 2) == []


def test_id_chunks_are_distinct_sorted_ids() -> None:
    assert id_chunks([5, 3, 5, 1, 4], 2) == [[1, 3], [4, 5]]


def test_a_line_label_is_the_same_in_python_and_in_sql() -> None:
    assert PoLine(po_number="PO-1042", line=3).label == "PO-1042/3"
    assert "||" in str(PoLine.label.expression.compile())


def test_a_bounded_text_is_stripped_and_refused_when_empty_or_too_long() -> None:
    def check(value: str | None) -> str:
        return bounded_text(
            value, 5, missing="say something", too_long=lambda n: f"{n} characters, 5 at most"
        )

    assert check("  hello \n") == "hello"
    for empty in (None, "", " \n\t "):
        with pytest.raises(ValidationError, match="say something"):
            check(empty)
    with pytest.raises(ValidationError, match="6 characters, 5 at most"):
        check(" hello! ")
