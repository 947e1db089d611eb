"""The periodic report (six months, a year): messages checked, scams by type and month, the
most frequent patterns, the entity list's growth, and the models in force; Markdown, CSV or HTML."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

__all__ = ["collect_report", "render_report", "FORMATS"]

FORMATS = ("md", "csv", "html")
TOP_PATTERNS = 15


def _bounds(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    return datetime.combine(day_from, time.min, UTC), datetime.combine(
        day_to + timedelta(days=1), time.min, UTC
    )


def _months(day_from: date, day_to: date) -> list[str]:
    out, y, m = [], day_from.year, day_from.month
    while (y, m) <= (day_to.year, day_to.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _label_name(label: str) -> str:
    from app.taxonomy import get_label

    try:
        return get_label(label).name["vi"]
    except KeyError:
        return label


def _pattern_names() -> dict[str, str]:
    try:
        from app.features import default_library

        return {p.id: p.name["vi"] for p in default_library().patterns}
    except Exception:  # the report still stands without the pattern library's names
        return {}


def _models(session, day_from: date, day_to: date, model_dir: Path | None) -> tuple[str, list[dict]]:
    """The models in force in the period: from the registry when it has promotions, else from
    the model folder's metadata."""
    from sqlalchemy import select

    from app.store.models import ModelVersion

    start, end = _bounds(day_from, day_to)
    promoted = list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.promoted_at.is_not(None), ModelVersion.promoted_at < end)
            .order_by(ModelVersion.promoted_at)
        )
    )
    if promoted:
        before = [m for m in promoted if m.promoted_at < start][-1:]
        within = [m for m in promoted if m.promoted_at >= start]
        return "registry", [
            {"version": m.version, "since": m.promoted_at.date().isoformat(), "status": m.status}
            for m in before + within
        ]
    if model_dir is None:
        return "none", []
    from app.classifier import active_version, list_versions

    try:
        active = active_version(model_dir)
    except Exception:
        active = None
    metas = [m for m in list_versions(model_dir) if (m.get("created") or "")[:10] <= day_to.isoformat()]
    before = [m for m in metas if (m.get("created") or "")[:10] < day_from.isoformat()][-1:]
    within = [m for m in metas if (m.get("created") or "")[:10] >= day_from.isoformat()]
    return "model folder", [
        {
            "version": m["version"],
            "since": (m.get("created") or "")[:10],
            "status": "active" if m["version"] == active else "trained",
        }
        for m in before + within
    ]


