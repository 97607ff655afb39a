"""The command line: ``python -m portal ...`` on the database DATABASE_URL names.

Errors go to stderr with a non-zero exit: 1 for refused input (bad rows, bad values),
2 for a wrong command line.

Over 500 lines on purpose: one argparse tree and one small handler per command, so `--help` and
the code read side by side; the work itself is in the services.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from portal.config import load_config
from portal.core.domain import PortalError, Role

if TYPE_CHECKING:
    from db.engine import Database
    from portal.services.access import Actor
from portal.core.parsing import parse_decimal, parse_iso_date, parse_whole_number

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _date(text: str) -> dt.date:
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _period(text: str) -> str:
    try:
        parse_iso_date(text + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a month (YYYY-MM)") from None
    return text


def _seconds(text: str) -> float:
    try:
        value = parse_decimal(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds >= 0") from None
    return value


def _whole(text: str) -> int:
    try:
        return parse_whole_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from portal.core.fileformats import IMPORT_KINDS
    from portal.queries.exports import EXPORT_KINDS

    parser = argparse.ArgumentParser(prog="python -m portal", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        handler=_db_upgrade
    )

    user = sub.add_parser("user", help="logins").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a login (the password is asked, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--supplier", help="supplier code (required for --role supplier)")
    add.add_argument("--name", help="display name")
    add.add_argument("--email")
    add.add_argument(
        "--language",
        help="the portal's language for this user (en, de, es, tr, vi, zh_Hans; default: the browser's)",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_user_add)

    tok = sub.add_parser("token", help="personal API tokens").add_subparsers(
        dest="token_command", required=True
    )
    make = tok.add_parser("create", help="make an API token for a user and print it (shown this once)")
    make.add_argument("username")
    make.add_argument("--name", default="command line", help="what the token is for")
    make.add_argument(
        "--expires", type=int, default=90, metavar="DAYS", help="days until it expires (default 90)"
    )
    revoke = tok.add_parser("revoke", help="revoke an API token at once")
    make.set_defaults(handler=_token_create)
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=_token_revoke)

    imp = sub.add_parser("import", help="import a CSV or .xlsx file: every row or none")
    imp.add_argument("kind", choices=IMPORT_KINDS)
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--max-rows",
        type=_whole,
        help="refuse a file with more rows than this (default: no limit; the browser's are admin settings)",
    )
    imp.set_defaults(handler=_import)

    exp = sub.add_parser("export", help="export as CSV (stdout or --out; .xlsx for Excel)")
    exp.add_argument("kind", choices=EXPORT_KINDS)
    exp.add_argument("--out", type=Path)
    exp.add_argument("--period", type=_period, help="YYYY-MM (scorecards)")
    exp.set_defaults(handler=_export)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    load = demo.add_parser("load", help="load a believable demo world (or the SCMS history) and print logins")
    load.add_argument("--seed", type=_whole, default=7)
    load.add_argument("--scms", type=Path, help="load the real SCMS delivery history CSV instead")
    load.add_argument("--as-of", type=_date, help="the demo's 'today' (default: today)")
    load.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data")
    load.add_argument(
        "--scale",
        choices=["S", "M", "L", "XL"],
        help="a large synthetic world for performance work (XL: PostgreSQL)",
    )
    load.add_argument("--no-sweep", action="store_true", help="with --scale: load only, no sweep afterwards")
    load.set_defaults(handler=_demo)

    sweep = sub.add_parser("sweep", help="recompute forecasts, promises and alerts")
    sweep.add_argument("--as-of", type=_date)
    sweep.add_argument(
        "--notify",
        action="store_true",
        help="under the sweep lock, then plan and send notifications (e-mail digests, reminders, webhooks)",
    )
    sweep.add_argument(
        "--lock-wait",
        type=_seconds,
        default=None,
        help="seconds to wait for a sweep already running (default: wait until it ends)",
    )

    sweep.add_argument(
        "--verify",
        action="store_true",
        help="first check every line's production summary against its reports; list the lines that "
        "disagree (forecast from their reports) and exit 1",
    )
    sweep.add_argument(
        "--shard",
        metavar="K/N",
        help="only shard K of N: the items with item_id %% N == K-1 and the suppliers with "
        "supplier_id %% N == K-1; the N shards run side by side (docs/scaling.md)",
    )
    sweep.add_argument(
        "--chunks",
        type=int,
        default=1,
        metavar="N",
        help="a full sweep in N item chunks, one after the other: less memory, more CPU (docs/scaling.md)",
    )
    sweep.set_defaults(handler=_sweep)

    summ = sub.add_parser("summaries", help="per-line production summaries").add_subparsers(
        dest="summaries_command", required=True
    )
    summ.add_parser(
        "rebuild", help="fold every line's production summary again from its reports"
    ).set_defaults(handler=_summaries_rebuild)

    cards = sub.add_parser("scorecards", help="supplier scorecards").add_subparsers(
        dest="scorecards_command", required=True
    )
    refresh = cards.add_parser(
        "refresh", help="recompute and store every supplier's scorecard totals (the ranking reads them)"
    )
    refresh.add_argument("--as-of", type=_date, help="the day to count up to (default: today)")
    refresh.add_argument(
        "--changed-only",
        action="store_true",
        help="only the suppliers written to since the last refresh, when it counted up to the same day",
    )
    refresh.set_defaults(handler=_scorecards_refresh)

    sched = sub.add_parser("scheduler", help="run sweep --notify every N minutes until stopped")
    sched.add_argument(
        "--every", type=_whole, help="minutes between runs (default: PORTAL_SCHEDULER_MINUTES, else 15)"
    )
    sched.add_argument("--no-run-now", action="store_true", help="wait one interval before the first run")
    sched.set_defaults(handler=_scheduler)

    bk = sub.add_parser(
        "backup", help="copy the embedded SQLite database consistently, even while the app runs"
    )
    bk.add_argument("--out", type=Path, help="the backup file (default: data/backups/portal-DATE-TIME.db)")
    bk.set_defaults(handler=_backup)
    rs = sub.add_parser(
        "restore", help="replace the embedded SQLite database with a backup (stop the app first)"
    )
    rs.add_argument("file", type=Path)
    rs.set_defaults(handler=_restore)

    bt = sub.add_parser("backtest", help="replay a delivery history and report promises kept and padding")
    bt.add_argument(
        "file", nargs="?", type=Path, help="an SCMS-format CSV (default: the history in the database)"
    )
    bt.add_argument("--horizon", type=_whole, default=30, help="days before the due date a promise is made")
    bt.add_argument("--format", choices=["text", "json"], default="text")
    bt.set_defaults(handler=_backtest)
    _add_evaluate(sub)
    return parser


def _add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    import dataclasses

    from portal.sim.factory import Dynamics, WorldParams

    world = WorldParams()
    ev = sub.add_parser(
        "evaluate",
        help="simulate a supplier base, replay it through imports and sweeps, score forecasts and alerts",
    )
    ev.add_argument("--seed", type=int, default=world.seed)
    ev.add_argument("--suppliers", type=int, default=world.suppliers)
    ev.add_argument("--lines", type=int, default=world.lines)
    ev.add_argument("--weeks", type=int, default=world.weeks, help="the replay horizon")
    ev.add_argument(
        "--order-weeks", type=int, help="weeks in which lines are ordered (default: ~60%% of --weeks)"
    )
    ev.add_argument("--step-days", type=int, default=7, help="days between sweeps")
    ev.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ev.add_argument("--plot", type=Path, help="also draw the figures as an SVG chart in this file")
    ev.add_argument("--progress", action="store_true", help="print each step to stderr")
    dyn = ev.add_argument_group("dynamics")
    for f in dataclasses.fields(Dynamics):
        dyn.add_argument(
            "--" + f.name.replace("_", "-"),
            type=type(f.default),
            default=f.default,
            help=f"default {f.default}",
        )
    ev.set_defaults(handler=_evaluate)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except FileNotFoundError as exc:
        print(f"error: no such file: {exc.filename}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _db() -> Database:
    from portal.bootstrap import open_configured_database

    return open_configured_database()


def _cli() -> Actor:
    """Who the command line acts as: the system, audited as 'cli'."""
    from portal.services.access import Actor

    return Actor.system("cli")


def _db_upgrade(args: argparse.Namespace) -> int:
    from portal.bootstrap import upgrade_database

    config = load_config()
    upgrade_database(config.database_url)
    print(f"Database at the newest schema ({config.database_url.split('@')[-1]}).")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    if args.notify and args.shard:
        # Notifications (digests, reminders, webhooks) are planned for every supplier at once, from
        # every live alert: one shard's run cannot plan them, and N shards planning side by side
        # could plan the same e-mail twice.
        raise PortalError(
            f"--notify cannot run with --shard {args.shard}: notifications are planned for every "
            "supplier at once, after a whole sweep. Run the shards without --notify, and "
            "`sweep --notify` (or the scheduler) for the notifications."
        )
    if args.notify:
        return _sweep_notify(args)
    from portal.services.locks import SWEEP_LOCK, job_lock
    from portal.services.planning import sweep
    from portal.services.planning.shard import Shard

    shard = Shard.parse(args.shard) if args.shard else None
    db = _db()
    # The same lock as `sweep --notify` and the scheduler: one sweep at a time (one run per shard).
    with job_lock(db, SWEEP_LOCK if shard is None else f"{SWEEP_LOCK}:{shard}", wait=args.lock_wait):
        result = sweep(db, _cli(), args.as_of, verify=args.verify, shard=shard, chunks=args.chunks)
    print(result.summary())
    print("Timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    for row in result.inconsistent_days.itertuples(index=False):
        print(
            f"inconsistent summary: supplier {row.supplier_id} on {row.report_date}: {row.problem}",
            file=sys.stderr,
        )
    if len(result.inconsistent) or len(result.inconsistent_days):
        for row in result.inconsistent.itertuples(index=False):
            print(f"inconsistent summary: line {row.label}: {row.problem}", file=sys.stderr)
        print(
            f"error: {len(result.inconsistent)} line(s)' production summaries and "
            f"{len(result.inconsistent_days)} supplier day(s)' output totals disagree with the "
            "reports; the sweep used the reports for them. Repair: python -m portal summaries rebuild",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if args.verify:
        print("Every production summary agrees with its reports.")
    return EXIT_OK


def _summaries_rebuild(args: argparse.Namespace) -> int:
    from portal.services.summaries import rebuild

    info = rebuild(_db(), _cli())
    for row in info.repaired.itertuples(index=False):
        print(f"repaired: line {row.label}: {row.problem}")
    if info.repaired_days is not None:
        for row in info.repaired_days.itertuples(index=False):
            print(f"repaired: supplier {row.supplier_id} on {row.report_date}: {row.problem}")
    print(
        f"Production summaries rebuilt: {info.lines:,} lines with reports, "
        f"{len(info.repaired):,} repaired, in {info.seconds:.1f} s."
    )
    return EXIT_OK


def _scorecards_refresh(args: argparse.Namespace) -> int:
    from portal.services.scorecards import refresh_scorecards

    info = refresh_scorecards(_db(), _cli(), today=args.as_of, changed_only=args.changed_only)
    which = "suppliers written to since the last refresh" if info.changed_only else "suppliers"
    print(
        f"Scorecards stored as of {info.as_of}: {info.suppliers} {which}, "
        f"{info.rows} supplier-months, in {info.seconds:.1f} s."
    )
    return EXIT_OK


def _backup(args: argparse.Namespace) -> int:
    from portal import backup as backups

    print(f"Backed up to {backups.backup(load_config().database_url, args.out)}.")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    from portal import backup as backups

    print(f"Restored {args.file} into {backups.restore(load_config().database_url, args.file)}.")
    return EXIT_OK


def _user_add(args: argparse.Namespace) -> int:
    from portal.services.users import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return EXIT_REFUSED
    user_id = create_user(
        _db(),
        _cli(),
        args.username,
        password,
        args.role,
        supplier_code=args.supplier,
        display_name=args.name,
        email=args.email,
        language=args.language,
    )
    print(f"Created {args.role} user '{args.username.lower()}' (id {user_id}).")
    return EXIT_OK


def _token_create(args: argparse.Namespace) -> int:
    from portal.i18n import format_utc
    from portal.services.api_tokens import create_api_token

    made = create_api_token(_db(), _cli(), args.name, username=args.username, expires_days=args.expires)
    until = format_utc(made.expires_at) if made.expires_at else "never"
    # The secret alone on stdout, so scripts can capture it; the rest on stderr.
    print(f"API token {made.token_id} '{made.name}' for {made.username}, expires {until}.", file=sys.stderr)
    print(
        "Shown this once; it is stored hashed. Send it as 'Authorization: Bearer <token>'.", file=sys.stderr
    )
    print(made.secret)
    return EXIT_OK


def _token_revoke(args: argparse.Namespace) -> int:
    from portal.services.api_tokens import revoke_api_token

    changed = revoke_api_token(_db(), _cli(), args.id)
    print(f"Revoked API token {args.id}." if changed else f"API token {args.id} was already revoked.")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from portal.core.fileformats import describe_errors
    from portal.services.imports import import_table, read_upload

    data = args.file.read_bytes()
    table = read_upload(data, args.file.name, args.kind, max_rows=args.max_rows)
    result = import_table(_db(), _cli(), table, filename=args.file.name)
    if not result.ok:
        print(f"error: {args.file.name}: {result.summary()}", file=sys.stderr)
        print(describe_errors(result.errors), file=sys.stderr)
        return EXIT_REFUSED
    print(result.summary())
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from portal.queries.exports import export_frame, write_export

    frame = export_frame(_db(), _cli(), args.kind, period=args.period)
    data = write_export(frame, args.out)
    if args.out:
        args.out.write_bytes(data)
        print(f"Wrote {len(frame)} {args.kind} row(s) to {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from portal.demo.load import database_is_empty, load_demo_world, load_scms, print_logins

    db, cli = _db(), _cli()
    if args.if_empty and not database_is_empty(db):
        print("The database already has data: demo not loaded.")
        print_logins(db)
        return EXIT_OK
    if args.scale:
        from portal.demo.scale import load_scale

        timings = load_scale(
            db,
            cli,
            args.scale,
            seed=args.seed,
            today=args.as_of,
            progress=lambda m: print(m, file=sys.stderr),
            run_sweep=not args.no_sweep,
        )
        report = f"Scale {args.scale} loaded: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    elif args.scms:
        report = load_scms(db, cli, args.scms, progress=lambda m: print(m, file=sys.stderr))
    else:
        report = load_demo_world(
            db, cli, seed=args.seed, today=args.as_of, progress=lambda m: print(m, file=sys.stderr)
        )
    print(report)
    print_logins(db)
    return EXIT_OK


def _sweep_notify(args: argparse.Namespace) -> int:
    from portal.services.notifications import sweep_and_notify

    run = sweep_and_notify(_db(), _cli(), args.as_of, lock_wait=args.lock_wait)
    print(run.summary())
    # Delivery failures are retried by the next run; only a failed plan needs a person now.
    planning_failed = run.plan is None
    if planning_failed:
        print(
            "error: notifications could not be planned (see above); the sweep itself is saved",
            file=sys.stderr,
        )
    return EXIT_REFUSED if planning_failed else EXIT_OK


def _scheduler(args: argparse.Namespace) -> int:
    import logging

    from portal.services.scheduler import minutes_from_env, run_forever

    minutes = args.every if args.every is not None else minutes_from_env()
    db = _db()
    # The schedule reports each run through logging: show the portal's on the console.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("portal").setLevel(logging.INFO)
    print(f"Running sweep --notify every {minutes} minute(s); Ctrl-C stops.", file=sys.stderr)
    run_forever(lambda: db, minutes, run_now=not args.no_run_now)
    return EXIT_OK


def _backtest(args: argparse.Namespace) -> int:
    from portal.core.backtest import format_table
    from portal.services.history import backtest_database, backtest_file

    if args.file:
        result = backtest_file(args.file, horizon_days=args.horizon)
    else:
        result = backtest_database(_db(), horizon_days=args.horizon)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_table(result))
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    import dataclasses

    from portal.sim.evaluate import format_text
    from portal.sim.factory import Dynamics, WorldParams
    from portal.sim.replay import run_evaluation

    params = WorldParams(
        seed=args.seed,
        suppliers=args.suppliers,
        lines=args.lines,
        weeks=args.weeks,
        order_weeks=args.order_weeks
        if args.order_weeks is not None
        else WorldParams.default_order_weeks(args.weeks),
    )
    dynamics = Dynamics(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Dynamics)})
    progress = (lambda m: print(m, file=sys.stderr)) if args.progress else None
    result = run_evaluation(params, dynamics, args.step_days, progress=progress)
    print(format_text(result))
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"Wrote the figures to {args.json}.", file=sys.stderr)
    if args.plot:
        from portal.sim.plots import evaluation_svg

        title = f"python -m portal evaluate --seed {args.seed}"
        args.plot.write_text(evaluation_svg(result.to_dict(), title), encoding="utf-8")
        print(f"Drew the figures in {args.plot}.", file=sys.stderr)
    return EXIT_OK
