"""Explanations people can check: patterns, red flags and words, with spans into the original text."""

from __future__ import annotations

import pytest

from app.explain import SimilarIndex, red_flags
from app.service import Classifier
from app.taxonomy import scam_labels
from app.text import normalize

# (label, pattern that must fire, message, the words its first span must select)
CASES = [
    (
        "impersonation_authority",
        "SAFE_ACCOUNT_TRANSFER",
        "Tôi là điều tra viên Công an quận Hai Bà Trưng. Chị phải chuyển toàn bộ số dư vào tài khoản tạm giữ "
        "của cơ quan điều tra để xác minh nguồn tiền.",
        "chuyển toàn bộ số dư vào tài khoản tạm giữ",
    ),
    (
        "impersonation_authority",
        "SAFE_ACCOUNT_TRANSFER",
        "Toi la dieu tra vien cong an quan, chi phai chuyen toan bo so du vao tai khoan tam giu de xac minh "
        "nguon tien.",
        "chuyen toan bo so du vao tai khoan tam giu de xac minh nguon tien",
    ),
    (
        "bank_phishing",
        "BIOMETRIC_UPDATE",
        "[Vietcombank] Quy khach chua cap nhat sinh trac hoc, tai khoan se bi tam dung. Cap nhat ngay tai "
        "vcb-sinhtrachoc.icu",
        "sinh trac hoc",
    ),
    (
        "bank_phishing",
        "BIOMETRIC_UPDATE",  # disguised: dotted brand and leetspeak
        "V.i.e.t.c.o.m.b.a.n.k: c4p nh4t s1nh tr4c h0c ng4y, t4i kh0an se b1 kh0a",
        "s1nh tr4c h0c",
    ),
    (
        "bank_phishing",
        "OTP_REQUEST",
        "Em bên Techcombank hỗ trợ nâng hạn mức thẻ, anh đọc giúp em mã OTP vừa gửi về máy nhé.",
        "đọc giúp em mã OTP",
    ),
    (
        "fake_investment",
        "GUARANTEED_PROFIT",
        "Nhóm chuyên gia chứng khoán cam kết lợi nhuận 30% mỗi tháng, vào nhóm Zalo để nhận mã miễn phí.",
        "cam kết lợi nhuận 30% mỗi tháng",
    ),
    (
        "job_labor_export",
        "ONLINE_TASK_BOOSTING",
        "Tuyển CTV làm nhiệm vụ like và follow TikTok tại nhà, hoa hồng 15% mỗi đơn.",
        "làm nhiệm vụ like và follow TikTok tại nhà, hoa hồng 15",
    ),
    (
        "job_labor_export",
        "LABOR_EXPORT_FEE",
        "Xuất khẩu lao động Nhật Bản đơn hàng thực phẩm, bay nhanh 3 tháng, đặt cọc 40 triệu giữ suất.",
        "Xuất khẩu lao động",
    ),
    (
        "ecommerce_delivery",
        "STORAGE_COD_FEE",
        "Shipper báo đơn hàng của chị đang lưu kho quá hạn, chị chuyển phí lưu kho 30k để em giao lại.",
        "phí lưu kho",
    ),
    (
        "prize_giveaway",
        "PRIZE_FEE",
        "Chúc mừng quý khách trúng thưởng xe Honda SH, vui lòng nộp phí trước bạ 3 triệu để nhận giải.",
        "phí trước bạ 3 triệu để nhận giải",
    ),
    (
        "prize_giveaway",
        "PRIZE_FEE",  # leetspeak, no tones
        "Chuc mung b4n da trung thu0ng xe SH, n0p phi 2 tr1eu de nh4n giai",
        "phi 2 tr1eu de nh4n giai",
    ),
    (
        "loan_debt",
        "LOAN_UPFRONT_FEE",
        "Hồ sơ vay 50 triệu của anh đã duyệt, anh đóng phí bảo hiểm khoản vay 2 triệu để giải ngân ngay.",
        "Hồ sơ vay 50 triệu của anh đã duyệt, anh đóng phí bảo hiểm khoản vay 2 triệu để giải ngân",
    ),
    (
        "relative_impersonation",
        "RELATIVE_EMERGENCY",
        "Chị ơi em là cô giáo chủ nhiệm, cháu bị tai nạn đang cấp cứu ở bệnh viện, chị chuyển gấp tiền mổ nhé.",
        "tai nạn đang cấp cứu ở bệnh viện, chị chuyển gấp tiền",
    ),
    (
        "romance_foreigner",
        "FOREIGN_PARCEL_CUSTOMS",
        "Hải quan sân bay Nội Bài thông báo: kiện quà từ nước ngoài gửi cho bạn đang bị giữ, bạn phải nộp phí "
        "thông quan 18 triệu.",
        "kiện quà",
    ),
    (
        "account_rental",
        "BUY_RENT_BANK_ACCOUNT",
        "Cần thuê tài khoản ngân hàng chính chủ, trả 3 triệu mỗi tháng, sinh viên ib mình.",
        "Cần thuê tài khoản ngân hàng chính chủ, trả 3 triệu",
    ),
    (
        "case_fixing",
        "CASE_FIXING_OFFER",
        "Anh quen người bên viện kiểm sát, lo chạy án cho con chị, 200 triệu là xong vụ này.",
        "chạy án",
    ),
    (
        "gambling_betting",
        "FIRST_DEPOSIT_BONUS",
        "Nhà cái uy tín số 1, tặng 100% nạp đầu, rút tiền 3 phút. Đăng ký tại vn88-club.vip",
        "tặng 100% nạp đầu",
    ),
    (
        "other_scam",
        "FAKE_DIPLOMA_DOCS",
        "Nhận làm bằng đại học, bằng lái xe các loại, không cần học, giao tận nhà.",
        "Nhận làm bằng đại học, bằng lái xe các loại, không cần học",
    ),
]


