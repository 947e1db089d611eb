"""The text layer: every normalizer rule, every entity kind, spans, naughty strings."""

from __future__ import annotations

import unicodedata

import pytest

from app.text import ENTITY_KINDS, fold, normalize, segment


# --- Unicode clean-up -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # NFC: a decomposed "à" (a + combining grave) equals the precomposed letter
        ("ba\u0300 con", "bà con"),
        # the two tone-placement conventions become one
        ("hoà", "hòa"),
        ("thuý", "thúy"),
        ("khoẻ", "khỏe"),
        ("Uỷ ban", "ủy ban"),
        ("quý khách", "quý khách"),  # qu + y: the mark stays on y
        ("hoàng", "hoàng"),  # closed syllable: nothing to move
        # invisible characters used to split words
        ("chuy\u200bển kho\u200dản", "chuyển khoản"),
        ("\u202etrúng thưởng\u202c", "trúng thưởng"),
        ("\ufeffxin chào", "xin chào"),
        # fancy letters
        ("𝐁𝐚̣𝐧 đã trúng", "bạn đã trúng"),
        ("Ｂạｎ ｄã", "bạn dã"),
        ("Ⓥⓘⓔⓣⓒⓞⓜⓑⓐⓝⓚ", "vietcombank"),
        # letters from other scripts that look Latin (Cyrillic а, о, е)
        ("vаy tiền оnline", "vay tiền online"),
        # whitespace collapsed
        ("  nhiều   khoảng\n\ntrắng\t ", "nhiều khoảng trắng"),
    ],
)
def test_normalize_unicode_cleanup(raw, expected):
    assert normalize(raw).text == expected


