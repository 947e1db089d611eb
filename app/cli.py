"""The ``canhgiac`` command: a thin layer over the text layer, the service and training."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(
    name="canhgiac",
    help=(
        "canhgiac (cảnh giác) tells whether a Vietnamese message is a scam, which kind, and why.\n\n"
        'Start with:  canhgiac classify "Tin nhắn cần kiểm tra"'
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root() -> None:
    """canhgiac: check Vietnamese messages for scams."""


def _fail(message: str, code: int = 2) -> None:
    """Print a one-line error to stderr and exit (never a traceback for a user mistake)."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _read_text(text: str) -> str:
    if text == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            _fail(f"standard input is not valid UTF-8 (byte {exc.start}); save the text as UTF-8 and retry")
    return text


@app.command()
def normalize(
    text: str = typer.Argument(..., help='The message, or "-" to read it from standard input.'),
    segment: bool = typer.Option(False, "--segment", help="Also show underthesea word segmentation."),
) -> None:
    """Show how a message is normalized: clean text, diacritic-free form, entities with spans."""
    from app.text import normalize as _normalize

    n = _normalize(_read_text(text))
    out = n.to_dict()
    if segment:
        out["segmented"] = n.segmented()
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


# --- model ----------------------------------------------------------------------------------
ModelDirOpt = typer.Option(
    None, "--model-dir", envvar="CANHGIAC_MODEL_DIR", help="Folder with model versions."
)
VersionOpt = typer.Option(None, "--version", help="Model version (default: the active one).")


def _load_classifier(model_dir: Path | None, version: str | None):
    from app.classifier import ModelError
    from app.service import Classifier

    try:
        clf = Classifier.from_dir(model_dir, version)
    except ModelError as exc:
        _fail(str(exc))
    _attach_entity_list(clf)
    return clf


def _attach_entity_list(clf) -> None:
    """Let verdicts consult the suspicious-entity list when a database holds one (the default
    SQLite file exists, or CANHGIAC_DATABASE_URL names a database)."""
    from app.entities import index_from_database
    from app.settings import SettingsError, get_settings

    try:
        clf.entity_index = index_from_database(get_settings().database_url)
    except SettingsError:
        return
    except Exception as exc:  # a verdict without the list beats no verdict
        typer.secho(f"warning: the entity list is not used ({type(exc).__name__})", err=True, fg="yellow")


@app.command()
def train(
    config: Path = typer.Option(None, "--config", help="Training config (default: training/config.toml)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: --set model.C=1 (repeatable)."),
    model_dir: Path = typer.Option(None, "--model-dir", help="Write the model here (default from config)."),
    activate: bool = typer.Option(True, "--activate/--no-activate", help="Make the new version active."),
) -> None:
    """Train a model from the corpus and the shared data, evaluate it, write model/<version>/."""
    from training.data import DataError, load_config
    from training.train import train as _train

    try:
        cfg = load_config(config, set_)
        if model_dir is not None:
            cfg["output"]["model_dir"] = str(model_dir)
        path, meta = _train(cfg, activate=activate, log=lambda m: typer.echo(m, err=True))
    except (DataError, ValueError) as exc:
        _fail(str(exc))
    test = meta["metrics"]["test"]
    for origin in ("real", "authored", "generated"):
        if origin in test:
            b = test[origin]["binary_at_scam"]
            typer.echo(
                f"test/{origin}: recall {b['recall']:.3f}  precision {b['precision']:.3f}  "
                f"legit FPR {test[origin].get('legit_fpr_at_scam', 0):.4f}"
            )
    if "heldout" in meta["metrics"]:
        b = meta["metrics"]["heldout"]["heldout"]["binary_at_scam"]
        typer.echo(f"held-out authored: recall {b['recall']:.3f}  precision {b['precision']:.3f}")
    typer.echo(f"model written to {path}; report: {path / 'report.md'}")


