"""The bench's writers spread over processes: how they are split, and how their measures are merged."""

from __future__ import annotations

import math

import pytest

from bench.run import closed_loop_cause, default_writer_processes, merge_writer_runs


def _part(
    latencies: list[float], started: float, ended: float, cpu: float, failures: int = 0
) -> dict[str, object]:
    return {
        "latencies_ms": latencies,
        "failures": ["ConflictError"] * failures,
        "started": started,
        "ended": ended,
        "cpu_seconds": cpu,
    }


def test_the_merge_takes_percentiles_over_every_post_and_the_throughput_over_the_whole_window() -> None:
    # Two processes: one fast, one slow; the slow one started later and ended last.
    fast = _part([10.0] * 19 + [20.0], started=100.0, ended=101.0, cpu=0.1)
    slow = _part([200.0] * 20, started=100.5, ended=102.0, cpu=0.3, failures=2)
    run = merge_writer_runs([fast, slow], writers=16, think_seconds=0.0)
    assert run["processes"] == 2
    assert run["posts"] == 40
    assert run["failures"] == 2
    # Over all 40 posts (not the mean of each process's percentile): half at 10-20 ms, half at 200 ms.
    assert run["p50_ms"] == pytest.approx(110.0)
    assert run["p95_ms"] == pytest.approx(200.0)
    # 40 posts from the first start (100.0) to the last end (102.0).
    assert run["posts_per_second"] == pytest.approx(20.0)
    # Both processes' CPU: 0.4 s over 40 posts.
    assert run["client_cpu_ms_per_post"] == pytest.approx(10.0)
    assert run["writers"] == 16


def test_the_merge_of_one_process_is_that_process() -> None:
    run = merge_writer_runs(
        [_part([5.0, 15.0], started=0.0, ended=0.5, cpu=0.01)], writers=2, think_seconds=4.0
    )
    assert (run["processes"], run["posts"], run["posts_per_second"], run["think_seconds"]) == (1, 2, 4.0, 4.0)
    assert run["p50_ms"] == pytest.approx(10.0)


def test_no_post_gives_no_throughput_rather_than_a_division_by_zero() -> None:
    run = merge_writer_runs(
        [_part([], started=1.0, ended=1.0, cpu=0.0, failures=3)], writers=1, think_seconds=0.0
    )
    assert run["posts"] == 0 and run["failures"] == 3
    assert math.isnan(run["posts_per_second"]) and math.isnan(run["client_cpu_ms_per_post"])


def test_the_default_is_one_writer_process_per_core_and_never_more_than_the_writers() -> None:
    assert default_writer_processes(16, cpus=2) == 2
    assert default_writer_processes(16, cpus=64) == 16
    assert default_writer_processes(1, cpus=8) == 1


def test_the_cause_names_the_processes_and_the_writers_share_of_the_core_time() -> None:
    run = {"writers": 16, "processes": 2, "posts_per_second": 125.0, "client_cpu_ms_per_post": 6.0}
    cause = closed_loop_cause(run, 150.0, cpus=2)
    # 2 cores / 125 posts/s = 16 ms a post; 6 ms x 125 posts/s = 0.75 s of CPU a second over 2 processes.
    assert "16 writers in 2 processes that never pause, 125 posts/s on 2 cores = 16.0 ms" in cause
    assert "6.0 ms of it the writers' Python, each process busy 38% of a core" in cause