def collect_report(session, day_from: date, day_to: date, *, model_dir: Path | None = None) -> dict:
    """Every figure of the report for ``day_from``..``day_to`` (inclusive, UTC days)."""
    from sqlalchemy import func, select

    from app.store import Invalid, repo
    from app.store.models import SuspiciousEntity
    from app.taxonomy import scam_labels

    if day_to < day_from:
        raise Invalid("to", f"{day_to} is before from {day_from}")
    scams = set(scam_labels())
    rows = repo.stats_between(session, day_from, day_to)
    months = _months(day_from, day_to)
    by_month: dict[str, Counter] = {m: Counter() for m in months}
    by_verdict: Counter[str] = Counter()
    scam_types: Counter[str] = Counter()
    scam_types_by_month: dict[str, Counter] = defaultdict(Counter)
    channels: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        month = r.day.strftime("%Y-%m")
        by_verdict[r.verdict] += r.count
        by_month[month]["checked"] += r.count
        by_month[month][r.verdict] += r.count
        channels[r.channel]["checked"] += r.count
        if r.verdict == "scam":
            channels[r.channel]["scam"] += r.count
            if r.label in scams:
                scam_types[r.label] += r.count
                scam_types_by_month[month][r.label] += r.count
    pattern_rows = repo.pattern_stats_between(session, day_from, day_to)
    patterns: Counter[str] = Counter()
    for p in pattern_rows:
        patterns[p.pattern] += p.count
    names = _pattern_names() if patterns else {}
    start, end = _bounds(day_from, day_to)
    E = SuspiciousEntity
    added = session.execute(
        select(E.kind, func.count()).where(E.created_at >= start, E.created_at < end).group_by(E.kind)
    ).all()
    added_sources = session.execute(
        select(E.source, func.count()).where(E.created_at >= start, E.created_at < end).group_by(E.source)
    ).all()
    confirmed = session.execute(
        select(E.kind, func.count()).where(E.confirmed_at >= start, E.confirmed_at < end).group_by(E.kind)
    ).all()
    listed = session.execute(select(E.status, func.count()).group_by(E.status)).all()
    models_from, models = _models(session, day_from, day_to, model_dir)
    return {
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "checked": sum(by_verdict.values()),
        "by_verdict": {v: by_verdict.get(v, 0) for v in ("scam", "suspicious", "spam", "safe")},
        "scams_by_type": [
            {"label": lab, "name": _label_name(lab), "count": n} for lab, n in scam_types.most_common()
        ],
        "by_month": [
            {
                "month": m,
                "checked": by_month[m]["checked"],
                "scam": by_month[m]["scam"],
                "suspicious": by_month[m]["suspicious"],
                "by_type": dict(scam_types_by_month[m].most_common()),
            }
            for m in months
        ],
        "by_channel": [
            {"channel": ch, "checked": c["checked"], "scam": c["scam"]}
            for ch, c in sorted(channels.items(), key=lambda kv: -kv[1]["checked"])
        ],
        "patterns": [
            {"id": pid, "name": names.get(pid, pid), "count": n}
            for pid, n in patterns.most_common(TOP_PATTERNS)
        ],
        "patterns_note": (
            "Counted for verdicts made with an explanation (POST /v1/classify does by default; "
            "batches only when asked)."
        ),
        "entities": {
            "added": dict(sorted(added)),
            "added_total": sum(n for _, n in added),
            "added_by_source": {s or "unknown": n for s, n in sorted(added_sources, key=lambda r: -r[1])},
            "confirmed": dict(sorted(confirmed)),
            "confirmed_total": sum(n for _, n in confirmed),
            "listed_now": dict(sorted(listed)),
        },
        "models_from": models_from,
        "models": models,
    }


# -- rendering --------------------------------------------------------------------------------
def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "0%"


def render_md(r: dict) -> str:
    total = r["checked"]
    out = [
        f"# canhgiac report {r['from']} to {r['to']}",
        "",
        f"Generated {r['generated']}. Counts only: no message text is kept.",
        "",
        "## Messages checked",
        "",
        f"**{total}** messages checked: "
        + ", ".join(f"{v} {n} ({_pct(n, total)})" for v, n in r["by_verdict"].items())
        + ".",
        "",
        "## Scams by type",
        "",
        "| type | name | scams | share |",
        "|---|---|---:|---:|",
    ]
    scams = sum(t["count"] for t in r["scams_by_type"])
    out += [
        f"| {t['label']} | {t['name']} | {t['count']} | {_pct(t['count'], scams)} |"
        for t in r["scams_by_type"]
    ]
    out += ["", "## By month", "", "| month | checked | scam | suspicious |", "|---|---:|---:|---:|"]
    out += [f"| {m['month']} | {m['checked']} | {m['scam']} | {m['suspicious']} |" for m in r["by_month"]]
    if r["by_channel"]:
        out += ["", "## By channel", "", "| channel | checked | scam |", "|---|---:|---:|"]
        out += [f"| {c['channel']} | {c['checked']} | {c['scam']} |" for c in r["by_channel"]]
    out += ["", "## Most frequent patterns", ""]
    if r["patterns"]:
        out += ["| pattern | name | verdicts |", "|---|---|---:|"]
        out += [f"| {p['id']} | {p['name']} | {p['count']} |" for p in r["patterns"]]
        out += ["", r["patterns_note"]]
    else:
        out.append("No pattern counts in this period.")
    e = r["entities"]
    out += [
        "",
        "## Suspicious-entity list",
        "",
        f"Added in the period: **{e['added_total']}** "
        + (f"({', '.join(f'{k} {n}' for k, n in e['added'].items())})" if e["added"] else ""),
        "",
        f"Confirmed in the period: **{e['confirmed_total']}** "
        + (f"({', '.join(f'{k} {n}' for k, n in e['confirmed'].items())})" if e["confirmed"] else ""),
        "",
        "Added by source: " + (", ".join(f"{s} {n}" for s, n in e["added_by_source"].items()) or "none"),
        "",
        "Listed now: " + (", ".join(f"{s} {n}" for s, n in e["listed_now"].items()) or "none"),
        "",
        f"## Models in force (from the {r['models_from']})",
        "",
    ]
    if r["models"]:
        out += ["| version | since | status |", "|---|---|---|"]
        out += [f"| {m['version']} | {m['since']} | {m['status']} |" for m in r["models"]]
    else:
        out.append("No model information.")
    return "\n".join(out) + "\n"


