"""The pattern library: examples, validation, content hash, spans, meta parser, naughty input."""

from __future__ import annotations

import pickle
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from app.patterns import (
    DATA_DIR,
    SCAM_LABELS,
    PatternError,
    check_library,
    load_library,
    parse_meta,
)
from app.text import normalize

# Loaded once for parametrization; the examples are checked by the tests below, one per id.
LIB = load_library(check_examples=False)
BY_ID = {p.id: p for p in LIB.patterns}
ALL_IDS = [p.id for p in LIB.patterns]

# The taxonomy of shared/data/README.md, written out here so a change on either side shows.
TAXONOMY_SCAM_LABELS = [
    "impersonation_authority",
    "bank_phishing",
    "fake_investment",
    "job_labor_export",
    "ecommerce_delivery",
    "prize_giveaway",
    "loan_debt",
    "relative_impersonation",
    "romance_foreigner",
    "account_rental",
    "case_fixing",
    "gambling_betting",
    "other_scam",
]


def _fired(text: str) -> set[str]:
    return set(LIB.fired(normalize(text)))


# --- The shipped library ----------------------------------------------------------------------
@pytest.mark.parametrize("pattern_id", ALL_IDS)
def test_library_pattern_hits_every_example(pattern_id):
    p = BY_ID[pattern_id]
    missed = [t for t in p.examples if pattern_id not in _fired(t)]
    assert not missed, f"{pattern_id} ({p.file}) misses {missed}"


@pytest.mark.parametrize("pattern_id", ALL_IDS)
def test_library_pattern_misses_every_counter_example(pattern_id):
    p = BY_ID[pattern_id]
    hit = [t for t in p.counter_examples if pattern_id in _fired(t)]
    assert not hit, f"{pattern_id} ({p.file}) hits counter-examples {hit}"


def test_library_labels_match_the_taxonomy():
    assert list(SCAM_LABELS) == TAXONOMY_SCAM_LABELS


def test_library_covers_every_scam_label_with_four_patterns():
    counts = Counter(p.label for p in LIB.patterns if not p.is_sub)
    thin = {label: counts[label] for label in TAXONOMY_SCAM_LABELS if counts[label] < 4}
    assert not thin, f"labels with fewer than 4 reported patterns: {thin}"


def test_library_has_enough_reported_and_meta_patterns():
    assert len(LIB.ids) >= 70
    assert sum(p.is_meta for p in LIB.patterns) >= 6
    assert all(not i.startswith("__") for i in LIB.ids)
    assert LIB.ids == sorted(LIB.ids)


def test_library_has_one_file_per_scam_label_plus_common():
    names = {p.name for p in DATA_DIR.glob("*.yaml")}
    assert names == {f"{label}.yaml" for label in TAXONOMY_SCAM_LABELS} | {"common.yaml"}


def test_load_library_validates_examples_by_default():
    lib = load_library()  # raises if any example or counter-example misbehaves
    assert lib.content_hash == LIB.content_hash


def test_check_library_reports_every_pattern_healthy():
    results = check_library(LIB)
    assert [r["id"] for r in results] == ALL_IDS
    for r in results:
        assert r["examples_hit"] == r["examples_total"] >= 2, r
        assert r["counter_hits"] == 0 and r["counter_total"] >= 1, r


def test_library_descriptions_are_bilingual_sentences():
    for p in LIB.patterns:
        assert set(p.name) == set(p.description) == {"vi", "en"}, p.id
        assert p.description["vi"].rstrip().endswith("."), p.id
        assert p.description["en"].rstrip().endswith("."), p.id


