"""The ``canhgiac`` command: a thin layer over the text layer, the service and training."""

from __future__ import annotations

import json
import sys

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


def main() -> None:  # the console-script entry point
    app()


if __name__ == "__main__":
    main()
