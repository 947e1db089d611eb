"""A large synthetic Telegram export for benchmarks: ``python -m training.gen_chatlog out.json -n 1000000``.

The file is written message by message, so generating a few GB holds only one message in
memory. Texts cycle through invented Vietnamese chat lines (ordinary and scam scripts),
with the export's quirks: entity lists, ``text_link``, service messages, photos.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["generate_telegram_export"]

_LINES = (
    "Tối nay mấy giờ cả nhà ăn cơm vậy?",
    "Con về muộn một chút nhé mẹ, đang tắc đường.",
    "Việc nhẹ lương cao, chỉ cần thả tim video, mỗi nhiệm vụ 50.000đ.",
    "Nhiệm vụ combo cần nạp 2.000.000đ vào STK 0451000123456 để rút gốc và hoa hồng.",
    "Anh ơi mai họp lúc 9 giờ ở phòng 302 nhé.",
    "Chúc mừng bạn đã trúng thưởng iPhone 15, nộp phí vận chuyển 350.000đ để nhận quà.",
    "Ok em, cảm ơn nhiều nha!",
    "Tài khoản của quý khách sắp bị khóa, xác thực tại vcb-xacminh.com ngay.",
)
_SENDERS = ("Mẹ", "Hoàng Minh", "Lan CSKH", "Trợ lý Vy", "Anh Tuấn", "Cô Mai")


def _message(i: int, rng: random.Random, start: datetime) -> dict:
    when = start + timedelta(seconds=37 * i)
    msg: dict = {
        "id": i,
        "type": "message",
        "date": (when + timedelta(hours=7)).replace(tzinfo=None).isoformat(),
        "date_unixtime": str(int(when.timestamp())),
        "from": rng.choice(_SENDERS),
        "from_id": f"user{rng.randrange(10**6)}",
    }
    roll = rng.random()
    line = rng.choice(_LINES)
    if roll < 0.02:
        service = {k: msg[k] for k in ("id", "date", "date_unixtime")}
        return service | {"type": "service", "actor": msg["from"], "action": "invite_members", "text": ""}
    if roll < 0.05:
        msg.update(photo="photos/photo.jpg", width=1280, height=720, text="")
    elif roll < 0.25:
        msg["text"] = [
            line + " Xem ",
            {"type": "text_link", "text": "tại đây", "href": "http://qua-tang.vip/x"},
        ]
    else:
        msg["text"] = line
    text = msg["text"]
    msg["text_entities"] = [{"type": "plain", "text": p} if isinstance(p, str) else p for p in
                            (text if isinstance(text, list) else [text])]  # fmt: skip
    return msg


def generate_telegram_export(path: str | Path, n: int = 1_000_000, *, chats: int = 10, seed: int = 0) -> Path:
    """Write a full Telegram export (``{"chats": {"list": [...]}}``) of ``n`` messages to ``path``.

    Parameters
    ----------
    path
        The output file, usually ``.../result.json``.
    n
        Total number of messages (service messages and photos included), spread over ``chats``.
    chats
        Number of chats; each gets ``n // chats`` messages, the last one the remainder.
    seed
        For reproducible content.
    """
    path = Path(path)
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    per_chat = max(n // max(chats, 1), 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"about": "synthetic export", "chats": {"about": "all chats", "list": [')
        i = 0
        c = 0
        while i < n:
            count = per_chat if c < chats - 1 else n - i
            head = {"name": f"Nhóm thử nghiệm {c + 1}", "type": "private_group", "id": 4000000 + c}
            fh.write(("," if c else "") + json.dumps(head, ensure_ascii=False)[:-1] + ', "messages": [')
            for k in range(count):
                fh.write(("," if k else "") + "\n" + json.dumps(_message(i, rng, start), ensure_ascii=False))
                i += 1
            fh.write("]}")
            c += 1
        fh.write("]}}\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=1_000_000, help="messages (default 1,000,000)")
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    generate_telegram_export(args.out, args.n, chats=args.chats, seed=args.seed)
    size = args.out.stat().st_size / 2**20
    print(f"wrote {args.n:,} messages, {size:.0f} MiB, to {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