# --- Matching: spans on the original text -----------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "pattern_id", "expected"),
    [
        # with diacritics
        (
            "Anh chuyển toàn bộ tiền vào tài khoản tạm giữ để xác minh nhé",
            "SAFE_ACCOUNT_TRANSFER",
            ["chuyển toàn bộ tiền vào tài khoản tạm giữ"],
        ),
        # without diacritics
        (
            "Anh chuyen toan bo tien vao tai khoan tam giu de xac minh nhe",
            "SAFE_ACCOUNT_TRANSFER",
            ["chuyen toan bo tien vao tai khoan tam giu"],
        ),
        # leetspeak
        ("B4n đã trúng thưởng xe SH", "PRIZE_WIN_CLAIM", ["B4n đã trúng thưởng"]),
        # spaced letters
        ("Ban da t r u n g  t h u o n g 1 xe SH", "PRIZE_WIN_CLAIM", ["Ban da t r u n g  t h u o n g"]),
        # teencode: "ck" is read as "chuyển khoản", the span is still "ck"
        ("Chị ck giúp em 5tr nhé", "BORROW_TRANSFER_FOR_ME", ["ck giúp"]),
        # a meta carries the spans of the patterns it combines
        (
            "Công an quận yêu cầu anh chuyển khoản 200 triệu ngay",
            "META_AUTHORITY_MONEY",
            ["Công an", "chuyển khoản 200 triệu"],
        ),
    ],
)
def test_match_spans_select_the_words_of_the_original_text(raw, pattern_id, expected):
    hits = {h.id: h for h in LIB.match(normalize(raw))}
    assert pattern_id in hits, sorted(hits)
    assert [raw[s:e] for s, e in hits[pattern_id].spans] == expected


def test_match_reports_no_sub_patterns_and_sorts_by_weight():
    hits = LIB.match(normalize("Công an yêu cầu chị chuyển khoản ngay lập tức, không được nói với ai"))
    assert hits and all(not h.id.startswith("__") for h in hits)
    assert [h.weight for h in hits] == sorted((h.weight for h in hits), reverse=True)
    assert all(h.name["vi"] and h.description["en"] for h in hits)


def test_hit_vector_follows_ids_and_weights():
    n = normalize("Chúc mừng bạn đã trúng thưởng, nộp phí 500k để nhận giải")
    vec = LIB.hit_vector(n)
    assert len(vec) == len(LIB.ids)
    fired = {h.id: h.weight for h in LIB.match(n)}
    assert fired
    assert {i: w for i, w in zip(LIB.ids, vec, strict=True) if w} == fired


def test_library_pickles_for_the_model_pipeline():
    n = normalize("Chuyển hết tiền vào tài khoản tạm giữ ngay lập tức")
    copy = pickle.loads(pickle.dumps(LIB))
    assert copy.content_hash == LIB.content_hash and copy.ids == LIB.ids
    assert copy.match(n) == LIB.match(n)


def test_match_agrees_with_a_plain_regex_reference():
    """The prefilter and the leading-word shortcut never change what fires, nor where."""
    texts = [t for p in LIB.patterns for t in (*p.examples, *p.counter_examples)]
    texts += [
        "Ch1 0i ck g1up 3m 5tr vao stk nay nhe",
        "c h u y e n  k h o a n ngay",
        "https://x.top nạp 500k trong24h, chỉ còn 2h, còn lại 3 ngày",
        "thuê tài khoản ngân hàng 2tr, cho thuê lại thẻ atm, mbbank mb bank",
        "mã cvv,cvc;ccv 2 mặt thẻ -- chụp ảnh căn cước/cmnd nhận ngay 300k",
        "",
        "😀" * 20,
    ]
    for text in texts:
        n = normalize(text)
        reference = _reference_fired(n.folded)
        assert LIB.fired(n) == reference, text
        # the features' shortcut (no spans, only the cues a present needle wakes) agrees too
        assert LIB.fired_ids(n) == {i for i in reference if not LIB.get(i).is_sub}, text


