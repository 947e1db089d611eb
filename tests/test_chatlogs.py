"""app.chatlogs: every sample export reads right; broken copies report where and go on."""

from __future__ import annotations

import json
import shutil
import tracemalloc
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.chatlogs import (
    ChatlogError,
    ReadStats,
    detect_format,
    excel_safe,
    fix_mojibake,
    parse_time,
    read_chatlog,
    render_summary_md,
    summarize,
    telegram_text,
    write_results,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "chatlogs"
THREAD = SAMPLES / "messenger" / "inbox" / "tuyenctvonline_5512345678901234"
VN = timezone(timedelta(hours=7))


def read(path, fmt=None, **kw):
    stats = ReadStats()
    return list(read_chatlog(path, fmt, stats=stats, **kw)), stats


# --- each sample -----------------------------------------------------------------------------
def test_chatlogs_telegram_full_export():
    msgs, stats = read(SAMPLES / "telegram" / "result.json")
    assert stats.read == len(msgs) == 10
    assert stats.skipped_by_reason == {"service": 2, "media_only": 2}
    assert not stats.issues
    assert {m.conversation for m in msgs} == {"Việc Làm Online 24h", "Mẹ"}
    first = msgs[0]
    assert first.sender == "Lan CSKH"
    assert first.time == datetime(2024, 3, 10, 20, 1, 12, tzinfo=VN)
    assert first.time.utcoffset() == timedelta(hours=7)
    assert first.source_ref == "result.json:$.chats.list[0].messages[1]"
    assert first.id == "2"
    by_id = {m.id: m for m in msgs}
    assert by_id["4"].text == (
        "Bạn nhắn riêng cho @lan_cskh_vieclam để nhận nhiệm vụ đầu tiên nhé. "
        "Đăng ký tại https://vieclam-tiktok24h.top/dangky"
    )
    assert "tại đây (http://bangluong-vip.xyz/ck)" in by_id["8"].text  # the hidden link is kept
    assert by_id["14"].text == "Nhớ mua giúp mẹ hai bó rau muống nhé."
    assert by_id["16"].source_ref == "result.json:$.chats.list[1].messages[5]"


def test_chatlogs_telegram_single_chat(tmp_path):
    full = json.loads((SAMPLES / "telegram" / "result.json").read_text(encoding="utf-8"))
    chat = full["chats"]["list"][1]
    (tmp_path / "result.json").write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")
    assert detect_format(tmp_path / "result.json") == "telegram"
    assert detect_format(tmp_path) == "telegram"
    msgs, stats = read(tmp_path)
    assert [m.conversation for m in msgs] == ["Mẹ"] * 4
    assert msgs[0].source_ref == "result.json:$.messages[0]"
    assert stats.skipped_by_reason == {"service": 1, "media_only": 1}


def _as_tuples(msgs):
    return [(m.conversation, m.sender, m.time, m.text, m.source_ref, m.id) for m in msgs]


def test_chatlogs_telegram_fast_path_agrees_with_event_reader(tmp_path):
    from app.chatlogs._telegram import read_telegram, read_telegram_events
    from training.gen_chatlog import generate_telegram_export

    for path in (
        SAMPLES / "telegram" / "result.json",
        generate_telegram_export(tmp_path / "r.json", 3000, chats=3),
    ):
        fast, slow = ReadStats(), ReadStats()
        assert _as_tuples(read_telegram(path, fast)) == _as_tuples(read_telegram_events(path, slow))
        assert fast.as_dict() == slow.as_dict()


def test_chatlogs_telegram_left_chats_and_saved_messages(tmp_path):
    data = json.loads((SAMPLES / "telegram" / "result.json").read_text(encoding="utf-8"))
    mom = data["chats"]["list"].pop(1)
    del mom["name"]  # Saved Messages has no name
    data["left_chats"] = {"about": "left", "list": [mom]}
    (tmp_path / "result.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    msgs, stats = read(tmp_path / "result.json")
    assert stats.read == 10
    assert msgs[-1].conversation == "chat 5000001"
    assert msgs[-1].source_ref == "result.json:$.left_chats.list[0].messages[5]"


def test_chatlogs_telegram_unusual_layout_falls_back(tmp_path):
    data = json.loads((SAMPLES / "telegram" / "result.json").read_text(encoding="utf-8"))
    chat = data["chats"]["list"][1]
    data["chats"]["list"][1] = {
        "type": chat["type"],
        "name": chat["name"],
        "id": chat["id"],
        "messages": chat["messages"],
    }
    (tmp_path / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    msgs, stats = read(tmp_path / "result.json")
    expected, expected_stats = read(SAMPLES / "telegram" / "result.json")
    assert _as_tuples(msgs) == _as_tuples(expected)
    assert stats.as_dict() == expected_stats.as_dict()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Chào bạn", "Chào bạn"),
        (["Nạp ", {"type": "bold", "text": "2 triệu"}, " ngay"], "Nạp 2 triệu ngay"),
        ([{"type": "text_link", "text": "bấm", "href": "http://x.vip"}], "bấm (http://x.vip)"),
        ([{"type": "link", "text": "http://x.vip"}], "http://x.vip"),
        (None, ""),
    ],
)
def test_chatlogs_telegram_text(value, expected):
    assert telegram_text(value) == expected


def test_chatlogs_messenger_thread_repairs_mojibake():
    raw = (THREAD / "message_2.json").read_text(encoding="ascii")
    assert "\\u00c3" in raw or "\\u00e1" in raw  # the sample really has Facebook's mojibake
    msgs, stats = read(THREAD)
    assert stats.read == 5
    assert stats.skipped_by_reason == {"deleted": 1, "service": 1, "media_only": 1}
    assert stats.files == ["message_1.json", "message_2.json"]
    assert {m.conversation for m in msgs} == {"Tuyển CTV Online - Hồ Thị Thu"}
    assert {m.sender for m in msgs} == {"Hồ Thị Thu", "Trần Văn Nam"}
    opener = next(m for m in msgs if m.source_ref == "message_2.json:$.messages[2]")
    assert opener.text.startswith("Chào bạn, tôi là Thu bên bộ phận tuyển dụng.")
    assert "cộng tác viên" in opener.text and "Ã" not in opener.text
    assert opener.time == datetime(2024, 3, 14, 9, 0, tzinfo=VN)
    assert opener.time.tzinfo is not None
    share = next(m for m in msgs if "liên kết" in m.text)
    assert share.text.endswith("https://ctv-donhang.shop/nhiemvu")


def test_chatlogs_messenger_inbox_folder_reads_every_thread():
    msgs, stats = read(SAMPLES / "messenger")
    assert stats.read == 5
    assert msgs[0].source_ref == "inbox/tuyenctvonline_5512345678901234/message_1.json:$.messages[0]"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TÃ´i", "Tôi"),
        ("Chào bạn".encode().decode("latin-1"), "Chào bạn"),
        ("Tôi", "Tôi"),  # already right: Latin-1 letters that are not UTF-8 bytes
        ("Nguyễn", "Nguyễn"),  # already right: outside Latin-1
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_chatlogs_fix_mojibake(raw, expected):
    assert fix_mojibake(raw) == expected


def test_chatlogs_whatsapp_android():
    msgs, stats = read(SAMPLES / "whatsapp" / "android_chat.txt")
    assert stats.read == 6
    assert stats.skipped_by_reason == {"system": 1, "media_only": 1, "deleted": 1}
    assert msgs[0].sender == "Mẹ" and msgs[0].time == datetime(2024, 3, 12, 8, 1)
    assert msgs[1].text == "Dạ con nhớ rồi ạ.\nMấy giờ em tan học hả mẹ?"
    assert msgs[1].source_ref == "android_chat.txt:3"
    forwarded = msgs[3]
    assert forwarded.text.count("\n") == 1 and "0987 654 321" in forwarded.text


def test_chatlogs_whatsapp_ios_12_hour_and_marks():
    msgs, stats = read(SAMPLES / "whatsapp" / "ios_chat.txt")
    assert stats.read == 6
    assert stats.skipped_by_reason == {"system": 1, "media_only": 2}
    assert msgs[0].time == datetime(2024, 3, 15, 21, 5, 40)
    assert msgs[2].time == datetime(2024, 3, 16, 8, 15, 33)
    assert msgs[2].text.endswith("\nQuà đã gửi qua công ty vận chuyển quốc tế, mai em nhận nhé.")
    assert msgs[4].text == "Sao em phải đóng phí ạ?"  # "<This message was edited>" removed
    assert msgs[5].sender == "+1 (415) 555‑0199"  # U+202A / U+202C stripped
    assert all("\u200e" not in m.text and "\u202a" not in (m.sender or "") for m in msgs)


def test_chatlogs_whatsapp_zip_streams_chat_txt():
    msgs, stats = read(SAMPLES / "whatsapp" / "WhatsApp Chat - Nhom.zip")
    assert stats.read == 5
    assert stats.skipped_by_reason == {"system": 3, "media_only": 1}
    assert {m.conversation for m in msgs} == {"Nhom"}
    assert msgs[0].source_ref == "WhatsApp Chat - Nhom.zip!_chat.txt:4"
    assert msgs[3].text.endswith("Nạp xong chụp bill gửi em để kích hoạt VIP.")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3/12/2024, 2:05 PM - Lan: Chào chị", datetime(2024, 12, 3, 14, 5)),
        ("13/3/2024, 2:05 PM - Lan: Chào chị", datetime(2024, 3, 13, 14, 5)),
        ("13/03/24, 14:05 - Lan: Chào chị", datetime(2024, 3, 13, 14, 5)),
        ("13/03/2024, 2:05\u202fCH - Lan: Chào chị", datetime(2024, 3, 13, 14, 5)),
        ("[13/03/2024, 12:05:09 AM] Lan: Chào chị", datetime(2024, 3, 13, 0, 5, 9)),
        ("[3/13/24, 9:05:09 PM] Lan: Chào chị", datetime(2024, 3, 13, 21, 5, 9)),  # US: month first
    ],
)
def test_chatlogs_whatsapp_date_and_clock_variants(tmp_path, line, expected):
    path = tmp_path / "chat.txt"
    path.write_text(line + "\n", encoding="utf-8")
    (msg,), _ = read(path, "whatsapp")
    assert (msg.sender, msg.text, msg.time) == ("Lan", "Chào chị", expected)