@app.command()
def evaluate(
    data: list[Path] = typer.Option(..., "--data", help="Labeled JSONL or CSV (text, label); repeatable."),
    model_dir: Path = ModelDirOpt,
    version: str = VersionOpt,
    report: Path = typer.Option(None, "--report", help="Also write a markdown report here."),
    as_json: bool = typer.Option(False, "--json", help="Print every figure as JSON."),
) -> None:
    """Evaluate a model on labeled messages: per label, scam vs not, robustness, worst mistakes."""
    from training.data import DataError, load_labeled_file
    from training.evaluate import evaluate_rows, render_report

    clf = _load_classifier(model_dir, version)
    rows = []
    try:
        for path in data:
            rows += load_labeled_file(path, origin="case")
    except DataError as exc:
        _fail(str(exc))
    ev = evaluate_rows(clf.bundle, rows, clf.thresholds, clf.classes)
    if as_json:
        typer.echo(json.dumps(ev, ensure_ascii=False, indent=2))
    else:
        b = ev["all"]["binary_at_scam"]
        typer.echo(f"{len(rows)} rows, model {clf.version}")
        typer.echo(
            f"scam vs not: precision {b['precision']:.3f} recall {b['recall']:.3f} F1 {b['f1']:.3f} "
            f"FPR {b['fpr']:.4f}"
        )
        typer.echo(f"scam-type macro-F1: {ev['all']['scam_type_macro_f1']}")
        for name in ("no_diacritics", "leetspeak"):
            r = ev[name]["all"]["binary_at_scam"]["recall"]
            typer.echo(f"recall with {name.replace('_', ' ')}: {r:.3f}")
    if report:
        meta = {
            "version": clf.version,
            "created": clf.bundle.meta.get("created"),
            "thresholds": clf.thresholds,
        }
        report.write_text(render_report(meta, {"data": ev}, show_text=False), encoding="utf-8")
        typer.echo(f"report written to {report}", err=True)


@app.command()
def classify(
    text: str = typer.Argument(..., help='The message, or "-" to read it from standard input.'),
    as_json: bool = typer.Option(False, "--json", help="Print the full verdict object as JSON."),
    model_dir: Path = ModelDirOpt,
    version: str = VersionOpt,
) -> None:
    """Say whether a message is a scam, which kind, and why."""
    text = _read_text(text)
    if not text.strip():
        _fail("the message is empty")
    clf = _load_classifier(model_dir, version)
    v = clf.classify(text)
    if as_json:
        typer.echo(json.dumps(v, ensure_ascii=False, indent=2))
        return
    from app.render import print_verdict

    print_verdict(text, v)


@app.command()
def score(
    inputs: list[Path] = typer.Argument(
        ..., help='JSONL files ({"id", "text", ...} a line) or chat-log exports (files or folders).'
    ),
    output: Path = typer.Option(..., "--output", "-o", help="One result per message, in input order."),
    output_format: str = typer.Option(
        "jsonl", "--output-format", help="jsonl, or csv (safe to open in Excel)."
    ),
    fmt: str = typer.Option(
        None,
        "--format",
        help="Force the input format: jsonl, telegram, messenger, whatsapp, zalo, zalo_text, csv.",
    ),
    text_column: str = typer.Option(None, "--text-column", help="CSV: the column that holds the message."),
    summary: Path = typer.Option(
        None, "--summary", help="Per-conversation and per-sender summary (.json or .md)."
    ),
    errors: Path = typer.Option(
        None, "--errors", help="Bad input records go here (default: OUTPUT.errors.jsonl)."
    ),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64, help="Processes to score with."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, max=100_000),
    explain: bool = typer.Option(False, "--explain", help="Add the explanation to flagged messages."),
    max_chars: int = typer.Option(
        10_000, "--max-chars", min=1, help="Longer messages are reported as errors."
    ),
    model_dir: Path = ModelDirOpt,
    version: str = VersionOpt,
) -> None:
    """Score many messages with a progress bar; bad records go to an error file, never silently dropped."""
    from app.bulk import run_score
    from app.chatlogs import ChatlogError
    from app.classifier import ModelError

    if fmt is not None and fmt not in (
        "jsonl",
        "telegram",
        "messenger",
        "whatsapp",
        "zalo",
        "zalo_text",
        "csv",
    ):
        _fail(f"--format {fmt!r} is not one of jsonl, telegram, messenger, whatsapp, zalo, zalo_text, csv")
    clf = _load_classifier(model_dir, version)  # with the entity list, when there is one
    try:
        stats = run_score(
            inputs,
            output,
            errors_path=errors,
            workers=workers,
            batch_size=batch_size,
            explain=explain,
            max_chars=max_chars,
            model_dir=model_dir,
            version=version,
            fmt=fmt,
            text_column=text_column,
            output_format=output_format,
            summary_path=summary,
            classifier=clf,
        )
    except (OSError, ValueError, ChatlogError, ModelError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(stats, ensure_ascii=False, default=str), err=True)


patterns_app = typer.Typer(
    help="The scam-pattern library: list it, test it (like SpamAssassin's mass-check).", no_args_is_help=True
)
app.add_typer(patterns_app, name="patterns")


def _library():
    from app.patterns import PatternError, load_library

    try:
        return load_library()
    except PatternError as exc:
        _fail(str(exc))


@patterns_app.command("list")
def patterns_list(as_json: bool = typer.Option(False, "--json", help="Print the patterns as JSON.")) -> None:
    """List every reported pattern with its label, weight and Vietnamese name."""
    lib = _library()
    rows = [p for p in lib.patterns if not p.is_sub]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "label": p.label,
                        "weight": p.weight,
                        "name": p.name,
                        "description": p.description,
                        "file": str(p.file),
                    }
                    for p in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} patterns, library {lib.content_hash[:12]}")
    for col in ("id", "label", "weight", "name"):
        table.add_column(col)
    for p in rows:
        table.add_row(p.id, p.label, f"{p.weight:g}", p.name["vi"])
    Console().print(table)


