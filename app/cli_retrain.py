"""``canhgiac cases``, ``canhgiac retrain`` and ``canhgiac models``: the case database, retraining
with the gate, and the model versions (registered on the ``canhgiac`` app in ``app.cli``)."""

from __future__ import annotations

import csv
import getpass
import json
import os
from pathlib import Path
from typing import Any

import typer

__all__ = ["cases_app", "models_app", "retrain"]

cases_app = typer.Typer(help="Labeled cases: import a file of them, export them.", no_args_is_help=True)
models_app = typer.Typer(
    help="Model versions: list them, activate one (roll back or forward), prune rejected ones.",
    no_args_is_help=True,
)
IMPORT_CHUNK = 1000
EXPORT_FIELDS = ("id", "text", "label", "channel", "source", "status", "created_by", "created_at")


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (a container): the uid will do
        user = str(os.getuid())
    return f"cli:{user}"


def _settings():
    from app.settings import SettingsError, get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        _fail(str(exc))


def _sessions(settings):
    """The store named by CANHGIAC_DATABASE_URL, migrated to the newest schema."""
    from app.store import init_db, make_engine, session_factory

    try:
        engine = make_engine(settings.database_url)
        init_db(engine)
    except Exception as exc:
        _fail(f"cannot open the database ({type(exc).__name__}: {exc}); check CANHGIAC_DATABASE_URL")
    return session_factory(engine)


def _model_dir(settings, model_dir: Path | None) -> Path:
    return Path(model_dir) if model_dir else settings.model_dir


# --- cases ---------------------------------------------------------------------------------------
@cases_app.command("import")
def cases_import(
    file: Path = typer.Argument(
        ..., help="JSONL ({text, label, channel?, source?} a line) or CSV with those columns."
    ),
    status: str = typer.Option(
        "proposed", "--status", help="proposed (to review) or accepted (trusted data)."
    ),
    source: str = typer.Option(
        None, "--source", help="Source of rows that name none (default: the file name)."
    ),
) -> None:
    """Add labeled messages as cases; bad lines and duplicates are reported by line number.

    Good lines are stored even when others are bad (importing again only reports them as
    duplicates); the exit code is 1 when any line was bad.
    """
    from app.store import StoreError, repo
    from training.data import DataError, read_labeled_records

    if status not in ("proposed", "accepted"):
        _fail(f"--status {status!r}: use proposed or accepted")
    try:
        good, bad = read_labeled_records(file)
    except DataError as exc:
        _fail(str(exc))
    sessions = _sessions(_settings())
    default_source = source or file.stem
    fields = ("text", "label", "channel", "source")
    stored = duplicates = 0
    problems = [(line, message) for line, message in bad]
    for start in range(0, len(good), IMPORT_CHUNK):
        chunk = good[start : start + IMPORT_CHUNK]
        items = [
            {k: rec[k] for k in fields if isinstance(rec.get(k), str) and rec[k].strip()} for _, rec in chunk
        ]
        try:
            with sessions.begin() as s:
                result = repo.add_cases(s, items, _who(), status=status, source=default_source)
        except StoreError as exc:
            _fail(f"the database refused the import: {exc}")
        stored += len(result.ids)
        for d in result.duplicates:
            duplicates += 1
            typer.echo(
                f"{file}:{chunk[d['index']][0]}: duplicate of case {d['existing_id']}, not stored", err=True
            )
        for e in result.errors:
            problems.append(
                (chunk[e["index"]][0], f"{file}:{chunk[e['index']][0]}: {e['field']}: {e['message']}")
            )
    for _, message in sorted(problems):
        typer.secho(message, err=True, fg=typer.colors.RED)
    typer.echo(f"{stored} case(s) stored as {status}, {duplicates} duplicate(s), {len(problems)} bad line(s)")
    if problems:
        raise typer.Exit(1)


def _cell(value: Any) -> Any:
    from app.chatlogs import excel_safe

    return excel_safe(value.isoformat() if hasattr(value, "isoformat") else value)


@cases_app.command("export")
def cases_export(
    output: Path = typer.Option(
        ..., "--output", "-o", help="A .jsonl or .csv file (CSV is safe to open in Excel)."
    ),
    status: str = typer.Option(None, "--status", help="Only cases with this status (e.g. accepted)."),
    label: str = typer.Option(None, "--label", help="Only cases with this label."),
) -> None:
    """Write cases (oldest first) to JSONL or CSV; the JSONL reads back with ``cases import``."""
    from sqlalchemy import select

    from app.store.models import CASE_STATUSES, Case
    from app.taxonomy import label_ids

    if status is not None and status not in CASE_STATUSES:
        _fail(f"--status {status!r} is not one of {', '.join(CASE_STATUSES)}")
    if label is not None and label not in label_ids():
        _fail(f"--label {label!r} is not in the taxonomy ({', '.join(label_ids())})")
    sessions = _sessions(_settings())
    as_csv = output.suffix.lower() == ".csv"
    tmp = output.with_name(f".{output.name}.tmp")
    n = 0
    try:
        with sessions() as s, open(tmp, "w", encoding="utf-8", newline="") as fh:
            q = select(Case).order_by(Case.id)
            if status is not None:
                q = q.where(Case.status == status)
            if label is not None:
                q = q.where(Case.label == label)
            writer = csv.DictWriter(fh, EXPORT_FIELDS) if as_csv else None
            if writer is not None:
                writer.writeheader()
            for case in s.scalars(q.execution_options(yield_per=1000)):
                row = {k: getattr(case, k) for k in EXPORT_FIELDS}
                if writer is not None:
                    writer.writerow({k: _cell(v) for k, v in row.items()})
                else:
                    row["created_at"] = row["created_at"].isoformat()
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        _fail(f"cannot write {output}: {exc}")
    typer.echo(f"{n} case(s) written to {output}")