@pytest.fixture(scope="module")
def clf(small_model_dir):
    return Classifier.from_dir(small_model_dir)


def test_cases_cover_every_scam_type():
    assert {c[0] for c in CASES} == set(scam_labels())


@pytest.mark.parametrize(
    ("label", "pattern_id", "text", "words"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_explanation_names_the_pattern_with_exact_spans(clf, label, pattern_id, text, words):
    v = clf.classify(text)
    exp = v["explanation"]
    (p,) = [p for p in exp["patterns"] if p["id"] == pattern_id]
    assert p["label"] in (label, "any")  # common cues (OTP, urgency) point at no single type
    assert p["name"]["vi"] and p["description"]["en"]
    first = p["spans"][0]
    assert text[first["start"] : first["end"]] == first["text"] == words
    for p in exp["patterns"]:
        for s in p["spans"]:
            assert text[s["start"] : s["end"]] == s["text"]


def test_explanation_has_summary_terms_and_advice(clf):
    text = CASES[0][2]
    v = clf.classify(text)
    exp = v["explanation"]
    assert "Tin nhắn này" in exp["summary"] and exp["summary_en"].startswith("This message")
    assert exp["top_terms"], "the model's most influential words are listed"
    for t in exp["top_terms"]:
        assert text[t["start"] : t["end"]] == t["text"]
    advice = " ".join(v["advice"]["vi"])
    if v["verdict"] in ("scam", "suspicious"):
        assert "113" in advice  # where to report


@pytest.mark.parametrize(
    ("text", "kind", "span_text"),
    [
        (
            "Cập nhật ngay tại vietcombank-xacthuc.icu/login kẻo bị khóa",
            "suspicious_tld",
            "vietcombank-xacthuc.icu/login",
        ),
        (
            "Cập nhật ngay tại vietcombank-xacthuc.icu/login kẻo bị khóa",
            "brand_lookalike",
            "vietcombank-xacthuc.icu/login",
        ),
        (
            "video đây mn ạ, sợ quá https://wvw-fb.com/profile-phpid=7476",
            "brand_lookalike",
            "https://wvw-fb.com/profile-phpid=7476",
        ),
        ("Xem chi tiết bit.ly/3abcXYZ", "shortener", "bit.ly/3abcXYZ"),
        (
            "Nhận tiền tại https://sites.google.com/view/nhantien-vcb ngay",
            "free_hosting",
            "https://sites.google.com/view/nhantien-vcb",
        ),
        ("Đăng nhập vcb-digibank.web.app để xác thực", "free_hosting", "vcb-digibank.web.app"),
        ("Tải app tại http://103.21.44.9/vneid.apk", "apk", "http://103.21.44.9/vneid.apk"),
        ("Gọi ngay +855 96 123 4567 để nhận quà", "foreign_phone", "+855 96 123 4567"),
        (
            "Ngân hàng Vietcombank hỗ trợ khách hàng, liên hệ 0912345678",
            "personal_phone_as_brand",
            "0912345678",
        ),
        (
            "Chuyển phí vào STK 0071000986547 Vietcombank, chủ TK: NGUYEN VAN HUNG",
            "personal_account",
            "0071000986547",
        ),
        ("Anh đọc cho em mã OTP vừa gửi nhé", "otp_request", "đọc cho em mã OTP"),
        ("Nộp phạt trong vòng 24 giờ", "urgency", "trong vòng 24"),
        ("Không thanh toán sẽ bị khóa tài khoản vĩnh viễn", "threat", "bị khóa"),
        ("B4n da zu d!eu k1en nh4n t1en ho tro", "disguise", "B4n"),
        # the list before it is punctuation; the salted word is the disguise
        ("Tang quy khach: ao,mu,giay. N'ha'nL,jen:Qu.a ngay", "disguise", "N'ha'nL,jen:Qu.a"),
    ],
)
def test_red_flags_point_at_the_right_words(text, kind, span_text):
    flags = [f for f in red_flags(normalize(text)) if f["kind"] == kind]
    assert flags, kind
    f = flags[0]
    assert text[f["start"] : f["end"]] == span_text
    assert f["reason"] and f["reason_en"]


def test_a_page_on_a_free_host_is_not_the_official_site_of_its_platform():
    from app.features import url_flags

    assert url_flags("google.com", "https://google.com/search")["official"]
    free = url_flags("sites.google.com", "https://sites.google.com/view/vcb")
    assert free["free_hosting"] and not free["official"]
    assert not url_flags("vietcombank.com.vn", "vietcombank.com.vn")["free_hosting"]
    # the bank's own site is not flagged as a free host
    kinds = {f["kind"] for f in red_flags(normalize("Xem tại vietcombank.com.vn/uu-dai"))}
    assert "free_hosting" not in kinds


def test_warning_about_otp_is_not_an_otp_request():
    flags = red_flags(normalize("Tuyệt đối không cung cấp mã OTP cho bất kỳ ai"))
    assert "otp_request" not in {f["kind"] for f in flags}


def test_similar_index_finds_near_copies_fast_and_not_strangers():
    index = SimilarIndex()
    base = "Chúc mừng quý khách đã trúng thưởng xe máy SH trong chương trình tri ân, nộp phí 2 triệu để nhận giải"
    index.add("case-17", "prize_giveaway", base)
    index.add(
        "case-18",
        "loan_debt",
        "Vay nhanh 50 triệu chỉ cần căn cước, giải ngân trong 30 phút, phí hồ sơ 1 triệu",
    )
    hits = index.query(
        "Chuc mung quy khach da trung thuong xe may SH trong chuong trinh tri an, nop phi 3 trieu de nhan giai"
    )
    assert hits and hits[0]["id"] == "case-17" and hits[0]["similarity"] >= 0.6
    assert index.query("Tối nay họp lớp ở nhà hàng Sen lúc 7 giờ, mọi người nhớ đến đúng giờ nhé") == []


def test_similar_index_round_trips_without_pickle(tmp_path):
    index = SimilarIndex()
    index.add(
        "a1",
        "bank_phishing",
        "Tài khoản của quý khách bị khóa, cập nhật sinh trắc học tại vcb-xacthuc.icu ngay",
    )
    index.save(tmp_path / "s.npz")
    again = SimilarIndex.load(tmp_path / "s.npz")
    assert (
        again.query("Tai khoan cua quy khach bi khoa, cap nhat sinh trac hoc tai vcb-xacthuc.icu ngay")[0][
            "id"
        ]
        == "a1"
    )