def _reference_fired(text: str) -> dict[str, list[tuple[int, int]]]:
    def spans(rx: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(rx, text) if m.end() > m.start()]

    fired: dict[str, list[tuple[int, int]]] = {}
    for p in LIB.patterns:
        if p.is_meta:
            continue
        found = [s for rx in p.cues for s in spans(rx)]
        if not found or any(spans(rx) for rx in p.unless):
            continue
        required = [spans(rx)[:1] for rx in p.require]
        if all(required):
            fired[p.id] = found + [r[0] for r in required]
    metas = [p for p in LIB.patterns if p.is_meta]
    for _ in metas:  # enough passes for metas that use metas
        for p in metas:
            expr = parse_meta(p.meta)
            if p.id not in fired and expr.evaluate(fired) and not any(spans(rx) for rx in p.unless):
                fired[p.id] = [s for i in sorted(expr.ids) if i in fired for s in fired[i]]
    return fired


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "\x00\x00\x00",
        "😀🔥💸" * 50,
        "<script>alert('trúng thưởng')</script><b>chuyển khoản</b>",
        "a" * 100_000,
        "Chuyển tiền ngay vào tài khoản tạm giữ " * 2600,  # about 100 KB of matches
        "\u202etrúng thưởng\u202c \u200b\u200b",
        "\ud800 lone surrogate",
        "Ｃｈｕｙể𝐧 𝐤𝐡𝐨ả𝐧 𝐧𝐠𝐚𝐲",
        "١٢٣ ٤٥٦ 中文 русский",
        "%s %d {0} $(rm -rf /) ; DROP TABLE cases;",
    ],
)
def test_match_naughty_strings_never_raise(raw):
    n = normalize(raw)
    hits = LIB.match(n)
    for h in hits:
        assert all(0 <= s < e <= len(raw) for s, e in h.spans)
    assert len(LIB.hit_vector(n)) == len(LIB.ids)


