"""The command line: imports refused with every bad row and exit 1, exports, users, demo, sweep, backtest."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from portal.cli import build_parser, main
from portal.core.fileformats import FORMATS
from portal.queries.exports import EXPORT_COLUMNS
from tests.builders import ITEMS_CSV, POS_CSV, SUPPLIERS_CSV

ROOT = Path(__file__).resolve().parents[2]
SCMS = ROOT.parent / "shared" / "data" / "scms_delivery_history.csv"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path) -> Callable[..., int]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return main(list(args))

    return run


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_and_export_round_trip(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("import", "suppliers", write(tmp_path, "s.csv", SUPPLIERS_CSV)) == 0
    assert cli("import", "items", write(tmp_path, "i.csv", ITEMS_CSV)) == 0
    assert cli("import", "pos", write(tmp_path, "p.csv", POS_CSV)) == 0
    capsys.readouterr()
    assert cli("export", "pos") == 0
    exported = pd.read_csv(io.StringIO(capsys.readouterr().out))
    # The import format's columns, status included: the export re-imports as a change order.
    assert list(exported.columns) == FORMATS["pos"].names
    assert set(exported["status"]) == {"open"}
    assert sorted(exported["po_number"] + "/" + exported["line"].astype(str)) == [
        "PO-1/1",
        "PO-1/2",
        "PO-2/1",
    ]


def test_a_bad_import_reports_every_bad_row_on_stderr_and_exits_1(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("import", "suppliers", write(tmp_path, "s.csv", SUPPLIERS_CSV))
    bad = "code,name,country\nNEW,New one,XX1\nACME,Again,DE\n"
    assert cli("import", "suppliers", write(tmp_path, "bad.csv", bad)) == 1
    err = capsys.readouterr().err
    assert "Row 2, column country (value 'XX1')" in err
    assert "Row 3, column code (value 'ACME'): a supplier with this code already exists" in err
    assert "nothing was written" in err


def test_an_unreadable_file_exits_1_with_a_message(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4")
    assert cli("import", "items", str(path)) == 1
    assert "not a CSV or XLSX" in capsys.readouterr().err


def test_user_add_reads_the_password_from_stdin(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("user", "add", "ops", "--role", "admin", "--password-stdin", stdin="a-long-password-1\n") == 0
    assert "Created admin user 'ops'" in capsys.readouterr().out
    assert (
        cli("user", "add", "ops2", "--role", "supplier", "--password-stdin", stdin="a-long-password-1\n") == 1
    )
    assert "must belong to a supplier" in capsys.readouterr().err


def test_user_add_takes_a_language_and_refuses_one_with_no_catalog(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--role", "admin", "--password-stdin")
    assert cli("user", "add", "ops", *args, "--language", "de", stdin="a-long-password-1\n") == 0
    capsys.readouterr()
    assert cli("user", "add", "ops2", *args, "--language", "fr", stdin="a-long-password-1\n") == 1
    error = capsys.readouterr().err
    assert "'fr'" in error and "choose one of" in error and "zh_Hans" in error


def test_demo_load_prints_the_logins_and_export_forecasts_has_domain_columns(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("demo", "load", "--seed", "3") == 0
    out = capsys.readouterr().out
    assert "buyer" in out and "buyer-demo-3" in out
    for kind in ("forecasts", "promises", "alerts"):
        assert cli("export", kind) == 0
        frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
        assert list(frame.columns) == EXPORT_COLUMNS[kind]
        assert len(frame) > 0
    assert cli("demo", "load", "--if-empty") == 0
    assert "already has data" in capsys.readouterr().out


def test_sweep_with_a_date(cli: Callable[..., int], capsys: pytest.CaptureFixture[str]) -> None:
    cli("demo", "load", "--seed", "3")
    capsys.readouterr()
    assert cli("sweep", "--as-of", "2026-12-01") == 0
    assert "Sweep as of 2026-12-01" in capsys.readouterr().out


def test_a_bad_date_is_a_usage_error(cli: Callable[..., int]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli("sweep", "--as-of", "2026-13-01")
    assert exit_info.value.code == 2


@pytest.mark.skipif(not SCMS.exists(), reason="the SCMS history is not beside the project")
def test_backtest_of_the_scms_file_as_json(
    cli: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("backtest", str(SCMS), "--format", "json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["deliveries"] == 10324
    policies = {p["name"]: p for p in result["policies"]}
    assert policies["due_date"]["kept"] == pytest.approx(0.885, abs=0.001)
    assert policies["portal"]["kept"] >= 0.95
    assert policies["portal"]["mean_padding_days"] <= 9


def test_python_dash_m_portal_runs_as_a_program(sqlite_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "portal", "export", "items"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": sqlite_url},
    )
    assert done.returncode == 0
    assert done.stdout.strip() == "sku,description,on_hand"


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("３", "Row 152, column quantity (value '３'): must be written with the digits 0-9"),
        ("99999999999999999999", "Row 152, column quantity (value '99999999999999999999'): is too large"),
        ("5\x00", "Row 152, column quantity (value '5\\x00'): contains a control character"),
    ],
)
def test_a_bad_number_is_a_row_error_on_stderr_not_a_traceback(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, shown: str
) -> None:
    cli("import", "suppliers", write(tmp_path, "s.csv", SUPPLIERS_CSV))
    cli("import", "items", write(tmp_path, "i.csv", ITEMS_CSV))
    capsys.readouterr()
    # 150 good rows first: a NUL within the first 4 KB refuses the whole file as binary.
    good = "".join(f"PO-7,{n},ACME,SKU-1,5,2026-04-01\n" for n in range(1, 151))
    header = "po_number,line,supplier_code,sku,quantity,need_by_date\n"
    bad = f"{header}{good}PO-7,151,ACME,SKU-1,{cell},2026-04-01\n"
    assert cli("import", "pos", write(tmp_path, "bad.csv", bad)) == 1
    err = capsys.readouterr().err
    assert shown in err
    assert "Traceback" not in err and "\x00" not in err
    assert cli("export", "pos") == 0
    assert "PO-7" not in capsys.readouterr().out


def test_import_max_rows_refuses_a_longer_file_and_writes_nothing(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "s.csv", SUPPLIERS_CSV)
    assert cli("import", "suppliers", path, "--max-rows", "1") == 1
    assert "The file has more than 1 rows; split it" in capsys.readouterr().err
    assert cli("import", "suppliers", path, "--max-rows", "2") == 0


def _leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every complete command (``("token", "create")``...) with its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaf_commands(child, (*path, name))


def test_every_command_names_the_function_that_runs_it() -> None:
    leaves = dict(_leaf_commands(build_parser()))
    assert {("user", "add"), ("token", "revoke"), ("sweep",), ("evaluate",)} <= set(leaves)
    for path, parser in leaves.items():
        assert callable(parser.get_default("handler")), f"'{' '.join(path)}' has no handler"


def test_a_sharded_sweep_refuses_to_notify_and_writes_nothing(
    cli: Callable[..., int], sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from db.engine import open_database
    from tests.integration.db_state import fingerprint

    for kind, text in (("suppliers", SUPPLIERS_CSV), ("items", ITEMS_CSV), ("pos", POS_CSV)):
        assert cli("import", kind, write(tmp_path, f"{kind}.csv", text)) == 0
    db = open_database(sqlite_url)
    before = fingerprint(db)
    capsys.readouterr()
    assert cli("sweep", "--shard", "1/2", "--notify") == 1
    error = capsys.readouterr().err
    assert "--notify cannot run with --shard 1/2" in error and "Run the shards without --notify" in error
    assert fingerprint(db) == before  # no sweep, no notification planned
    assert cli("sweep", "--shard", "1/2") == 0
    assert "Sweep as of" in capsys.readouterr().out
    assert fingerprint(db) != before
    db.dispose()


def test_a_sweep_in_item_chunks_from_the_command_line_forecasts_every_open_line(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, text in (("suppliers", SUPPLIERS_CSV), ("items", ITEMS_CSV), ("pos", POS_CSV)):
        assert cli("import", kind, write(tmp_path, f"{kind}.csv", text)) == 0
    capsys.readouterr()
    assert cli("sweep", "--chunks", "2") == 0
    chunked = capsys.readouterr().out
    assert cli("sweep") == 0
    whole = capsys.readouterr().out
    forecast = [line.split(":")[1].split(",")[0] for line in (chunked, whole)]
    assert forecast[0] == forecast[1] and "open lines forecast" in forecast[0]
    assert "0 rows written" in whole  # the chunks left nothing for one pass to change
