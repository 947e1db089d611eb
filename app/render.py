"""Readable terminal output for a verdict (Rich), with the evidence highlighted in the text."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

__all__ = ["print_verdict", "VERDICT_VI"]

VERDICT_VI = {"scam": "LỪA ĐẢO", "suspicious": "ĐÁNG NGỜ", "spam": "TIN RÁC", "safe": "AN TOÀN"}
_STYLE = {
    "scam": "bold white on red",
    "suspicious": "bold black on yellow",
    "spam": "bold white on blue",
    "safe": "bold white on green",
}
_SPAN_STYLE = {"pattern": "bold black on yellow", "red_flag": "bold white on red", "entity": "underline"}


def _spans(verdict: dict) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    exp = verdict.get("explanation") or {}
    for p in exp.get("patterns", []):
        out += [(s["start"], s["end"], "pattern") for s in p.get("spans", [])]
    for f in exp.get("red_flags", []):
        if f.get("start") is not None:
            out.append((f["start"], f["end"], "red_flag"))
    if not out:
        out = [(e["start"], e["end"], "entity") for e in verdict.get("entities", [])]
    return out


def print_verdict(text: str, verdict: dict, console: Console | None = None) -> None:
    """Print the verdict banner, the message with its evidence highlighted, and the advice."""
    console = console or Console()
    v = verdict["verdict"]
    head = Text(f" {VERDICT_VI[v]} ", style=_STYLE[v])
    head.append(f"  {verdict['label_name']['vi']} ({verdict['label']})", style="bold")
    head.append(f"   nguy cơ lừa đảo {verdict['risk_score']:.0%}")
    if v == "suspicious":
        head.append(f"   giống nhất: {verdict['scam_type']}", style="italic")
    body = Text(text)
    for start, end, kind in sorted(_spans(verdict)):
        if 0 <= start < end <= len(text):
            body.stylize(_SPAN_STYLE[kind], start, end)
    console.print(head)
    console.print(Panel(body, title="Tin nhắn", title_align="left"))
    exp = verdict.get("explanation") or {}
    if exp.get("summary"):
        console.print(Text("Vì sao: ", style="bold") + Text(exp["summary"]))
    for p in exp.get("patterns", []):
        console.print(
            Text(f"  • {p['name']['vi']} ", style="bold yellow")
            + Text(f"[{p['id']}] {p['description']['vi']}")
        )
    for f in exp.get("red_flags", []):
        console.print(Text(f"  ⚑ {f['reason']}", style="red") + Text(f"  {f.get('value', '')}"))
    advice = verdict.get("advice") or {}
    for line in advice.get("vi", []):
        console.print(Text(f"  → {line}", style="green"))
    console.print(Text(f"model {verdict['model_version']}", style="dim"))