# --- Undoing disguise -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("B4n da zu d!eu k1en nh4n t1en", "ban da đủ dieu kien nhan tien"),
        ("QU4 H4N KH0NG ZU0C CH4P NH4N", "qua han khong được chap nhan"),
        ("SH0PIE thong bao", "shopee thong bao"),
        ("v.i.e.t.c.o.m.b.a.n.k", "vietcombank"),
        ("c h u y e n  k h o a n ngay", "chuyen khoan ngay"),
        ("t-r-u-n-g t.h.u.o.n.g", "trung thuong"),
        ("ko dc đâu", "không được đâu"),
        ("k biết", "không biết"),
        ("ck cho em nhé", "chuyển khoản cho em nhé"),
        ("vk ck nhà mình", "vợ chồng nhà mình"),
        ("gửi stk đi", "gửi số tài khoản đi"),
        ("đăng nhập tk ngân hàng", "đăng nhập tài khoản ngân hàng"),
        ("nhập mk vào đây", "nhập mật khẩu vào đây"),
        ("mk đi ăn đây", "mình đi ăn đây"),
        ("ib mình nhé", "nhắn tin mình nhé"),
        ("làm j vậy", "làm gì vậy"),
        ("Mjen phj van chuyen, nhan Tjen ngay", "mien phi van chuyen, nhan tien ngay"),
        ("Cuc tuyet djnh, qua tang rjeng", "cuc tuyet dinh, qua tang rieng"),
        ("chj ơi", "chi ơi"),
        # false friends: not disguise
        ("enjoy dự án", "enjoy dự án"),
        ("vàng DOJI, flycam DJI", "vàng doji, flycam dji"),
        ("gói 4G tốc độ cao", "gói 4g tốc độ cao"),
        ("lớp 12A1 họp phụ huynh", "lớp 12a1 họp phụ huynh"),
        ("nhiễm covid19", "nhiễm covid19"),
        ("đẹp quá!", "đẹp quá!"),
        ("file mp3", "file mp3"),
        # accents Vietnamese never writes stand in for its own letters
        ("ŜšĕŊ RiêngBạŋ Thắŋġ Thųa", "ssen riêng bạn thắng thua"),
        ("Nguyễn Müller", "nguyễn muller"),
        # words glued with capitals are split when every part is a syllable
        ("TặngRiêngBạn NạpĐầu x2", "tặng riêng bạn nạp đầu x2"),
        ("ví MoMo, ZaloPay, VietinBank, iPhone", "ví momo, zalopay, vietinbank, iphone"),
        # dots before, between (one or two) and after single letters
        ("vao .g.O.O.g.L.E..108 .B..E.A.N", "vao .google..108 .bean"),
        # separators inside words: one syllable, or glued syllables cut again
        ("ta.i kh.oanta.ng ba.n", "tai khoan tang ban"),
        ("s.inh vien, nhu cau_t.¡nh_d.uc, phuc~vu", "sinh vien, nhu cau tinh duc, phuc vu"),
        # words that were words already read as words; abbreviations and domains stay
        ("chị ơi.Em gửi ạ, bao_cao", "chị ơi em gửi ạ, bao cao"),
        ("TP.HCM, v.v, P.Hiệu trưởng, Th.S Lan, file.pdf", "tp.hcm, v.v, p.hiệu trưởng, th.s lan, file.pdf"),
    ],
)
def test_normalize_undoes_disguise(raw, expected):
    assert normalize(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("B4n da zu d!eu k1en nh4n t1en", "leet"),
        ("v.i.e.t.c.o.m.b.a.n.k", "spaced"),
        ("c h u y e n  k h o a n", "spaced"),
        ("𝐁𝐚̣𝐧 đã trúng", "fancy"),
        ("vаy tiền", "homoglyph"),
        ("chuy\u200bển", "invisible"),
        ("ko dc", "teencode"),
        ("Mjen phj nhan Tjen", "leet"),
        ("Thắŋġ Thųa", "homoglyph"),
        ("kh.oanta.ng ba.n", "spaced"),
    ],
)
def test_normalize_counts_disguise(raw, kind):
    n = normalize(raw)
    assert n.disguise[kind] > 0
    if kind != "teencode":
        assert n.disguise_score > 0


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        # casino and fake-benefit SMS sprinkle punctuation inside glued words
        ("La,yNg,ay_Ba'y~9Ng'hjn", "lay ngay bay 9 nghin"),
        ("N'ha'nL,jen:Qu.a;HangN,gayy", "nhan lien qua hang ngayy"),
        ("Chỗ'iNga_y", "chỗi ngay"),
    ],
)
def test_salted_words_are_rejoined_and_count_as_disguise(raw, words):
    n = normalize(raw)
    assert n.text == words
    assert n.disguise["salted"] >= 1
    assert n.disguise_score > 0
    assert n.span_to_raw(0, len(n.text)) == (0, len(raw))


@pytest.mark.parametrize(
    "raw",
    [
        "Mẹ chúc con sức khoẻ,ngoan,có hiếu",  # a list written without spaces
        "Hoc ky 1: Toan 9.4,Ly 9.2 ,DTB:8.90,HL:G,HK:T,Hg:41",  # a grade sheet
        "Lien he: Nguyen Van A;SDT:0912 345 678;Dia chi:Ha Noi",
        "A,B,C,D",
        "xem tai vnexpress.net,tuoitre.vn",
        "ong/ba da du dieu'kien nhan'tien",  # apostrophes for spaces between whole words
    ],
)
def test_punctuation_between_words_is_not_salt(raw):
    assert normalize(raw).disguise["salted"] == 0


def test_glued_words_keep_links_and_count_apart_from_disguise():
    n = normalize("[SieuThiHoaBinh] giam 15%, xem web.vn/NhanQua hoac NhanQua.vn")
    assert n.text.startswith("[sieu thi hoa binh]")
    assert [e.value for e in n.entities] == ["web.vn/nhanqua", "nhanqua.vn"]
    assert n.disguise["glued"] == 1
    assert n.disguise_score == 0  # brandname senders write their names this way
    e = n.entities[0]
    assert n.raw[e.start : e.end] == "web.vn/NhanQua"


