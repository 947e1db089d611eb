"""Writes the sample chat-log exports in this folder (run: python data/samples/chatlogs/make_samples.py).

Every conversation here was invented by the project's authors. The files copy the exact
structure of the real exports, including their quirks: Telegram's entity lists and
service messages, Facebook's mojibake, WhatsApp's invisible marks, a zip as WhatsApp
shares it. Re-running it rewrites the same bytes.
"""

# ruff: noqa: E501  (chat lines stay whole, as in the exports they imitate)
from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
VN = timezone(timedelta(hours=7))
LRM = "\u200e"


def _tg(mid: int, when: str, sender: str | None, text, **extra) -> dict:
    local = datetime.fromisoformat(when)
    msg = {
        "id": mid,
        "type": "message",
        "date": local.isoformat(),
        "date_unixtime": str(int(local.replace(tzinfo=VN).timestamp())),
    }
    if sender is not None:
        msg["from"] = sender
        msg["from_id"] = "user" + str(sum(map(ord, sender)))
    msg["text"] = text
    entities = []
    for part in text if isinstance(text, list) else [text]:
        if isinstance(part, str):
            if part:
                entities.append({"type": "plain", "text": part})
        else:
            entities.append(part)
    msg["text_entities"] = entities
    msg.update(extra)
    return msg


def _service(mid: int, when: str, actor: str, action: str, **extra) -> dict:
    local = datetime.fromisoformat(when)
    return {
        "id": mid,
        "type": "service",
        "date": local.isoformat(),
        "date_unixtime": str(int(local.replace(tzinfo=VN).timestamp())),
        "actor": actor,
        "actor_id": "user" + str(sum(map(ord, actor))),
        "action": action,
        **extra,
        "text": "",
        "text_entities": [],
    }


def telegram() -> None:
    job = [
        _service(
            1,
            "2024-03-10T20:00:00",
            "Lan CSKH",
            "create_group",
            title="Việc Làm Online 24h",
            members=["Lan CSKH", "Hoàng Minh"],
        ),
        _tg(
            2,
            "2024-03-10T20:01:12",
            "Lan CSKH",
            "Chào mừng các bạn đến với nhóm! Việc nhẹ lương cao: chỉ cần thả tim video TikTok, "
            "mỗi nhiệm vụ được 50.000đ, làm tại nhà bằng điện thoại.",
        ),
        _tg(3, "2024-03-10T20:05:40", "Hoàng Minh", "Làm thế nào để nhận nhiệm vụ vậy chị?"),
        _tg(
            4,
            "2024-03-10T20:06:02",
            "Lan CSKH",
            [
                "Bạn nhắn riêng cho ",
                {"type": "mention", "text": "@lan_cskh_vieclam"},
                " để nhận nhiệm vụ đầu tiên nhé. Đăng ký tại ",
                {"type": "link", "text": "https://vieclam-tiktok24h.top/dangky"},
                "",
            ],
        ),
        _tg(
            5,
            "2024-03-10T20:06:30",
            "Lan CSKH",
            "",
            photo="photos/photo_1@10-03-2024_20-06-30.jpg",
            width=1080,
            height=1920,
        ),
        _tg(
            6,
            "2024-03-11T09:12:00",
            "Lan CSKH",
            [
                "Nhiệm vụ 3 là nhiệm vụ combo, bạn cần ",
                {"type": "bold", "text": "nạp 2.000.000đ"},
                " vào tài khoản 0451000123456 Vietcombank, chủ TK NGUYEN THI LAN, để rút được cả gốc lẫn hoa hồng.",
            ],
        ),
        _tg(7, "2024-03-11T09:15:27", "Hoàng Minh", "Sao phải nạp tiền vậy chị? Em thấy hơi lạ."),
        _tg(
            8,
            "2024-03-11T09:16:05",
            "Lan CSKH",
            [
                "Xem bảng lương của các thành viên ",
                {"type": "text_link", "text": "tại đây", "href": "http://bangluong-vip.xyz/ck"},
                ", hôm qua chị Hạnh rút 8.500.000đ rồi đó em.",
            ],
        ),
    ]
    mom = [
        _tg(11, "2024-03-12T17:30:00", "Mẹ", "Con ơi tối nay về ăn cơm không?"),
        _tg(12, "2024-03-12T17:32:10", "Hoàng Minh", "Dạ tối con về, khoảng 7 giờ ạ."),
        _service(13, "2024-03-12T17:40:00", "Mẹ", "phone_call", duration_seconds=62),
        _tg(
            14,
            "2024-03-12T17:45:18",
            "Mẹ",
            ["Nhớ mua giúp mẹ ", {"type": "bold", "text": "hai bó rau muống"}, " nhé."],
        ),
        _tg(
            15,
            "2024-03-12T17:46:00",
            "Hoàng Minh",
            "",
            file="stickers/sticker.webp",
            media_type="sticker",
            sticker_emoji="👍",
        ),
        _tg(
            16,
            "2024-03-12T18:02:44",
            "Mẹ",
            "Mà có ai gọi bảo con nợ tiền điện thì đừng chuyển khoản nhé, bác Tư vừa bị lừa mất 5 triệu đấy.",
        ),
    ]
    export = {
        "about": "Here is the data you requested. Remember: Telegram is ad free, it doesn't use your data "
        "for ad targeting and doesn't sell it to others.",
        "personal_information": {
            "user_id": 777000111,
            "first_name": "Hoàng",
            "last_name": "Minh",
            "phone_number": "+84 90 000 0000",
            "username": "",
            "bio": "",
        },
        "contacts": {"about": "This is your contact list.", "list": []},
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {
                    "name": "Việc Làm Online 24h",
                    "type": "private_supergroup",
                    "id": 1800000001,
                    "messages": job,
                },
                {"name": "Mẹ", "type": "personal_chat", "id": 5000001, "messages": mom},
            ],
        },
    }
    out = HERE / "telegram" / "result.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _fb(s: str) -> str:
    """Facebook's bug, reproduced: UTF-8 bytes read back as Latin-1 code points."""
    return s.encode("utf-8").decode("latin-1")