def test_chatlogs_zalo_csv():
    msgs, stats = read(SAMPLES / "zalo" / "zalo_export.csv")
    assert stats.format == "zalo" and stats.encoding == "utf-8-sig"
    assert stats.read == 7 and stats.skipped_by_reason == {"empty": 1}
    assert {m.conversation for m in msgs} == {"Phụ huynh lớp 12A1", "Hỗ Trợ Vay Vốn Nhanh"}
    assert msgs[0].sender == "Cô Mai chủ nhiệm" and msgs[0].time == datetime(2024, 3, 12, 19, 30)
    assert msgs[2].text == "Cô ơi cho em hỏi:\nhọc phí kỳ 2 đóng qua ngân hàng hay nộp trực tiếp ạ?"
    assert msgs[2].source_ref == "zalo_export.csv:5"


def test_chatlogs_zalo_json_list(tmp_path):
    rows = [
        {
            "Nhóm": "Lớp 12A1",
            "Tên người gửi": "Cô Mai",
            "Ngày": "12/03/2024",
            "Giờ": "19:30",
            "Tin nhắn": "Chào",
        },
        {"Nhóm": "Lớp 12A1", "Tên người gửi": "Hoa", "Ngày": "12/03/2024", "Giờ": "19:31", "Tin nhắn": ""},
    ]
    path = tmp_path / "zalo.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert detect_format(path) == "zalo"
    msgs, stats = read(path)
    assert [(m.conversation, m.sender, m.time, m.text) for m in msgs] == [
        ("Lớp 12A1", "Cô Mai", datetime(2024, 3, 12, 19, 30), "Chào")
    ]
    assert msgs[0].source_ref == "zalo.json:$[0]" and stats.skipped_by_reason == {"empty": 1}