# --- retraining ----------------------------------------------------------------------------------
def retrain(
    force: bool = typer.Option(False, "--force", help="Promote the candidate even if the gate rejects it."),
    config: Path = typer.Option(None, "--config", help="Training config (default: training/config.toml)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: --set model.C=1 (repeatable)."),
    model_dir: Path = typer.Option(
        None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
    ),
) -> None:
    """Retrain on the base data plus every accepted case, gate the candidate, promote it if it passes.

    The same job the API starts (POST /v1/models/retrain), run here in the foreground with its
    progress on stderr. Exit code 0: promoted; 1: rejected by the gate; 2: failed.
    """
    from app.store import JobAlreadyRunning, repo
    from training.data import DataError, load_config
    from training.retrain import run_job

    settings = _settings()
    try:
        cfg = load_config(config or settings.retrain_config, set_)
    except DataError as exc:
        _fail(str(exc))
    sessions = _sessions(settings)
    try:
        with sessions.begin() as s:
            failed = repo.fail_stale_jobs(s)
            job_id = repo.create_job(s, requested_by=_who(), force=force).id
    except JobAlreadyRunning as exc:
        _fail(
            f"retrain job {exc.job_id} is already running; follow it with GET /v1/jobs/{exc.job_id}", code=1
        )
    if failed:
        typer.echo(f"marked job(s) {failed} failed: their process is gone", err=True)
    typer.echo(f"retrain job {job_id}", err=True)
    try:
        outcome = run_job(
            job_id,
            sessions,
            model_dir=_model_dir(settings, model_dir),
            config=cfg,
            echo=lambda line: typer.echo(line, err=True),
        )
    except Exception as exc:
        _fail(f"retrain job {job_id} failed: {type(exc).__name__}: {exc}")
    checks = outcome["gate"]["checks"]
    for name, c in checks.items():
        figures = ", ".join(f"{k} {v}" for k, v in c.items() if k != "ok")
        typer.echo(f"gate {name}: {'ok' if c['ok'] else 'FAILED'} ({figures})")
    typer.echo(f"{outcome['decision']}: {outcome['candidate_version']}: {outcome['reason']}")
    if not outcome["promoted"]:
        raise typer.Exit(1)


# --- models --------------------------------------------------------------------------------------
@models_app.command("list")
def models_list(
    model_dir: Path = typer.Option(
        None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the versions as JSON."),
) -> None:
    """Every version, newest first: status, headline figures, who promoted it; * marks the one served."""
    from app.classifier import ModelError, active_version
    from app.registry import sync_registry
    from app.store import repo

    settings = _settings()
    folder = _model_dir(settings, model_dir)
    sessions = _sessions(settings)
    with sessions.begin() as s:
        sync_registry(s, folder)
        models = repo.list_models(s)
        try:
            serving = active_version(folder)
        except ModelError:
            serving = None
        rows = [
            {
                "version": m.version,
                "active": m.version == serving,
                "status": m.status,
                "created_at": m.created_at.isoformat(timespec="seconds"),
                "metrics": {k: v for k, v in (m.metrics or {}).items() if k != "gate"},
                "promoted_by": m.promoted_by,
                "parent": m.parent,
            }
            for m in models
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"model versions in {folder}")
    table.add_column("")
    table.add_column("version", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for col in ("real recall", "real legit FPR", "held-out recall"):
        table.add_column(col, justify="right")
    table.add_column("promoted by")

    def fmt(x: Any) -> str:
        return "–" if x is None else f"{x:.3f}"

    for r in rows:
        m = r["metrics"]
        table.add_row(
            "*" if r["active"] else "",
            r["version"],
            r["status"],
            fmt(m.get("real_recall")),
            fmt(m.get("real_legit_fpr")),
            fmt(m.get("heldout_recall")),
            r["promoted_by"] or "",
        )
    Console().print(table)


@models_app.command("prune")
def models_prune(
    keep: int = typer.Option(
        0, "--keep", min=0, help="Keep the folders of this many newest rejected versions."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be deleted."),
    model_dir: Path = typer.Option(
        None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
    ),
) -> None:
    """Delete the folders of retrain candidates the gate rejected (never the served one); the
    registry keeps their rows and figures."""
    from app.classifier import ModelError
    from app.registry import prune_rejected
    from app.store import StoreError

    settings = _settings()
    folder = _model_dir(settings, model_dir)
    sessions = _sessions(settings)
    try:
        with sessions.begin() as s:
            gone = prune_rejected(s, folder, keep=keep, dry_run=dry_run)
    except (StoreError, ModelError, OSError) as exc:
        _fail(str(exc))
    verb = "would delete" if dry_run else "deleted"
    if not gone:
        typer.echo(f"no rejected model folders to delete in {folder}")
    for version in gone:
        typer.echo(f"{verb} {folder / version}")


@models_app.command("activate")
def models_activate(
    version: str = typer.Argument(..., help="The version to serve (see canhgiac models list)."),
    model_dir: Path = typer.Option(
        None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
    ),
) -> None:
    """Serve VERSION from now on (roll back or forward); running servers swap it in within seconds."""
    from app.classifier import ModelError
    from app.registry import activate
    from app.store import StoreError

    settings = _settings()
    folder = _model_dir(settings, model_dir)
    sessions = _sessions(settings)
    try:
        with sessions.begin() as s:
            activate(s, folder, version, by=_who())
    except (StoreError, ModelError) as exc:
        _fail(str(exc))
    typer.echo(f"{version} is now the active model in {folder}")