def _ms(when: str) -> int:
    return int(datetime.fromisoformat(when).replace(tzinfo=VN).timestamp() * 1000)


def messenger() -> None:
    thread = HERE / "messenger" / "inbox" / "tuyenctvonline_5512345678901234"
    thread.mkdir(parents=True, exist_ok=True)
    thu, nam = "Hồ Thị Thu", "Trần Văn Nam"
    # Newest first, as Facebook writes them; message_2.json holds the older ones.
    newest = [
        {
            "sender_name": nam,
            "timestamp_ms": _ms("2024-03-14T10:31:00"),
            "content": "Sao mình phải chuyển tiền trước vậy?",
        },
        {"sender_name": thu, "timestamp_ms": _ms("2024-03-14T10:30:12"), "is_unsent": True},
        {
            "sender_name": thu,
            "timestamp_ms": _ms("2024-03-14T10:29:45"),
            "content": "Thu đã gửi một liên kết.",
            "share": {"link": "https://ctv-donhang.shop/nhiemvu"},
        },
        {
            "sender_name": thu,
            "timestamp_ms": _ms("2024-03-14T10:28:00"),
            "content": "Bạn chỉ cần đặt đơn hàng ảo trên hệ thống, được hoàn tiền cộng 15% hoa hồng ngay. "
            "Đơn đầu tiên 350.000đ, chuyển khoản vào STK 19036789012345 Techcombank nhé.",
        },
        {
            "sender_name": thu,
            "timestamp_ms": _ms("2024-03-14T10:20:00"),
            "content": "Thu đã gọi cho bạn.",
            "call_duration": 45,
        },
    ]
    older = [
        {
            "sender_name": thu,
            "timestamp_ms": _ms("2024-03-14T09:02:30"),
            "photos": [
                {
                    "uri": "messages/inbox/tuyenctvonline_5512345678901234/photos/1234.jpg",
                    "creation_timestamp": _ms("2024-03-14T09:02:30") // 1000,
                }
            ],
        },
        {
            "sender_name": nam,
            "timestamp_ms": _ms("2024-03-14T09:01:10"),
            "content": "Mình muốn tìm hiểu thêm ạ.",
            "reactions": [{"reaction": "👍", "actor": thu}],
        },
        {
            "sender_name": thu,
            "timestamp_ms": _ms("2024-03-14T09:00:00"),
            "content": "Chào bạn, tôi là Thu bên bộ phận tuyển dụng. Bạn có muốn làm cộng tác viên online không? "
            "Thu nhập 300.000 - 500.000đ/ngày, không cần kinh nghiệm.",
        },
    ]

    def fix(msgs: list[dict]) -> list[dict]:
        out = []
        for m in msgs:
            m = dict(m, is_geoblocked_for_viewer=False)
            for key in ("sender_name", "content"):
                if key in m:
                    m[key] = _fb(m[key])
            if "reactions" in m:
                m["reactions"] = [
                    {"reaction": _fb(r["reaction"]), "actor": _fb(r["actor"])} for r in m["reactions"]
                ]
            out.append(m)
        return out

    for n, msgs in ((1, newest), (2, older)):
        doc = {
            "participants": [{"name": _fb(thu)}, {"name": _fb(nam)}],
            "messages": fix(msgs),
            "title": _fb("Tuyển CTV Online - Hồ Thị Thu"),
            "is_still_participant": True,
            "thread_path": "inbox/tuyenctvonline_5512345678901234",
            "magic_words": [],
            "image": {"uri": "messages/photos/100.jpg", "creation_timestamp": 1710381600},
            "joinable_mode": {"mode": 1, "link": ""},
        }
        (thread / f"message_{n}.json").write_text(
            json.dumps(doc, ensure_ascii=True, indent=2) + "\n", encoding="ascii"
        )