def test_chatlogs_zalo_paste():
    msgs, stats = read(SAMPLES / "zalo" / "zalo_paste.txt")
    assert stats.format == "zalo_text"
    assert stats.read == 5 and stats.skipped_by_reason == {"media_only": 1}
    assert [m.sender for m in msgs] == [
        "Nguyễn Thị Hoa",
        "Cô Mai chủ nhiệm",
        "Phòng Đào Tạo",
        "Nguyễn Thị Hoa",
        "Cô Mai chủ nhiệm",
    ]
    assert msgs[1].text == "Dạ 8 giờ sáng chị nhé.\nNhớ mang theo sổ liên lạc."
    assert msgs[1].time == datetime(2024, 3, 12, 9, 20)
    assert msgs[2].time == datetime(2024, 3, 13, 10, 2) and msgs[2].source_ref == "zalo_paste.txt:14"
    assert msgs[4].text.endswith("\nChị đừng bấm vào nhé!")


def test_chatlogs_generic_csv_columns_by_name():
    msgs, stats = read(SAMPLES / "generic.csv")
    assert stats.format == "csv" and stats.read == 4
    assert (msgs[1].id, msgs[1].sender, msgs[1].time) == ("sms-02", "0903111222", datetime(2024, 3, 12, 9, 0))
    assert msgs[1].text == "Em ơi chiều nay 3 giờ họp nhóm ở quán cà phê cũ nhé."
    assert msgs[0].conversation == "generic"