# --- Content hash -----------------------------------------------------------------------------
def test_content_hash_is_stable_and_ignores_key_order_and_layout(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    p = _pattern()
    _write(a / "x.yaml", [p])
    reordered = dict(reversed(list(p.items())))
    (b / "x.yaml").write_text(
        "# a comment does not count\n" + yaml.safe_dump({"patterns": [reordered]}, sort_keys=False),
        encoding="utf-8",
    )
    h1 = load_library(a).content_hash
    assert load_library(a).content_hash == h1
    assert load_library(b).content_hash == h1
    assert re.fullmatch(r"[0-9a-f]{64}", h1)


def test_content_hash_changes_when_a_file_changes(tmp_path):
    _write(tmp_path / "x.yaml", [_pattern()])
    before = load_library(tmp_path).content_hash
    _write(tmp_path / "x.yaml", [_pattern(weight=2.5)])
    assert load_library(tmp_path).content_hash != before


# --- Validation: every error names the pattern and the file ------------------------------------
def _pattern(**changes) -> dict:
    p = {
        "id": "TEST_HOLDING_ACCOUNT",
        "label": "impersonation_authority",
        "weight": 2.0,
        "name": {"vi": "Tài khoản tạm giữ", "en": "Holding account"},
        "description": {"vi": "Một câu mô tả.", "en": "One sentence."},
        "cues": [r"\btai khoan tam giu\b"],
        "examples": ["Chuyển tiền vào tài khoản tạm giữ ngay", "chuyen vao tai khoan tam giu"],
        "counter_examples": ["Tài khoản của bạn đã được xác minh  # a normal notice"],
    }
    p.update(changes)
    return {k: v for k, v in p.items() if v is not None}


def _meta(**changes) -> dict:
    p = _pattern(id="META_TEST", cues=None, meta="TEST_HOLDING_ACCOUNT && __TEST_URGENT")
    p["examples"] = ["Chuyển vào tài khoản tạm giữ ngay lập tức", "chuyen tai khoan tam giu ngay lap tuc"]
    p.update(changes)
    return p


def _sub(**changes) -> dict:
    p = _pattern(
        id="__TEST_URGENT", cues=[r"\bngay lap tuc\b"], examples=["Làm ngay lập tức", "ngay lap tuc"]
    )
    p.update(changes)
    return p


def _write(path: Path, patterns: list[dict]) -> None:
    path.write_text(yaml.safe_dump({"patterns": patterns}, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("patterns", "code", "pattern_id"),
    [
        ([_pattern(cues=["(tai khoan"])], "P008", "TEST_HOLDING_ACCOUNT"),
        (
            [_pattern(examples=["Hôm nay trời đẹp", "chuyen vao tai khoan tam giu"])],
            "P014",
            "TEST_HOLDING_ACCOUNT",
        ),
        ([_pattern(counter_examples=["tài khoản tạm giữ  # oops"])], "P015", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(), _meta(meta="TEST_HOLDING_ACCOUNT && __NOT_THERE")], "P011", "META_TEST"),
        ([_pattern(), _sub(), _meta(meta="TEST_HOLDING_ACCOUNT &&")], "P010", "META_TEST"),
        ([_pattern(), _meta(meta="__import__('os').system('true')")], "P010", "META_TEST"),
        ([_pattern(), _meta(meta="META_TEST || TEST_HOLDING_ACCOUNT")], "P012", "META_TEST"),
        ([_pattern(), _sub()], "P013", "__TEST_URGENT"),
        ([_pattern(label="scam")], "P006", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(weight=9)], "P007", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(weight="high")], "P007", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(description=None)], "P003", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(requires=[r"\bx\b"])], "P003", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(examples=["chuyen vao tai khoan tam giu"])], "P003", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(cues=[r"(?:\w+ )+tam giu"])], "P009", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(cues=[r"tai khoan.*tam giu"])], "P009", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(cues=[r"\bTai Khoan\b"])], "P009", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(cues=[r"\btài khoản\b"])], "P009", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(cues=[r"x?"])], "P009", "TEST_HOLDING_ACCOUNT"),
        ([_pattern(id="lower_case")], "P004", None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_load_library_error_names_code_pattern_and_file(tmp_path, patterns, code, pattern_id):
    _write(tmp_path / "broken.yaml", patterns)
    with pytest.raises(PatternError) as err:
        load_library(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"[{code}]"), msg
    assert "broken.yaml" in msg and err.value.file == "broken.yaml"
    if pattern_id:
        assert repr(pattern_id) in msg and err.value.pattern_id == pattern_id


def test_load_library_duplicate_id_names_both_files(tmp_path):
    _write(tmp_path / "a.yaml", [_pattern()])
    _write(tmp_path / "b.yaml", [_pattern(weight=1.0)])
    with pytest.raises(PatternError, match=r"\[P005\] pattern 'TEST_HOLDING_ACCOUNT' in b\.yaml.*a\.yaml"):
        load_library(tmp_path)


def test_load_library_rejects_unreadable_and_empty_input(tmp_path):
    with pytest.raises(PatternError, match=r"\[P016\]"):
        load_library(tmp_path)
    (tmp_path / "bad.yaml").write_text("patterns: [unclosed", encoding="utf-8")
    with pytest.raises(PatternError, match=r"\[P001\] in bad\.yaml"):
        load_library(tmp_path)
    (tmp_path / "bad.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(PatternError, match=r"\[P002\] in bad\.yaml"):
        load_library(tmp_path)


def test_load_library_can_skip_example_checks(tmp_path):
    _write(tmp_path / "x.yaml", [_pattern(examples=["Hôm nay trời đẹp", "trời mưa"])])
    lib = load_library(tmp_path, check_examples=False)
    [result] = check_library(lib)
    assert result["examples_hit"] == 0 and result["missed"] == ["Hôm nay trời đẹp", "trời mưa"]


def test_load_library_strips_counter_example_comments(tmp_path):
    _write(tmp_path / "x.yaml", [_pattern()])
    [p] = load_library(tmp_path).patterns
    assert p.counter_examples == ("Tài khoản của bạn đã được xác minh",)


# --- Meta expressions -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "fired", "expected"),
    [
        ("(__A + __B + __C) >= 2", {"__A", "__C"}, True),
        ("(__A + __B + __C) >= 2", {"__B"}, False),
        ("__A && !__B", {"__A"}, True),
        ("__A && !__B", {"__A", "__B"}, False),
        ("__A || __B && __C", {"__A"}, True),  # && binds tighter than ||
        ("(__A || __B) && __C", {"__A"}, False),
        ("__A + __B == 1", {"__B"}, True),
        ("__A + __B > 1.5", {"__A", "__B"}, True),
        ("!(__A)", set(), True),
        ("__A - __B < 0", {"__B"}, True),
    ],
)
def test_parse_meta_evaluates_like_spamassassin(expr, fired, expected):
    assert parse_meta(expr).evaluate(fired) is expected


@pytest.mark.parametrize(
    "expr",
    ["", "__A +", "(__A", "__A __B", "__A >= 1 >= 0", "open('x')", "__A; import os", "1 + 1", "__A ** 2"],
)
def test_parse_meta_rejects_bad_expressions(expr):
    with pytest.raises(ValueError):
        parse_meta(expr)
