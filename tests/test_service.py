"""The service facade with the committed default model: what every front end relies on."""

from __future__ import annotations

import pytest

from app.taxonomy import scam_labels

SCAMS = set(scam_labels())


def test_default_model_loads_with_its_metadata(default_classifier):
    meta = default_classifier.bundle.meta
    assert default_classifier.version == meta["version"]
    assert meta["thresholds"]["suspicious"] <= meta["thresholds"]["scam"]
    assert "real" in meta["metrics"]["test"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "Tôi là cán bộ công an quận, tài khoản của anh liên quan đường dây rửa tiền. Anh phải chuyển toàn bộ "
            "tiền vào tài khoản tạm giữ để xác minh, không được nói với ai.",
            "impersonation_authority",
        ),
        (
            "[VCB] Tai khoan cua quy khach da bi tam khoa do chua cap nhat sinh trac hoc. Truy cap "
            "vcb-xacthuc.icu de mo khoa ngay.",
            "bank_phishing",
        ),
        (
            "Tuyển cộng tác viên làm nhiệm vụ like TikTok tại nhà, 300k-500k/ngày, nạp trước 200k để nhận "
            "nhiệm vụ đầu tiên.",
            "job_labor_export",
        ),
        (
            "Mẹ ơi con bị tai nạn đang cấp cứu ở bệnh viện, mẹ chuyển gấp 20 triệu vào số tài khoản này "
            "cho bạn con nhé, con không nghe máy được.",
            "relative_impersonation",
        ),
    ],
)
def test_default_model_flags_textbook_scams(default_classifier, text, label):
    v = default_classifier.classify(text)
    assert v["verdict"] in ("scam", "suspicious"), v
    assert v["scam_type"] == label


@pytest.mark.parametrize(
    "text",
    [
        "Mẹ ơi tối nay con về muộn, mẹ ăn cơm trước nhé.",
        "Ma OTP cua ban la 483920. Tuyet doi KHONG chia se ma nay cho bat ky ai.",
        "Lớp 5A họp phụ huynh lúc 19h thứ sáu tại phòng 204, phụ huynh nhớ đến đúng giờ.",
    ],
)
def test_default_model_leaves_ordinary_messages_alone(default_classifier, text):
    v = default_classifier.classify(text)
    assert v["verdict"] in ("safe", "spam"), v
    assert not v["is_scam"]


def test_verdict_object_is_consistent(default_classifier):
    for text in ("Chúc mừng bạn trúng thưởng iPhone, nộp phí 500k nhận quà", "Cơm chín rồi, về ăn đi"):
        v = default_classifier.classify(text)
        assert v["is_scam"] == (v["verdict"] == "scam")
        assert (v["label"] in SCAMS) == v["is_scam"]
        assert abs(sum(v["probabilities"].values()) - 1) < 1e-3
        assert v["model_version"] == default_classifier.version
        assert v["label_name"]["vi"]


def test_classify_many_streams_in_order(default_classifier):
    texts = [f"Tin nhắn số {i}: hẹn gặp lúc {i} giờ" for i in range(30)]
    out = list(default_classifier.classify_many(iter(texts), batch_size=7))
    assert len(out) == 30