ANDROID = """\
12/03/2024, 08:00 - Các tin nhắn và cuộc gọi được mã hóa đầu cuối. Không ai bên ngoài đoạn chat này, kể cả WhatsApp, có thể đọc hoặc nghe chúng. Nhấn để tìm hiểu thêm.
12/03/2024, 08:01 - Mẹ: Con ơi, chiều nay nhớ đón em nhé
12/03/2024, 08:05 - Minh: Dạ con nhớ rồi ạ.
Mấy giờ em tan học hả mẹ?
12/03/2024, 08:06 - Mẹ: 4 giờ rưỡi con nhé
12/03/2024, 08:10 - Minh: <Media omitted>
12/03/2024, 20:47 - Mẹ: Con xem tin này có thật không:
"Chúc mừng quý khách đã trúng thưởng xe SH 150i. Vui lòng liên hệ 0987 654 321 và nộp phí nhận thưởng 3.000.000đ trước ngày 15/03."
12/03/2024, 20:52 - Minh: Lừa đảo đấy mẹ ơi, mẹ đừng gọi và đừng chuyển tiền nhé!
12/03/2024, 20:53 - Mẹ: Tin nhắn này đã bị xóa
12/03/2024, 20:54 - Mẹ: Ừ mẹ biết rồi 😊
"""

IOS = [
    f"[15/03/24, 9:02:11 PM] Kevin Nguyen: {LRM}Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
    "[15/03/24, 9:05:40 PM] Kevin Nguyen: Chào em, anh là Kevin, kỹ sư dầu khí đang làm việc ở Mỹ. Anh thấy em rất dễ thương.",
    "[15/03/24, 9:07:02 PM] Thảo: Dạ chào anh, mình quen nhau qua đâu ạ?",
    "[16/03/24, 8:15:33 AM] Kevin Nguyen: Anh muốn gửi tặng em một món quà: iPhone 15 và 50.000 USD.",
    "Quà đã gửi qua công ty vận chuyển quốc tế, mai em nhận nhé.",
    f"{LRM}[16/03/24, 8:16:00 AM] Kevin Nguyen: {LRM}image omitted",
    "[17/03/24, 10:20:45 AM] Kevin Nguyen: Hải quan giữ quà, em cần đóng phí thông quan 12.500.000đ vào tài khoản 1234567890 ngân hàng ACB tên TRAN VAN HAI nhé.",
    f"[17/03/24, 10:25:10 AM] Thảo: Sao em phải đóng phí ạ? {LRM}<This message was edited>",
    f"{LRM}[17/03/24, 10:26:00 AM] Kevin Nguyen: {LRM}<attached: 00000012-PHOTO-2024-03-17-10-26-00.jpg>",
    "[17/03/24, 12:01:30 PM] \u202a+1 (415) 555‑0199\u202c: Em chuyển sớm đi, hôm nay là hạn cuối rồi.",
]

