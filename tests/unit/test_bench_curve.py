"""bench.curve: the growth exponent it fits, and the chart and table it writes from saved runs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bench.curve import main, read_points


def _run(folder: Path, name: str, scale: str, cpu: float, *, sweep: bool = True) -> None:
    figures: dict[str, Any] = {"load_average": [3.0, 2.0, 1.0]}
    if sweep:
        figures["sweep"] = {"seconds": cpu * 5, "cpu_seconds": cpu, "peak_mib": 100.0}
    (folder / name).write_text(json.dumps({"scale": scale, "backends": {"postgresql": figures}}))


def test_a_sweep_growing_as_lines_to_the_power_0_8_is_fitted_at_0_8_and_extrapolated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = {"S": 5_000, "M": 25_000, "L": 100_000}
    for scale, n in lines.items():
        _run(tmp_path, f"bench-{scale}-1.json", scale, 0.002 * n**0.8)
    _run(tmp_path, "bench-L-0.json", "L", 999.0)  # older (sorts first): the newest run counts
    _run(tmp_path, "bench-M-2.json", "M", 999.0, sweep=False)  # newer but without a sweep: skipped
    assert [p.scale for p in read_points(tmp_path, "postgresql")] == ["S", "M", "L"]
    out = tmp_path / "growth.svg"
    assert main(["--results", str(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    cpu_row = next(line for line in printed.splitlines() if line.startswith("| full sweep, CPU"))
    cells = [c.strip() for c in cpu_row.split("|")[1:-1]]
    assert cells[4] == "0.80"  # the exponent
    assert cells[5] == f"{0.002 * 1_000_000**0.8:,.1f} s"  # XL, 1,000,000 open lines
    assert cells[1] == f"{0.002 * 5_000**0.8:.1f} s"
    ET.fromstring(out.read_text())  # well-formed SVG
    assert "b = 0.80" in out.read_text()
