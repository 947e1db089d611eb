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
        return Classifier.from_dir(model_dir, version)
    except ModelError as exc:
        _fail(str(exc))


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
    inputs: list[Path] = typer.Argument(..., help='JSONL files with one {"id", "text", ...} object a line.'),
    output: Path = typer.Option(..., "--output", "-o", help="Write one result line per input line here."),
    errors: Path = typer.Option(
        None, "--errors", help="Bad input lines go here (default: OUTPUT.errors.jsonl)."
    ),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64, help="Processes to score with."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, max=100_000),
    explain: bool = typer.Option(False, "--explain", help="Add the explanation to flagged messages."),
    max_chars: int = typer.Option(10_000, "--max-chars", help="Longer texts are reported as errors."),
    model_dir: Path = ModelDirOpt,
    version: str = VersionOpt,
) -> None:
    """Score many messages from JSONL, in order, with a progress bar; bad lines go to an error file."""
    from app.bulk import run_score

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
        )
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(stats, ensure_ascii=False), err=True)


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
    import uvicorn

    typer.echo(
        f"canhgiac: serving model {version} on http://{host}:{port} (docs: /docs), {workers} worker(s)",
        err=True,
    )
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,  # the app writes its own access log, without message text
        log_level=settings.log_level.lower(),
        server_header=False,
    )


def main() -> None:  # the console-script entry point
    app()


if __name__ == "__main__":
    main()
