"""``canhgiac entities ...`` and ``canhgiac report``: the suspicious-entity list and the periodic
report, over ``app.entities``, ``app.report`` and the store (registered by ``app.cli``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["entities_app", "report"]

ModelDirOpt = typer.Option(
    None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
)


def _fail(message: str, code: int = 2) -> None:
    """Print a one-line error to stderr and exit (never a traceback for a user mistake)."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


# --- the suspicious-entity list and the periodic report -----------------------------------------
entities_app = typer.Typer(
    help="The suspicious-entity list: import blocklists, report, confirm or clear, look up.",
    no_args_is_help=True,
)


def _store():
    """The session factory of the configured database, migrated to the newest schema."""
    from app.settings import SettingsError, get_settings
    from app.store import StoreError, init_db, make_engine, session_factory

    try:
        engine = make_engine(get_settings().database_url)
        init_db(engine)
    except (SettingsError, StoreError) as exc:
        _fail(str(exc))
    return session_factory(engine)


def _day(value: str | None, option: str):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date; write YYYY-MM-DD")


def _entity_json(e) -> str:
    from app.api.routes.entities import entity_public

    return json.dumps(entity_public(e), ensure_ascii=False, default=str)


@entities_app.command("import")
def entities_import(
    file: Path = typer.Argument(
        ..., help="One host or link a line (hosts-file lines and # comments are fine)."
    ),
    source: str = typer.Option(..., "--source", help="Where the list comes from, e.g. chongluadao."),
    day: str = typer.Option(None, "--date", help="When the list was taken, YYYY-MM-DD (default: today)."),
    status: str = typer.Option("reported", "--status", help="reported, or confirmed for a vetted list."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, max=100_000),
) -> None:
    """Import a blocklist of hosts and links, streamed and in batches; prints counts and bad lines."""
    from app.entities import import_list
    from app.store import Invalid

    if status not in ("reported", "confirmed"):
        _fail(f"--status {status!r} is not one of reported, confirmed")
    if not file.is_file():
        _fail(f"{file} is not a file")
    when = _day(day, "--date")
    try:
        report = import_list(_store(), file, source=source, day=when, status=status, batch_size=batch_size)
    except Invalid as exc:
        _fail(str(exc))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


@entities_app.command("check")
def entities_check(
    values: list[str] = typer.Argument(..., help="Phones, accounts, links, domains, handles."),
) -> None:
    """Look values up in the list, as GET /v1/entities/check does; one JSON line each."""
    from app.entities import GuessError, LiveIndex, check
    from app.store import Invalid

    index = LiveIndex(_store()).get()
    for v in values:
        try:
            typer.echo(json.dumps(check(index, v), ensure_ascii=False))
        except (GuessError, Invalid) as exc:
            typer.echo(json.dumps({"value": v, "known": False, "error": str(exc)}, ensure_ascii=False))


@entities_app.command("add")
def entities_add(
    value: str = typer.Argument(..., help="e.g. 'Vietcombank 0071 000 986 547', vcb-xacthuc.icu, @hotro_vcb"),
    kind: str = typer.Option(None, "--kind", help="bank_account, ewallet, phone, domain, url or handle."),
    bank: str = typer.Option(None, "--bank", help="The bank or e-wallet, when the value omits it."),
    status: str = typer.Option(None, "--status", help="reported or confirmed."),
    reason: str = typer.Option(None, "--reason", help="Why it is listed."),
    source: str = typer.Option("cli", "--source", help="Where the report comes from."),
) -> None:
    """Report an entity (or one more report of it); --status confirmed confirms it."""
    from app.entities import GuessError, storable
    from app.store import Invalid, repo

    if status not in (None, "reported", "confirmed"):
        _fail(f"--status {status!r} is not one of reported, confirmed")
    Session = _store()
    try:
        k, v, b = storable(value, kind, bank)
        with Session.begin() as s:
            e = repo.upsert_entity(
                s, k, v, bank=b, source=source, reason=reason, display=value, reporter="cli"
            )
            if status and status != e.status:
                e = repo.set_entity_status(s, e.id, status, reason=reason)
    except (GuessError, Invalid) as exc:
        _fail(str(exc))
    typer.echo(_entity_json(e))


@entities_app.command("set-status")
def entities_set_status(
    entity_id: int = typer.Argument(..., help="The entity's id."),
    status: str = typer.Argument(..., help="confirmed, reported or cleared."),
    reason: str = typer.Option(None, "--reason", help="Why; required to clear a false report."),
) -> None:
    """Confirm an entity, or clear a false report (with --reason)."""
    from app.store import Invalid, NotFound, repo

    if status == "cleared" and not (reason or "").strip():
        _fail("clearing an entity needs --reason (who checked it and how)")
    try:
        with _store().begin() as s:
            e = repo.set_entity_status(s, entity_id, status, reason=reason)
    except (Invalid, NotFound) as exc:
        _fail(str(exc))
    typer.echo(_entity_json(e))


@entities_app.command("from-case")
def entities_from_case(case_id: int = typer.Argument(..., help="An accepted scam case.")) -> None:
    """Add what an accepted scam case names (accounts, numbers, links, handles) as reported."""
    from app.entities import add_entities_from_case
    from app.store import NotFound, repo

    try:
        with _store().begin() as s:
            case = repo.get_case(s, case_id)
            if case.status != "accepted":
                _fail(f"case {case_id} is {case.status}; only accepted cases add entities")
            added = add_entities_from_case(s, case.text, case.label, case.id, reporter="cli")
            lines = [_entity_json(e) for e in added]
    except NotFound as exc:
        _fail(str(exc))
    for line in lines:
        typer.echo(line)
    typer.echo(f"{len(lines)} entities from case {case_id}", err=True)


def report(
    day_from: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC)."),
    day_to: str = typer.Option(..., "--to", help="Last day, inclusive."),
    fmt: str = typer.Option("md", "--format", help="md, csv or html (one page, inline chart)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of standard output."),
    model_dir: Path = ModelDirOpt,
) -> None:
    """The periodic report: messages checked, scams by type and month, patterns, entities, models."""
    from app.report import FORMATS, collect_report, render_report
    from app.settings import get_settings
    from app.store import Invalid

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    start, end = _day(day_from, "--from"), _day(day_to, "--to")
    try:
        with _store()() as s:
            data = collect_report(s, start, end, model_dir=model_dir or get_settings().model_dir)
    except Invalid as exc:
        _fail(str(exc))
    text = render_report(data, fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"report written to {output}", err=True)
