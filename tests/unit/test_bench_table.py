"""The bench's verdict table: a missed closed-loop writers target says its measured cause."""

from __future__ import annotations

from bench.run import closed_loop_cause, table


def test_the_cause_of_a_closed_loop_miss_is_littles_law_on_the_measured_throughput() -> None:
    cause = closed_loop_cause({"writers": 16, "posts_per_second": 80.0}, 150.0, cpus=2)
    # 2 cores / 80 posts/s = 25 ms per post; 16 writers / 0.15 s = 107 posts/s = 18.8 ms per post.
    assert "80 posts/s on 2 cores = 25.0 ms of core time per post" in cause
    assert ">= 107 posts/s, <= 18.8 ms per post" in cause


def test_the_table_gives_the_cause_only_under_a_missed_writers_target() -> None:
    def results(p95_ms: float) -> dict[str, object]:
        run = {"writers": 16, "posts_per_second": 80.0, "p95_ms": p95_ms}
        backend = {"verdict": {"concurrent_post_p95_ms": p95_ms}, "concurrent": run}
        return {"backends": {"postgresql": backend}}

    missed = table(results(387.0))
    assert "report post p95, 16 writers (ms) on postgresql: 387.00 < 150? MISSED" in missed
    assert "cause: 16 writers that never pause" in missed
    assert "cause:" not in table(results(120.0))