def test_words_cut_by_separators_keep_their_spans():
    n = normalize("Nhan t.a.i kh.oan ngay")
    assert n.text == "nhan tai khoan ngay"
    start = n.text.index("khoan")
    assert n.raw[slice(*n.span_to_raw(start, start + len("khoan")))] == "kh.oan"


def test_normalize_plain_text_has_no_disguise():
    n = normalize("Quý khách vui lòng thanh toán hóa đơn tiền điện tháng 10 tại quầy.")
    assert n.disguise_score == 0


# --- Diacritic-free form ----------------------------------------------------------------------
def test_folded_form_equal_with_and_without_tones():
    with_tones = normalize("Quý khách đã trúng thưởng một chiếc xe máy")
    without = normalize("Quy khach da trung thuong mot chiec xe may")
    assert with_tones.folded == without.folded == "quy khach da trung thuong mot chiec xe may"
    assert len(with_tones.folded) == len(with_tones.text)


@pytest.mark.parametrize(("raw", "expected"), [("Đường ươm ưởng", "Duong uom uong"), ("ỹ ữ ặ", "y u a")])
def test_fold_removes_every_vietnamese_mark(raw, expected):
    assert fold(raw) == expected


# --- Entities ---------------------------------------------------------------------------------
ENTITY_CASES = [
    # urls
    ("Truy cập https://vcb-online.icu/login ngay", "url", "https://vcb-online.icu/login"),
    ("vào bit . ly/3xYz để nhận", "url", "bit . ly/3xYz"),
    ("link hxxp://evn-hoantien[.]top/a nhé", "url", "hxxp://evn-hoantien[.]top/a"),
    ("truy cập vcb-online.icu để xác thực", "url", "vcb-online.icu"),
    ("kết bạn zalo.me/0987654321 để nhận việc", "url", "zalo.me/0987654321"),
    ("www.shopee-hotro.xyz.", "url", "www.shopee-hotro.xyz"),
    ("trang vietcombank.com.vn là trang thật", "url", "vietcombank.com.vn"),
    ("vào 103.45.67.89/app tải", "url", "103.45.67.89/app"),
    ("nhóm t.me/dautu_vip99", "url", "t.me/dautu_vip99"),
    # the scheme without its colon, to slip past link filters, on a host with no real TLD
    ("Ma OTP 632900 https//vi.ecmjJ7U4frh", "url", "https//vi.ecmjJ7U4frh"),
    # throwaway domains of bulk gambling SMS, and TLDs that are also words (need 2 labels or a path)
    ("nap dau tang 100% jOeR5Rv.Gezne.de i7V", "url", "jOeR5Rv.Gezne.de"),
    ("Quay:1_59;VbUmlosnG.qcpo.bid D", "url", "VbUmlosnG.qcpo.bid"),
    ("Kiem tra ngay qyy.nu/pLSACb9c nhe", "url", "qyy.nu/pLSACb9c"),
    # phones
    ("gọi 0912345678 gấp", "phone", "0912345678"),
    ("LH +84 912 345 678", "phone", "+84 912 345 678"),
    ("sđt 0912.345.678 nhé", "phone", "0912.345.678"),
    ("hotline 1900 6868 hỗ trợ", "phone", "1900 6868"),
    ("gọi 1800 1091", "phone", "1800 1091"),
    ("Hotline: 1>9>0>0>1>9>9>5 nhan thuong", "phone", "1>9>0>0>1>9>9>5"),
    ("zalo 09_88_77_66_55 nhe", "phone", "09_88_77_66_55"),
    ("LH 09.88.77.66.55", "phone", "09.88.77.66.55"),
    ("máy bàn 024 3825 1234", "phone", "024 3825 1234"),
    ("liên hệ +855 96 123 4567 (Campuchia)", "phone", "+855 96 123 4567"),
    ("call +1 (415) 555-0123", "phone", "+1 (415) 555-0123"),
    # bank accounts
    ("STK 0071000986547 Vietcombank", "bank_account", "0071000986547"),
    ("số tài khoản: 1903 6688 9999 Techcombank", "bank_account", "1903 6688 9999"),
    ("so tai khoan la 123456789 MB", "bank_account", "123456789"),
    ("chuyển vào stk mb 0912345678 nhé", "bank_account", "0912345678"),  # a phone used as account
    ("TK 1234xxx5678 +5,000,000VND", "bank_account", "1234xxx5678"),
    ("Vietinbank 108872345671 chủ TK Nguyen Van A", "bank_account", "108872345671"),
    # money
    ("nộp 50.000.000đ phí", "money", "50.000.000đ"),
    ("vay 50tr", "money", "50tr"),
    ("chỉ 500k", "money", "500k"),
    ("lãi 2 tỷ", "money", "2 tỷ"),
    ("phí 5 triệu đồng", "money", "5 triệu đồng"),
    ("lương 1tr5 một ngày", "money", "1tr5"),
    ("nhận $500 ngay", "money", "$500"),
    ("nạp 1,5 triệu", "money", "1,5 triệu"),
    ("chạy 100k bước", "money", "100k"),  # still an amount by shape
    # otp
    ("Ma OTP cua ban la 483920", "otp", "483920"),
    ("Mã xác thực: 5521", "otp", "5521"),
    ("cho em xin mã xác nhận 889900 vừa gửi", "otp", "889900"),
    ("773311 la ma OTP cua quy khach", "otp", "773311"),
    # email
    ("gửi hồ sơ về hr.tuyendung@gmail.com", "email", "hr.tuyendung@gmail.com"),
    # handles
    ("liên hệ telegram @nhanviec_247", "handle", "@nhanviec_247"),
    ("tele: @CSKH_shopee", "handle", "@CSKH_shopee"),
]