GROUP = [
    f"[20/03/24, 19:00:00] Nhom: {LRM}Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
    f"[20/03/24, 19:00:05] Nhom: {LRM}Thầy Hùng created group “Nhom”",
    f"[20/03/24, 19:00:06] Nhom: {LRM}Thầy Hùng added you",
    "[20/03/24, 19:01:00] Thầy Hùng: Chào cả nhà! Nhóm chia sẻ tín hiệu đầu tư tiền ảo miễn phí, lợi nhuận 30-40% mỗi ngày.",
    "[20/03/24, 19:03:12] Trợ lý Vy: Hôm nay lãi 35%, chúc mừng các anh chị đã vào lệnh theo thầy 🎉",
    f"{LRM}[20/03/24, 19:03:40] Trợ lý Vy: {LRM}image omitted",
    "[20/03/24, 19:10:02] Anh Tuấn: Mình mới vào, muốn tham gia thì làm sao ạ?",
    "[20/03/24, 19:12:30] Trợ lý Vy: Anh mở tài khoản trên sàn https://vn-bitsan.pro rồi nạp tối thiểu 5.000.000đ vào STK 8899001122 MB Bank.",
    "Nạp xong chụp bill gửi em để kích hoạt VIP.",
    "[20/03/24, 19:15:00] Anh Tuấn: Ok để mình xem đã",
]


def whatsapp() -> None:
    folder = HERE / "whatsapp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "android_chat.txt").write_text(ANDROID, encoding="utf-8")
    (folder / "ios_chat.txt").write_text("\r\n".join(IOS) + "\r\n", encoding="utf-8")
    zpath = folder / "WhatsApp Chat - Nhom.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        fixed = (2024, 3, 20, 19, 20, 0)
        zf.writestr(zipfile.ZipInfo("_chat.txt", fixed), "\r\n".join(GROUP) + "\r\n", zipfile.ZIP_DEFLATED)
        zf.writestr(
            zipfile.ZipInfo("00000005-PHOTO-2024-03-20-19-03-40.jpg", fixed),
            b"\xff\xd8\xff\xe0 not a real photo",
        )