class _SafeWriter:
    """A cell starting with = + - @ is a formula to a spreadsheet: write it as text."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def writerow(self, row: list) -> None:
        self.writer.writerow(
            [("'" + c if isinstance(c, str) and c.startswith(("=", "+", "-", "@")) else c) for c in row]
        )


def render_csv(r: dict) -> str:
    """One figure a row: ``section,key,subkey,value`` (opens in a spreadsheet, easy to pivot)."""
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow(["section", "key", "subkey", "value"])
    w.writerow(["period", r["from"], r["to"], ""])
    w.writerow(["checked", "total", "", r["checked"]])
    for v, n in r["by_verdict"].items():
        w.writerow(["by_verdict", v, "", n])
    for t in r["scams_by_type"]:
        w.writerow(["scams_by_type", t["label"], t["name"], t["count"]])
    for m in r["by_month"]:
        for k in ("checked", "scam", "suspicious"):
            w.writerow(["by_month", m["month"], k, m[k]])
        for lab, n in m["by_type"].items():
            w.writerow(["scams_by_month_type", m["month"], lab, n])
    for c in r["by_channel"]:
        w.writerow(["by_channel", c["channel"], "checked", c["checked"]])
        w.writerow(["by_channel", c["channel"], "scam", c["scam"]])
    for p in r["patterns"]:
        w.writerow(["patterns", p["id"], p["name"], p["count"]])
    e = r["entities"]
    for k, n in e["added"].items():
        w.writerow(["entities_added", k, "", n])
    for k, n in e["confirmed"].items():
        w.writerow(["entities_confirmed", k, "", n])
    for s, n in e["listed_now"].items():
        w.writerow(["entities_listed_now", s, "", n])
    for m in r["models"]:
        w.writerow(["models", m["version"], m["since"], m["status"]])
    return buf.getvalue()


def _svg_bars(months: list[dict]) -> str:
    """Checked and scam messages per month as grouped bars, inline SVG (no script, no font files)."""
    width, height, pad_l, pad_b, pad_t = 720, 260, 48, 40, 16
    top = max([m["checked"] for m in months] + [1])
    n = max(len(months), 1)
    slot = (width - pad_l - 8) / n
    bar = max(min(slot / 2 - 4, 40), 2)
    plot_h = height - pad_b - pad_t
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Tin nhắn đã kiểm tra và tin lừa đảo theo tháng" class="chart">',
        f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - 4}" y2="{height - pad_b}" stroke="#444"/>',
        f'<text x="{pad_l - 6}" y="{pad_t + 4}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{pad_l - 6}" y="{height - pad_b}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, m in enumerate(months):
        x = pad_l + i * slot + (slot - 2 * bar - 2) / 2
        for j, (key, color) in enumerate((("checked", "#8aa9c9"), ("scam", "#c0392b"))):
            h = plot_h * m[key] / top
            y = height - pad_b - h
            parts.append(
                f'<rect class="bar-{key}" x="{x + j * (bar + 2):.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{html.escape(m["month"])}: {key} {m[key]}</title></rect>'
            )
        parts.append(
            f'<text x="{pad_l + i * slot + slot / 2:.1f}" y="{height - pad_b + 16}" text-anchor="middle" '
            f'font-size="11">{html.escape(m["month"])}</text>'
        )
    parts.append(
        f'<rect x="{width - 190}" y="4" width="10" height="10" fill="#8aa9c9"/>'
        f'<text x="{width - 176}" y="13" font-size="11">đã kiểm tra / checked</text>'
        f'<rect x="{width - 190}" y="20" width="10" height="10" fill="#c0392b"/>'
        f'<text x="{width - 176}" y="29" font-size="11">lừa đảo / scam</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list], numeric_from: int = 1) -> str:
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{e(str(c))}</td>' if i >= numeric_from else f"<td>{e(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(r: dict) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, fonts or other requests."""
    e = html.escape
    total = r["checked"]
    ent = r["entities"]
    sections = [
        f"<h1>Báo cáo canhgiac {e(r['from'])} – {e(r['to'])}</h1>",
        f'<p class="muted">Tạo lúc {e(r["generated"])}. Chỉ có số đếm, không lưu nội dung tin nhắn.</p>',
        "<h2>Tin nhắn đã kiểm tra</h2>",
        f"<p><strong>{total}</strong> tin nhắn.</p>",
        _table(["kết luận", "số tin", "tỉ lệ"], [[v, n, _pct(n, total)] for v, n in r["by_verdict"].items()]),
        "<h2>Theo tháng</h2>",
        _svg_bars(r["by_month"]),
        _table(
            ["tháng", "đã kiểm tra", "lừa đảo", "đáng ngờ"],
            [[m["month"], m["checked"], m["scam"], m["suspicious"]] for m in r["by_month"]],
        ),
        "<h2>Lừa đảo theo loại</h2>",
        _table(
            ["loại", "tên", "số tin"], [[t["label"], t["name"], t["count"]] for t in r["scams_by_type"]], 2
        ),
    ]
    if r["by_channel"]:
        sections += [
            "<h2>Theo kênh</h2>",
            _table(
                ["kênh", "đã kiểm tra", "lừa đảo"],
                [[c["channel"], c["checked"], c["scam"]] for c in r["by_channel"]],
            ),
        ]
    sections.append("<h2>Thủ đoạn gặp nhiều nhất</h2>")
    if r["patterns"]:
        sections += [
            _table(["mẫu", "tên", "số tin"], [[p["id"], p["name"], p["count"]] for p in r["patterns"]], 2),
            f'<p class="muted">{e(r["patterns_note"])}</p>',
        ]
    else:
        sections.append("<p>Chưa có số đếm thủ đoạn trong kỳ này.</p>")
    sections += [
        "<h2>Danh sách đối tượng đáng ngờ</h2>",
        f"<p>Thêm trong kỳ: <strong>{ent['added_total']}</strong>; xác nhận trong kỳ: "
        f"<strong>{ent['confirmed_total']}</strong>.</p>",
        _table(
            ["loại", "thêm", "xác nhận"],
            [
                [k, ent["added"].get(k, 0), ent["confirmed"].get(k, 0)]
                for k in sorted({*ent["added"], *ent["confirmed"]})
            ],
        ),
        _table(["nguồn", "thêm"], [[s, n] for s, n in ent["added_by_source"].items()]),
        _table(["trạng thái hiện tại", "số"], [[s, n] for s, n in ent["listed_now"].items()]),
        f'<h2>Mô hình đang dùng <span class="muted">(theo {e(r["models_from"])})</span></h2>',
        _table(
            ["phiên bản", "từ ngày", "trạng thái"],
            [[m["version"], m["since"], m["status"]] for m in r["models"]],
            3,
        ),
    ]
    style = (
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:860px;margin:2em auto;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;"
        "padding:.3em .8em;text-align:left}td.num{text-align:right}.muted{color:#777;font-size:.9em}"
        ".chart{width:100%;height:auto;max-width:720px}"
    )
    return (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>canhgiac {e(r['from'])} – {e(r['to'])}</title><style>{style}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def render_report(report: dict, fmt: str) -> str:
    """``report`` (from :func:`collect_report`) as ``md``, ``csv`` or ``html``."""
    renderers = {"md": render_md, "csv": render_csv, "html": render_html}
    if fmt not in renderers:
        raise ValueError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    return renderers[fmt](report)
