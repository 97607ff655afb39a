"""The bench's writers spread over processes post every target once, as its one-process writers do."""

from __future__ import annotations

from sqlalchemy import case, func, select

from bench.run import AS_OF, _posting_targets, concurrent_posts
from db.engine import Database
from db.models import ProductionReport


def _posted(db: Database, line_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """line -> (current reports on the bench's day, their good quantity, reports of that day in all)."""
    with db.read() as session:
        rows = session.execute(
            select(
                ProductionReport.po_line_id,
                func.sum(case((ProductionReport.is_current, 1), else_=0)),
                func.max(ProductionReport.good_qty),
                func.count(),
            )
            .where(ProductionReport.po_line_id.in_(line_ids), ProductionReport.report_date == AS_OF)
            .group_by(ProductionReport.po_line_id)
        ).all()
    return {int(line): (int(current), int(good), int(count)) for line, current, good, count in rows}


def test_writers_in_two_processes_post_each_target_once(demo: Database) -> None:
    url = demo.engine.url.render_as_string(hide_password=False)
    targets = [line_id for line_id, _ in _posting_targets(demo, 8)]
    assert len(set(targets)) == 8  # the demo world has enough lines in production

    run = concurrent_posts(url, writers=4, each=2, processes=2)

    assert (run["processes"], run["writers"], run["posts"], run["failures"]) == (2, 4, 8, 0)
    assert run["posts_per_second"] > 0 and run["client_cpu_ms_per_post"] > 0
    # Every target posted once (no writer's share lost or posted by two processes), after each
    # process's unmeasured warm-up posted its writers' first targets (writer i: targets[i::4]) once:
    # those were corrected by the measured post.
    first, rest = targets[:4], targets[4:]
    assert _posted(demo, targets) == dict.fromkeys(first, (1, 60, 2)) | dict.fromkeys(rest, (1, 60, 1))