def zalo() -> None:
    folder = HERE / "zalo"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        ("Hội thoại", "Người gửi", "Thời gian", "Nội dung"),
        (
            "Phụ huynh lớp 12A1",
            "Cô Mai chủ nhiệm",
            "12/03/2024 19:30",
            "Kính gửi quý phụ huynh, thứ Bảy này lớp họp lúc 8 giờ sáng tại phòng 204.",
        ),
        ("Phụ huynh lớp 12A1", "Nguyễn Thị Hoa", "12/03/2024 19:42", "Dạ em cảm ơn cô, em sẽ đến đúng giờ."),
        ("Phụ huynh lớp 12A1", "Trần Văn Bình", "12/03/2024 19:45", ""),
        (
            "Phụ huynh lớp 12A1",
            "Trần Văn Bình",
            "12/03/2024 19:46",
            "Cô ơi cho em hỏi:\nhọc phí kỳ 2 đóng qua ngân hàng hay nộp trực tiếp ạ?",
        ),
        (
            "Hỗ Trợ Vay Vốn Nhanh",
            "Tư vấn viên Ngọc",
            "13/03/2024 08:15",
            "Chào anh/chị, bên em hỗ trợ vay tiêu dùng 50 triệu, không thẩm định, giải ngân trong 30 phút.",
        ),
        ("Hỗ Trợ Vay Vốn Nhanh", "Lê Văn Dũng", "13/03/2024 08:20", "Thủ tục thế nào em?"),
        (
            "Hỗ Trợ Vay Vốn Nhanh",
            "Tư vấn viên Ngọc",
            "13/03/2024 08:22",
            "Anh chỉ cần gửi CCCD hai mặt và đóng phí hồ sơ 1.500.000đ vào STK 0071000987654 Vietcombank, "
            "hoặc liên hệ Zalo 0912 888 777.",
        ),
        ("Hỗ Trợ Vay Vốn Nhanh", "Lê Văn Dũng", "13/03/2024 08:30", "Vay mà phải đóng phí trước à?"),
    ]
    with open(folder / "zalo_export.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    (folder / "zalo_paste.txt").write_text(
        "12/03/2024\n"
        "Nguyễn Thị Hoa\n09:15\nChị ơi mai họp phụ huynh lúc mấy giờ ạ?\n\n"
        "Cô Mai chủ nhiệm\n09:20\nDạ 8 giờ sáng chị nhé.\nNhớ mang theo sổ liên lạc.\n"
        "09:21\n[Hình ảnh]\n\n"
        "Thứ Tư, 13/03/2024\n"
        "[10:02] Phòng Đào Tạo: Thông báo: phụ huynh đóng học phí bổ sung 2.800.000đ qua link "
        "http://hocphi-thpt.online trước 17h hôm nay.\n"
        "[10:05] Nguyễn Thị Hoa: Trường có thông báo này thật không cô?\n"
        "[10:06] Cô Mai chủ nhiệm: Không phải đâu ạ, trường không thu tiền qua link.\n"
        "Chị đừng bấm vào nhé!\n",
        encoding="utf-8",
    )


def generic_csv() -> None:
    rows = [
        ("id", "date", "from", "message", "channel"),
        (
            "sms-01",
            "2024-03-12 08:15",
            "VCB-Alert",
            "VCB: Tai khoan cua quy khach bi tam khoa do dang nhap la. Xac thuc ngay tai vcb-xacminh.com de mo khoa.",
            "sms",
        ),
        (
            "sms-02",
            "2024-03-12 09:00",
            "0903111222",
            "Em ơi chiều nay 3 giờ họp nhóm ở quán cà phê cũ nhé.",
            "sms",
        ),
        (
            "sms-03",
            "2024-03-12 10:20",
            "Shopee",
            "Đơn hàng 240312ABC của bạn đã được giao thành công. Cảm ơn bạn!",
            "sms",
        ),
        (
            "sms-04",
            "2024-03-12 11:45",
            "0888999000",
            "Bạn đã trúng thưởng 1 chỉ vàng SJC, nhắn mã OTP vừa nhận được cho tổng đài để nhận quà.",
            "sms",
        ),
    ]
    with open(HERE / "generic.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def jsonl() -> None:
    rows = [
        {
            "id": "j-1",
            "conversation": "Nhóm Chạy Bộ Hồ Tây",
            "sender": "Quang",
            "time": "2024-03-16T05:30:00+07:00",
            "text": "Sáng mai 5 giờ rưỡi chạy vòng hồ nhé mọi người.",
        },
        {
            "id": "j-2",
            "conversation": "Nhóm Chạy Bộ Hồ Tây",
            "sender": "Linh",
            "time": "2024-03-16T05:45:00+07:00",
            "text": "Ok anh, em mang nước cho cả nhóm.",
        },
        {
            "id": "j-3",
            "conversation": "Tin nhắn lạ",
            "sender": "+84 865 123 456",
            "time": "2024-03-16T14:02:00+07:00",
            "text": "Đây là Công an phường, anh có liên quan vụ án rửa tiền, yêu cầu chuyển toàn bộ số dư vào tài khoản tạm giữ.",
        },
        {
            "id": "j-4",
            "conversation": "Tin nhắn lạ",
            "sender": "+84 865 123 456",
            "time": "2024-03-16T14:05:00+07:00",
            "text": "",
        },
    ]
    with open(HERE / "messages.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    telegram()
    messenger()
    whatsapp()
    zalo()
    generic_csv()
    jsonl()