@pytest.mark.parametrize(("raw", "kind", "span_text"), ENTITY_CASES)
def test_entities_found_with_exact_spans(raw, kind, span_text):
    n = normalize(raw)
    hits = [e for e in n.entities if e.kind == kind]
    assert [raw[e.start : e.end] for e in hits] == [span_text]
    assert all(e.text == raw[e.start : e.end] for e in n.entities)
    assert f"__{'account' if kind == 'bank_account' else kind}__" in n.text


def test_entity_cases_cover_every_kind():
    assert {kind for _, kind, _ in ENTITY_CASES} == set(ENTITY_KINDS)


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("LH +84 912 345 678", "phone", "+84912345678"),
        ("LH 0912.345.678", "phone", "+84912345678"),
        ("vay 50tr", "money", "50000000 VND"),
        ("lương 1tr5", "money", "1500000 VND"),
        ("2 tỷ", "money", "2000000000 VND"),
        ("hxxp://evn-hoantien[.]top/a", "url", "http://evn-hoantien.top/a"),
        ("bit . ly/3xYz", "url", "bit.ly/3xyz"),
    ],
)
def test_entity_values_are_normalized(raw, kind, value):
    (e,) = [e for e in normalize(raw).entities if e.kind == kind]
    assert e.value == value


def test_bank_account_carries_its_bank():
    (e,) = normalize("STK 0071000986547 Vietcombank").entities
    assert e.attrs["bank"] == "VCB"


def test_shortener_and_ip_links_are_marked():
    n = normalize("bit.ly/abc và http://103.45.67.89/x")
    assert n.entities[0].attrs.get("shortener") is True
    assert n.entities[1].attrs.get("ip") is True