@patterns_app.command("test")
def patterns_test(
    data: list[Path] = typer.Option([], "--data", help="Labeled JSONL files (default: data/corpus/*.jsonl)."),
) -> None:
    """Run every example and counter-example, then per-pattern hit rates on scam vs legit data."""
    from app.patterns import check_library
    from app.taxonomy import scam_labels
    from app.text import normalize
    from training.data import ROOT, DataError, load_labeled_file

    lib = _library()
    results = check_library(lib)
    failed = [r for r in results if r["examples_hit"] < r["examples_total"] or r["counter_hits"]]
    files = data or sorted((ROOT / "data" / "corpus").glob("*.jsonl"))
    try:
        rows = [r for f in files for r in load_labeled_file(f, origin="authored")]
    except DataError as exc:
        _fail(str(exc))
    scams = set(scam_labels())
    n_scam = sum(r.label in scams for r in rows)
    n_legit = sum(r.label == "legit" for r in rows)
    hits: dict[str, list[int]] = {}
    for r in rows:
        for h in lib.match(normalize(r.text)):
            c = hits.setdefault(h.id, [0, 0, 0])
            c[0 if r.label in scams else (1 if r.label == "legit" else 2)] += 1
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mass-check on {n_scam} scam and {n_legit} legit messages")
    for col in ("id", "label", "examples", "counter hits", "scam %", "legit %", "S/O"):
        table.add_column(col, justify="right" if col != "id" else "left")
    for r in results:
        c = hits.get(r["id"], [0, 0, 0])
        s = c[0] / max(n_scam, 1)
        o = c[1] / max(n_legit, 1)
        so = s / (s + o) if s + o else 0.0
        table.add_row(
            r["id"],
            lib.get(r["id"]).label,
            f"{r['examples_hit']}/{r['examples_total']}",
            str(r["counter_hits"]),
            f"{100 * s:.2f}",
            f"{100 * o:.2f}",
            f"{so:.2f}",
        )
    Console().print(table)
    if failed:
        _fail(
            f"{len(failed)} pattern(s) miss an example or hit a counter-example: "
            + ", ".join(r["id"] for r in failed),
            code=1,
        )


# --- the suspicious-entity list and the periodic report (app/cli_entities.py) ---------------------
from app.cli_entities import entities_app, report  # noqa: E402  (they register on this app's Typer)

app.add_typer(entities_app, name="entities")
app.command()(report)


# --- service ------------------------------------------------------------------------------------
_PROM_FILES = ("counter_", "gauge_", "histogram_", "summary_")


def _prepare_multiprocess_metrics(workers: int) -> None:
    """Give the workers one folder for their metric files, so /metrics adds them all up."""
    import os
    import tempfile

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        # files from an earlier run would be added to this run's figures
        for f in path.glob("*.db"):
            if f.name.startswith(_PROM_FILES):
                f.unlink()
    elif workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="canhgiac-metrics-")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64, help="Worker processes."),
    reload: bool = typer.Option(False, "--reload", help="Restart when the code changes (development)."),
) -> None:
    """Serve the HTTP API (docs at /docs) with uvicorn; settings come from CANHGIAC_* variables."""
    from app.classifier import ModelError, active_version
    from app.settings import SettingsError, get_settings

    if reload and workers > 1:
        _fail("--reload runs a single process; drop --workers or --reload")
    try:
        settings = get_settings()
    except SettingsError as exc:
        _fail(str(exc))
    try:  # say what is wrong before the workers start and each print a traceback
        version = active_version(settings.model_dir)
    except ModelError as exc:
        _fail(str(exc))
    _prepare_multiprocess_metrics(workers)
    from app.api.server import run

    typer.echo(
        f"canhgiac: starting with model {version} on http://{host}:{port} (docs: /docs), {workers} worker(s)",
        err=True,
    )
    try:
        run(host, port, workers, settings.log_level, reload=reload)
    except ModelError as exc:  # the model named by ACTIVE cannot be loaded
        _fail(str(exc))
    except OSError as exc:  # the address is taken, or not ours to listen on
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


# --- cases, retraining and model versions (app/cli_retrain.py) -----------------------------------
from app.cli_retrain import cases_app, models_app, retrain  # noqa: E402  (they register on this app)

app.add_typer(cases_app, name="cases")
app.add_typer(models_app, name="models")
app.command()(retrain)


def main() -> None:  # the console-script entry point
    app()


if __name__ == "__main__":
    main()