def test_chatlogs_csv_text_column_and_semicolons(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ma;ghi chu;noi_dung_sms\n1;x;Chào bạn\n", encoding="utf-8")
    (msg,), _ = read(path, text_column="noi_dung_sms")
    assert msg.text == "Chào bạn"
    with pytest.raises(ChatlogError, match=r"\[C007\].*'ghi chu'"):
        read(tmp_path / "export.csv", "csv", text_column="khong_co")


def _cp1258(s: str) -> bytes:
    """Windows-1258 as old Vietnamese software writes it: vowel letters precomposed, tones combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in s:
        d = unicodedata.normalize("NFD", ch)
        out.append(unicodedata.normalize("NFC", "".join(c for c in d if c not in tones)))
        out.append("".join(c for c in d if c in tones))
    return "".join(out).encode("cp1258")


def test_chatlogs_csv_cp1258_fallback_is_reported(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(_cp1258("text\nTiếng Việt có dấu\n"))
    (msg,), stats = read(path)
    assert stats.encoding == "cp1258"
    assert msg.text == "Tiếng Việt có dấu"  # composed again (cp1258 stores tones as combining marks)
    assert any(i.reason == "encoding" and "cp1258" in i.detail for i in stats.issues)


def test_chatlogs_jsonl():
    msgs, stats = read(SAMPLES / "messages.jsonl")
    assert stats.read == 3 and stats.skipped_by_reason == {"empty": 1}
    assert msgs[2].id == "j-3" and msgs[2].sender == "+84 865 123 456"
    assert msgs[2].time == datetime(2024, 3, 16, 14, 2, tzinfo=VN)


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("telegram/result.json", "telegram"),
        ("telegram", "telegram"),
        ("messenger/inbox/tuyenctvonline_5512345678901234/message_1.json", "messenger"),
        ("messenger", "messenger"),
        ("whatsapp/android_chat.txt", "whatsapp"),
        ("whatsapp/ios_chat.txt", "whatsapp"),
        ("whatsapp/WhatsApp Chat - Nhom.zip", "whatsapp"),
        ("zalo/zalo_export.csv", "zalo"),
        ("zalo/zalo_paste.txt", "zalo_text"),
        ("generic.csv", "csv"),
        ("messages.jsonl", "jsonl"),
    ],
)
def test_chatlogs_detect_format(path, fmt):
    assert detect_format(SAMPLES / path) == fmt


def test_chatlogs_detect_format_refuses_unknown(tmp_path):
    (tmp_path / "notes.txt").write_text("chỉ là ghi chú\nkhông phải chat\n", encoding="utf-8")
    with pytest.raises(ChatlogError, match=r"\[C003\]"):
        detect_format(tmp_path / "notes.txt")
    with pytest.raises(ChatlogError, match=r"\[C001\]"):
        read_chatlog(tmp_path / "missing.json")


# --- broken copies: report where, keep going ----------------------------------------------------
def test_chatlogs_truncated_telegram_reports_json_path(tmp_path):
    raw = (SAMPLES / "telegram" / "result.json").read_text(encoding="utf-8")
    cut = raw.index("Sao phải nạp tiền")  # inside chats.list[0].messages[6]
    (tmp_path / "result.json").write_text(raw[:cut], encoding="utf-8")
    msgs, stats = read(tmp_path / "result.json")
    assert [m.id for m in msgs] == ["2", "3", "4", "6"]
    assert stats.skipped_by_reason["malformed"] == 1
    (issue,) = stats.issues
    assert issue.source_ref == "result.json:$.chats.list[0].messages[6]"
    assert "truncated" in issue.detail


def test_chatlogs_telegram_bad_message_is_skipped_not_fatal(tmp_path):
    data = json.loads((SAMPLES / "telegram" / "result.json").read_text(encoding="utf-8"))
    data["chats"]["list"][1]["messages"][0] = "not a message"
    data["chats"]["list"][1]["messages"][1]["text"] = {"oops": 1}
    (tmp_path / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    msgs, stats = read(tmp_path / "result.json")
    assert stats.read == 8 and stats.skipped_by_reason["malformed"] == 2
    assert [i.source_ref for i in stats.issues] == [
        "result.json:$.chats.list[1].messages[0]",
        "result.json:$.chats.list[1].messages[1]",
    ]


def test_chatlogs_truncated_messenger_reports_json_path(tmp_path):
    raw = (THREAD / "message_1.json").read_text(encoding="ascii")
    cut = raw.index('"timestamp_ms"', raw.index("is_unsent"))  # inside messages[2]
    (tmp_path / "message_1.json").write_text(raw[:cut], encoding="ascii")
    msgs, stats = read(tmp_path / "message_1.json", "messenger")
    assert len(msgs) == 1 and stats.skipped_by_reason == {"deleted": 1, "malformed": 1}
    assert stats.issues[0].source_ref == "message_1.json:$.messages[2]"


def test_chatlogs_jsonl_bad_line_reported_by_number(tmp_path):
    lines = (SAMPLES / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    lines.insert(1, '{"text": "thiếu ngoặc"')
    lines.insert(2, "[1, 2]")
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    msgs, stats = read(tmp_path / "m.jsonl")
    assert stats.read == 3
    assert [(i.source_ref, i.reason) for i in stats.issues] == [
        ("m.jsonl:2", "malformed"),
        ("m.jsonl:3", "malformed"),
    ]


def test_chatlogs_csv_bad_row_reported_by_line(tmp_path):
    lines = (SAMPLES / "zalo" / "zalo_export.csv").read_text(encoding="utf-8-sig").splitlines()
    lines.insert(2, "Phụ huynh lớp 12A1,Hoa,thiếu cột")
    lines.insert(3, "Phụ huynh lớp 12A1,Hoa,32/13/2024 25:00,Giờ hỏng")
    (tmp_path / "zalo_broken.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    msgs, stats = read(tmp_path / "zalo_broken.csv")
    assert stats.read == 8 and stats.skipped_by_reason == {"empty": 1, "malformed": 1}
    assert str(stats.issues[0]).startswith("zalo_broken.csv:3: malformed (3 fields where the header has 4)")
    assert stats.issues[1].source_ref == "zalo_broken.csv:4" and stats.issues[1].reason == "bad_time"
    assert next(m for m in msgs if m.text == "Giờ hỏng").time is None  # kept, without a time


def test_chatlogs_zip_with_path_traversal_member(tmp_path):
    src = SAMPLES / "whatsapp" / "WhatsApp Chat - Nhom.zip"
    path = tmp_path / "WhatsApp Chat - Nhom.zip"
    shutil.copy(src, path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("../../evil.txt", "12/03/2024, 08:00 - X: pwned")
        zf.writestr("/etc/cron.d/x.txt", "boom")
    msgs, stats = read(path)
    assert stats.read == 5
    assert stats.skipped_by_reason["unsafe_member"] == 2
    refs = [i.source_ref for i in stats.issues if i.reason == "unsafe_member"]
    assert refs == ["WhatsApp Chat - Nhom.zip!../../evil.txt", "WhatsApp Chat - Nhom.zip!/etc/cron.d/x.txt"]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_chatlogs_zip_whose_only_chat_is_unsafe(tmp_path):
    path = tmp_path / "chat.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../_chat.txt", "12/03/2024, 08:00 - X: hi")
    stats = ReadStats()
    with pytest.raises(ChatlogError, match=r"\[C005\]"):
        list(read_chatlog(path, stats=stats))
    assert stats.skipped_by_reason == {"unsafe_member": 1}


def test_chatlogs_whatsapp_text_before_first_header(tmp_path):
    path = tmp_path / "_chat.txt"
    path.write_text("dòng lạc\n12/03/2024, 08:00 - Lan: Chào\n", encoding="utf-8")
    msgs, stats = read(path)
    assert [m.text for m in msgs] == ["Chào"]
    assert str(stats.issues[0]).startswith("_chat.txt:1: malformed")


# --- output --------------------------------------------------------------------------------------
def test_chatlogs_write_csv_is_excel_safe(tmp_path):
    rows = [
        {"sender": '=HYPERLINK("http://x.vip","Bấm")', "text": "+84 912", "risk_score": 0.93, "entities": []},
        {
            "sender": "@admin",
            "text": "-1+2",
            "risk_score": 0.1,
            "entities": [{"kind": "url", "value": "x.vip"}],
        },
        {"sender": "\tTab", "text": "\rCR", "risk_score": None, "entities": None},
        {"sender": "Chào bạn", "text": "Tôi ổn", "risk_score": 0, "entities": None},
    ]
    out = tmp_path / "out.csv"
    assert write_results(iter(rows), out, "csv") == 4
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    import csv

    got = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert got[0]["sender"].startswith("'=") and got[0]["text"] == "'+84 912"
    assert got[1]["sender"] == "'@admin" and got[1]["text"] == "'-1+2"
    assert got[1]["entities"] == '[{"kind": "url", "value": "x.vip"}]'
    assert got[2]["sender"] == "'\tTab" and got[2]["text"] == "'\rCR"
    assert got[3]["sender"] == "Chào bạn" and got[3]["risk_score"] == "0"
    assert excel_safe(-1) == -1  # numbers are not formulas


def test_chatlogs_write_jsonl_messages(tmp_path):
    msgs, _ = read(SAMPLES / "messages.jsonl")
    out = tmp_path / "out.jsonl"
    write_results(msgs, out)
    back = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert back[0]["time"] == "2024-03-16T05:30:00+07:00" and back[0]["text"].startswith("Sáng mai")


# --- summary -------------------------------------------------------------------------------------
def _scored(msg, verdict="safe", risk=0.01, scam_type="other_scam", entities=()):
    return msg.to_dict() | {
        "verdict": verdict,
        "label": scam_type if verdict == "scam" else "legit",
        "scam_type": scam_type,
        "risk_score": risk,
        "is_scam": verdict == "scam",
        "entities": list(entities),
    }


def test_chatlogs_summarize_entities_and_script():
    tg, _ = read(SAMPLES / "telegram" / "result.json")
    by_id = {m.id: m for m in tg}
    results = [_scored(m) for m in tg if m.conversation == "Mẹ"]
    # A task-scam script whose messages are each only borderline.
    results += [
        _scored(by_id["2"], "suspicious", 0.45, "job_labor_export"),
        _scored(by_id["3"]),
        _scored(
            by_id["4"],
            "suspicious",
            0.38,
            "job_labor_export",
            [
                {"kind": "handle", "value": "@lan_cskh_vieclam", "text": "@lan_cskh_vieclam"},
                {"kind": "url", "value": "vieclam-tiktok24h.top/dangky", "text": "https://..."},
            ],
        ),
        _scored(
            by_id["6"],
            "safe",
            0.25,
            "fake_investment",
            [
                {"kind": "money", "value": "2000000", "text": "2.000.000đ"},
                {"kind": "bank_account", "value": "0451000123456", "text": "0451000123456"},
            ],
        ),
        _scored(by_id["7"]),
        _scored(
            by_id["8"], "scam", 0.91, "fake_investment", [{"kind": "url", "value": "bangluong-vip.xyz/ck"}]
        ),
    ]
    summary = summarize(iter(results))
    convs = {c["conversation"]: c for c in summary["conversations"]}
    job = convs["Việc Làm Online 24h"]
    assert job["conversation_verdict"] == "scam_script"
    assert len(job["reasons"]) == 2  # job opener then a deposit request; three borderline messages
    assert "việc làm" in job["reasons"][0] and job["borderline"] == 3
    assert job["entities"] == {
        "bank_account": {"0451000123456": 1},
        "url": {"vieclam-tiktok24h.top/dangky": 1, "bangluong-vip.xyz/ck": 1},
        "handle": {"@lan_cskh_vieclam": 1},
    }
    assert job["scam_by_type"] == {"fake_investment": 1} and job["max_risk"] == 0.91
    assert job["first_scam_time"] == job["last_scam_time"] == "2024-03-11T09:16:05+07:00"
    assert convs["Mẹ"]["conversation_verdict"] == "safe" and convs["Mẹ"]["entities"] == {}
    assert summary["conversations"][0]["conversation"] == "Việc Làm Online 24h"
    lan = next(s for s in summary["senders"] if s["sender"] == "Lan CSKH")
    assert (
        lan["suspicious"] == 2
        and lan["scam"] == 1
        and lan["entities"]["bank_account"] == {"0451000123456": 1}
    )
    assert summary["totals"]["messages"] == 10 and summary["totals"]["flagged_conversations"] == 1
    md = render_summary_md(summary)
    assert "scam_script" in md and "`0451000123456`" in md and "Việc Làm Online 24h" in md


def test_chatlogs_summarize_order_follows_time_not_file():
    # Messenger writes newest first: the payment request is read before the opener.
    msgs, _ = read(THREAD)
    results = []
    for m in msgs:
        if "cộng tác viên" in m.text:
            results.append(_scored(m, "suspicious", 0.3, "job_labor_export"))
        elif "STK" in m.text:
            results.append(_scored(m, "suspicious", 0.3, "ecommerce_delivery"))
        else:
            results.append(_scored(m))
    (conv,) = summarize(results)["conversations"]
    assert conv["conversation_verdict"] == "scam_script" and "việc làm" in conv["reasons"][0]
    # The same messages with the request first in time are no script.
    for r in results:
        r["time"] = None
    # arrival order (newest first, as Facebook writes) has the payment request first
    (conv,) = summarize(results, min_borderline=5)["conversations"]
    assert conv["conversation_verdict"] == "suspicious"


def test_chatlogs_long_ordinary_chat_is_no_script_for_a_few_borderline_lines():
    # A family chat of 100 lines: ordinary lines score borderline now and then, and three of
    # them here happen to read as a job opener, then as a payment. That is no scam script.
    def line(i, verdict="safe", risk=0.02, scam_type="other_scam", text="ừ, tối về ăn cơm nhé"):
        r = {"conversation": "Gia đình", "sender": f"s{i % 3}", "text": text, "time": None}
        return r | {"verdict": verdict, "risk_score": risk, "scam_type": scam_type, "entities": []}

    chat = [line(i) for i in range(100)]
    chat[10] = line(10, "suspicious", 0.3, "job_labor_export", "chị tìm được việc mới rồi, lương ổn")
    chat[40] = line(40, "suspicious", 0.25, "loan_debt", "chuyển khoản tiền điện cho mẹ rồi nhé")
    chat[70] = line(70, "suspicious", 0.22, "fake_investment", "bác mua ít vàng để dành")
    (conv,) = summarize(chat)["conversations"]
    assert conv["borderline"] == 3
    assert conv["conversation_verdict"] == "suspicious"
    # the old rule (no share) called it a script
    (conv,) = summarize(chat, min_borderline_share=0)["conversations"]
    assert conv["conversation_verdict"] == "scam_script"
    # the same three lines in a ten-line conversation are a script
    (conv,) = summarize(chat[:3] + chat[10:11] + chat[4:7] + chat[40:41] + chat[8:9] + chat[70:71])[
        "conversations"
    ]
    assert conv["messages"] == 10 and conv["conversation_verdict"] == "scam_script"


def test_chatlogs_render_md_escapes_untrusted_text():
    r = {
        "conversation": "a|b **x** <script>",
        "sender": "[link](http://x.vip)",
        "text": "t",
        "verdict": "scam",
        "risk_score": 0.9,
        "scam_type": "bank_phishing",
        "entities": [{"kind": "url", "value": "x.vip`|"}],
    }
    md = render_summary_md(summarize([r]))
    assert "a\\|b \\*\\*x\\*\\* \\<script\\>" in md and "\\[link\\]\\(http://x.vip\\)" in md
    assert "<script>" not in md


# --- small functions and naughty strings ------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/03/2024 14:05", datetime(2024, 3, 12, 14, 5)),
        ("14:05 12/03/2024", datetime(2024, 3, 12, 14, 5)),
        ("2:05 CH 12/03/2024", datetime(2024, 3, 12, 14, 5)),
        ("12-03-24", datetime(2024, 3, 12)),
        ("2024-03-12T14:05:00+07:00", datetime(2024, 3, 12, 14, 5, tzinfo=VN)),
        ("1710227100", datetime(2024, 3, 12, 7, 5, tzinfo=UTC)),
        (1710227100000, datetime(2024, 3, 12, 7, 5, tzinfo=UTC)),
        ("", None),
    ],
)
def test_chatlogs_parse_time(raw, expected):
    assert parse_time(raw) == expected


NAUGHTY = [
    "",
    " ",
    "\x00",
    "\u200e\u202a\u202c",
    "=cmd|' /C calc'!A0",
    "Ã",
    "ðŸ˜€",
    "🙂" * 50,
    "a\r\nb",
    "\ufeff",
]


@pytest.mark.parametrize("s", NAUGHTY)
def test_chatlogs_text_functions_take_naughty_strings(s, tmp_path):
    assert isinstance(fix_mojibake(s), str)
    assert isinstance(telegram_text([s, {"type": "plain", "text": s}]), str)
    assert isinstance(excel_safe(s), str)
    with pytest.raises(ValueError):
        parse_time(s + "x")
    path = tmp_path / "chat.txt"
    path.write_text(f"12/03/2024, 08:00 - Lan: {s}\n{s}\n", encoding="utf-8")
    list(read_chatlog(path, "whatsapp"))


# --- streaming -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_chatlogs_telegram_reads_200k_messages_in_flat_memory(tmp_path):
    from training.gen_chatlog import generate_telegram_export

    path = generate_telegram_export(tmp_path / "result.json", 200_000, chats=4)
    size = path.stat().st_size
    stats = ReadStats()
    tracemalloc.start()
    try:
        n = sum(1 for _ in read_chatlog(path, stats=stats))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == stats.read and stats.read + stats.skipped == 200_000 and not stats.issues
    assert size > 50 * 2**20
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB file"