@pytest.mark.parametrize(
    ("raw", "not_kinds"),
    [
        ("hẹn ngày 12/05/2025 lúc 08:30", {"phone", "bank_account", "money", "otp"}),  # a date
        ("ngày 05.12.2025", {"phone", "bank_account"}),
        ("gói 4G và 3G giá tốt", {"money"}),
        ("cập nhật phiên bản 1.2.3 hoặc v2.10.15", {"bank_account", "phone", "url"}),
        ("mã đơn hàng 2410ABC", {"otp"}),
        ("chuyển 50.000.000 vào tài khoản Vietcombank", {"bank_account"}),  # amount, not account
        ("xong rồi. Cơm ngon lắm", {"url"}),  # "com" after a full stop is not a domain
        ("xong roi.de mai lam tiep", {"url"}),  # "để" typed without a space is not a domain
        ("toi ve.se goi lai, mua ca.be nha", {"url"}),
        ("email to me", {"email", "handle"}),
    ],
)
def test_false_friends_not_caught(raw, not_kinds):
    kinds = {e.kind for e in normalize(raw).entities}
    assert not (kinds & not_kinds), kinds


# --- Spans survive every rewrite -------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "Ba\u0300 con ơi, gọi 0912345678 ngay",  # NFC shortens the text before the phone
        "𝐁𝐚̣𝐧 trúng thưởng, vào https://a.icu/x",  # fancy letters are 2 code units each
        "\u200b\u200bchuy\u200bển 5tr vào STK 0071000986547",
        "c h u y e n  k h o a n 500k qua stk 123456789 MB",
    ],
)
def test_entity_spans_map_to_original_text(raw):
    n = normalize(raw)
    assert n.entities
    for e in n.entities:
        assert raw[e.start : e.end] == e.text
        assert unicodedata.normalize("NFKC", e.text).strip() != ""


def test_text_spans_map_back_to_original():
    raw = "Qu\u00fd kh\u00e1ch vui l\u00f2ng ck 500k v\u00e0o stk 123456789"
    n = normalize(raw)
    i = n.text.index("chuyển khoản")
    s, e = n.span_to_raw(i, i + len("chuyển khoản"))
    assert raw[s:e] == "ck"
    j = n.folded.index("vui long")
    s, e = n.span_to_raw(j, j + len("vui long"))
    assert raw[s:e] == "vui lòng"


def test_spaced_letters_span_covers_the_whole_run():
    raw = "xin c h u y e n  k h o a n ngay"
    n = normalize(raw)
    i = n.text.index("chuyen khoan")
    s, e = n.span_to_raw(i, i + len("chuyen khoan"))
    assert raw[s:e] == "c h u y e n  k h o a n"


# --- Naughty strings never raise -------------------------------------------------------------
NAUGHTY = [
    "",
    " ",
    "\n\t",
    "😀😀😀",
    "👨‍👩‍👧‍👦",
    "x" * 100_000,
    "trúng thưởng " * 8_000,
    "a\x00b\x00c",
    "\ud800\udfff lone surrogates \udc00",
    "مرحبا بالعالم",  # right-to-left
    "\u202ereversed\u202c",
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.icu")',
    "../../etc/passwd",
    "\u0300\u0301 leading combining marks",
    "ﷺ﷽",
    "0" * 5000,
    "1.2.3.4.5.6.7.8.9.0" * 100,
    "@" * 1000,
    "http://" + "a." * 3000 + "com",
]


@pytest.mark.parametrize("raw", NAUGHTY, ids=range(len(NAUGHTY)))
def test_normalize_naughty_strings_never_raise(raw):
    n = normalize(raw)
    assert isinstance(n.text, str)
    assert len(n.folded) == len(n.text)
    for e in n.entities:
        assert raw[e.start : e.end] == e.text


def test_normalize_rejects_non_text():
    with pytest.raises(TypeError, match="takes a str"):
        normalize(b"bytes")  # type: ignore[arg-type]


# --- Word segmentation ------------------------------------------------------------------------
def test_segment_joins_compound_words():
    words = segment(normalize("Mở thẻ tín dụng tại ngân hàng").text)
    assert "ngân_hàng" in words and "mở" in words


def test_segment_keeps_placeholders_whole():
    words = segment(normalize("vào https://a.icu/x để nhận 500k").text)
    assert "__url__" in words and "__money__" in words
