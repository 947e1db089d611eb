// The check page: send the message to POST /v1/classify and show the verdict and exactly why.

import { I18n, api, append, el } from "./common.js";
import { segments } from "./highlight.js";

const STRINGS = {
  vi: {
    page_title: "canhgiac — Kiểm tra tin nhắn lừa đảo",
    skip: "Chuyển đến nội dung chính",
    tagline: "cảnh giác lừa đảo",
    title: "Tin nhắn này có phải lừa đảo?",
    lead: "Dán tin nhắn, email hoặc lời kể cuộc gọi vào ô dưới đây. Bạn sẽ thấy kết luận, kiểu lừa đảo và chính xác những chữ nào đáng ngờ.",
    text_label: "Tin nhắn cần kiểm tra",
    text_hint: "Dán (Ctrl+V hoặc nhấn giữ rồi chọn Dán) hoặc gõ nội dung. Tin nhắn không được lưu lại.",
    channel_label: "Nhận qua (không bắt buộc)",
    ch_none: "Không rõ",
    ch_call: "Cuộc gọi",
    ch_other: "Khác",
    check: "Kiểm tra",
    checking: "Đang kiểm tra…",
    result_title: "Kết quả",
    your_message: "Tin nhắn của bạn",
    legend_pattern: "thủ đoạn",
    legend_flag: "dấu hiệu cần chú ý",
    legend_hint: "Chạm, di chuột hoặc nhấn Tab vào phần tô màu để xem giải thích.",
    no_highlight: "Không có chữ nào trong tin nhắn khớp với thủ đoạn lừa đảo đã biết.",
    why: "Vì sao?",
    advice: "Bạn nên làm gì",
    report: "Báo cáo lừa đảo ở đâu",
    model: "Mô hình",
    again: "Kiểm tra tin khác",
    footer: "canhgiac là phần mềm tự do. Kết quả là gợi ý của máy, không thay cho lời khuyên của công an hay ngân hàng.",
    v_scam: "Lừa đảo",
    v_suspicious: "Đáng ngờ",
    v_spam: "Tin rác",
    v_safe: "An toàn",
    risk: "Nguy cơ lừa đảo",
    type: "Kiểu",
    closest: "Giống nhất với",
    trick: "Thủ đoạn",
    flag: "Dấu hiệu",
    err_empty: "Hãy dán hoặc gõ tin nhắn cần kiểm tra.",
    err_network: "Không kết nối được máy chủ kiểm tra. Hãy kiểm tra mạng rồi thử lại.",
    err_too_long: "Tin nhắn quá dài: tối đa {limit} ký tự. Hãy dán phần quan trọng nhất.",
    err_rate: "Bạn đã kiểm tra quá nhiều lần trong một phút. Thử lại sau {seconds} giây.",
    err_auth: "Máy chủ này yêu cầu khóa API để kiểm tra tin nhắn.",
    err_unavailable: "Máy chủ đang khởi động, chưa sẵn sàng. Thử lại sau vài giây.",
    err_other: "Không kiểm tra được (lỗi {status}).",
    report_fallback: "Gọi 113 hoặc đến công an nơi gần nhất nếu đã mất tiền; gọi ngay ngân hàng để phong tỏa giao dịch.",
  },
  en: {
    page_title: "canhgiac — Vietnamese scam-message checker",
    skip: "Skip to main content",
    tagline: "scam alert",
    title: "Is this message a scam?",
    lead: "Paste a text message, an email or what a caller said into the box below. You will see the verdict, the kind of scam and exactly which words are suspicious.",
    text_label: "Message to check",
    text_hint: "Paste (Ctrl+V, or press and hold, then Paste) or type it. The message is not stored.",
    channel_label: "Received by (optional)",
    ch_none: "Unknown",
    ch_call: "Phone call",
    ch_other: "Other",
    check: "Check",
    checking: "Checking…",
    result_title: "Result",
    your_message: "Your message",
    legend_pattern: "trick",
    legend_flag: "red flag",
    legend_hint: "Tap, hover or Tab to a highlight to see why it matters.",
    no_highlight: "No words in this message match a known scam trick.",
    why: "Why?",
    advice: "What to do",
    report: "Where to report a scam",
    model: "Model",
    again: "Check another message",
    footer: "canhgiac is free software. The result is a machine's suggestion, not a substitute for advice from the police or your bank.",
    v_scam: "Scam",
    v_suspicious: "Suspicious",
    v_spam: "Spam",
    v_safe: "Safe",
    risk: "Scam risk",
    type: "Type",
    closest: "Closest to",
    trick: "Trick",
    flag: "Red flag",
    err_empty: "Paste or type the message to check.",
    err_network: "Could not reach the checking server. Check your connection and try again.",
    err_too_long: "The message is too long: at most {limit} characters. Paste the part that matters.",
    err_rate: "Too many checks in one minute. Try again in {seconds} seconds.",
    err_auth: "This server needs an API key to check messages.",
    err_unavailable: "The server is starting and not ready yet. Try again in a few seconds.",
    err_other: "Could not check the message (error {status}).",
    report_fallback: "Call 113 or go to the nearest police station if you have lost money; call your bank at once to block the transfer.",
  },
};

const i18n = new I18n(STRINGS);
const $ = (id) => document.getElementById(id);

let current = null; // {text, verdict}: the last answer, re-rendered when the language changes
let reference = null; // GET /v1/labels: label names and where to report

async function loadReference() {
  const res = await api("/v1/labels");
  if (res.ok && res.data) {
    reference = {
      names: Object.fromEntries(res.data.data.map((label) => [label.id, label.name])),
      report: res.data.report,
    };
    if (current) render();
  }
}

function labelName(id) {
  return reference?.names[id] ? i18n.pick(reference.names[id]) : id;
}

function percent(x) {
  return new Intl.NumberFormat(i18n.locale(), { style: "percent", maximumFractionDigits: 0 }).format(x);
}

// ---- evidence: the spans to mark, each with what the tooltip says -----------------------------

function evidence(verdict) {
  const exp = verdict.explanation || {};
  const spans = [];
  for (const p of exp.patterns || []) {
    for (const s of p.spans || []) {
      spans.push({
        start: s.start,
        end: s.end,
        kind: "pattern",
        ref: `pattern:${p.id}`,
        title: i18n.pick(p.name),
        detail: i18n.pick(p.description),
      });
    }
  }
  for (const f of exp.red_flags || []) {
    if (f.start === null || f.start === undefined) continue;
    spans.push({
      start: f.start,
      end: f.end,
      kind: "flag",
      ref: `flag:${f.kind}`,
      title: i18n.lang === "en" ? f.reason_en || f.reason : f.reason,
      detail: "",
    });
  }
  return spans;
}

function renderMessage(text, spans) {
  const box = $("message");
  const notes = $("descriptions");
  box.replaceChildren();
  notes.replaceChildren();
  let marks = 0;
  for (const piece of segments(text, spans)) {
    if (!piece.refs.length) {
      box.append(document.createTextNode(piece.text));
      continue;
    }
    const covering = piece.refs.map((i) => spans[i]);
    const kinds = new Set(covering.map((s) => s.kind));
    const id = `why-${marks++}`;
    // The description a screen reader reads for this mark (aria-describedby) and the tooltip's source.
    const note = el("span", { id });
    for (const s of covering) {
      note.append(el("span", {}, `${i18n.t(s.kind === "pattern" ? "trick" : "flag")}: ${s.title}. `));
      if (s.detail) note.append(el("span", {}, `${s.detail} `));
    }
    notes.append(note);
    const mark = el(
      "mark",
      {
        class: [kinds.has("pattern") ? "hl-pattern" : "", kinds.has("flag") ? "hl-flag" : ""].join(" ").trim(),
        tabindex: "0",
        "aria-describedby": id,
        dataset: { refs: [...new Set(covering.map((s) => s.ref))].join(" ") },
      },
      piece.text,
    );
    tipItems.set(mark, covering);
    box.append(mark);
  }
  $("no-highlight").hidden = marks > 0;
  $("legend").hidden = marks === 0;
}

function renderEvidence(verdict) {
  const list = $("evidence");
  list.replaceChildren();
  const exp = verdict.explanation || {};
  for (const p of exp.patterns || []) {
    list.append(
      el(
        "li",
        { class: "ev-pattern", dataset: { ref: `pattern:${p.id}` } },
        el("strong", {}, i18n.pick(p.name)),
        " — ",
        i18n.pick(p.description),
      ),
    );
  }
  const seen = new Set();
  for (const f of exp.red_flags || []) {
    const reason = i18n.lang === "en" ? f.reason_en || f.reason : f.reason;
    if (seen.has(reason)) continue;
    seen.add(reason);
    list.append(el("li", { class: "ev-flag", dataset: { ref: `flag:${f.kind}` } }, reason));
  }
}

function renderVerdict(verdict) {
  const v = verdict.verdict;
  const word = i18n.t(`v_${v}`);
  const type =
    v === "suspicious" ? `${i18n.t("closest")}: ${labelName(verdict.scam_type)}` : i18n.pick(verdict.label_name);
  const risk = percent(verdict.risk_score);
  const bar = el("span", { class: "riskbar-fill" });
  bar.style.width = `${Math.round(verdict.risk_score * 100)}%`; // CSSOM, allowed by style-src 'self'
  const box = $("verdict");
  box.className = `verdict v-${v}`;
  box.replaceChildren(
    el("p", { class: "verdict-word", id: "verdict-word" }, word),
    el("p", { class: "verdict-type" }, type),
    el("p", { class: "verdict-risk" }, `${i18n.t("risk")}: `, el("strong", {}, risk)),
    el("span", { class: "riskbar", "aria-hidden": "true" }, bar),
  );
}

function renderList(id, items) {
  const list = $(id);
  list.replaceChildren(...items.map((item) => el("li", {}, item)));
}

function render() {
  if (!current) return;
  const { text, verdict } = current;
  hideTip();
  renderVerdict(verdict);
  renderMessage(text, evidence(verdict));
  const exp = verdict.explanation || {};
  $("summary").textContent = i18n.lang === "en" ? exp.summary_en || exp.summary || "" : exp.summary || "";
  renderEvidence(verdict);
  // Scam advice ends with the report channels; they get their own card, so list them once.
  const report = reference ? i18n.pick(reference.report) : [i18n.t("report_fallback")];
  const advice = verdict.advice ? i18n.pick(verdict.advice) : [];
  renderList("advice", advice.filter((item) => !report.includes(item)));
  renderList("report", report);
  $("model-version").textContent = verdict.model_version;
  $("result").hidden = false;
}

// ---- the tooltip: hover, tap (focus) or keyboard focus on a mark -------------------------------

const tipItems = new WeakMap();
let tipFor = null;

function showTip(mark) {
  const items = tipItems.get(mark);
  if (!items) return;
  const tip = $("tooltip");
  tip.replaceChildren(
    ...items.map((s) =>
      el(
        "div",
        { class: `tip-item tip-${s.kind}` },
        el("strong", {}, `${i18n.t(s.kind === "pattern" ? "trick" : "flag")}: ${s.title}`),
        s.detail ? el("span", {}, s.detail) : null,
      ),
    ),
  );
  tip.hidden = false;
  tipFor = mark;
  for (const m of document.querySelectorAll("mark.lit")) m.classList.remove("lit");
  placeTip(mark);
}

function placeTip(mark) {
  const tip = $("tooltip");
  const rects = mark.getClientRects();
  const rect = rects.length ? rects[0] : mark.getBoundingClientRect();
  const view = document.documentElement.clientWidth;
  const width = tip.offsetWidth;
  const left = Math.max(8, Math.min(rect.left, view - width - 8));
  let top = rect.bottom + 6;
  if (top + tip.offsetHeight > window.innerHeight && rect.top - tip.offsetHeight - 6 > 0) {
    top = rect.top - tip.offsetHeight - 6;
  }
  tip.style.left = `${left + window.scrollX}px`;
  tip.style.top = `${top + window.scrollY}px`;
}

function hideTip() {
  $("tooltip").hidden = true;
  tipFor = null;
}

function wireTooltip() {
  const box = $("message");
  box.addEventListener("mouseover", (e) => {
    const mark = e.target.closest("mark");
    if (mark && mark !== tipFor) showTip(mark);
  });
  box.addEventListener("mouseout", (e) => {
    const mark = e.target.closest("mark");
    if (mark && !mark.contains(e.relatedTarget) && document.activeElement !== mark) hideTip();
  });
  box.addEventListener("focusin", (e) => {
    const mark = e.target.closest("mark");
    if (mark) showTip(mark);
  });
  box.addEventListener("focusout", () => hideTip());
  box.addEventListener("click", (e) => {
    const mark = e.target.closest("mark");
    if (mark) {
      mark.focus();
      showTip(mark);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && tipFor) hideTip();
  });
  window.addEventListener("resize", () => tipFor && placeTip(tipFor));
  // Pointing at a reason in the list lights up its words in the message.
  const list = $("evidence");
  const light = (ref, on) => {
    for (const m of box.querySelectorAll("mark")) {
      if (m.dataset.refs.split(" ").includes(ref)) m.classList.toggle("lit", on);
    }
  };
  list.addEventListener("mouseover", (e) => {
    const li = e.target.closest("li");
    if (li) light(li.dataset.ref, true);
  });
  list.addEventListener("mouseout", (e) => {
    const li = e.target.closest("li");
    if (li) light(li.dataset.ref, false);
  });
}

// ---- the form ------------------------------------------------------------------------------------

function showError(message) {
  $("form-error").textContent = message;
}

function problemMessage(res) {
  const kind = (res.data?.type || "").split("/").pop();
  if (res.status === 0) return i18n.t("err_network");
  if (kind === "text-too-long") return i18n.t("err_too_long", { limit: res.data.limit });
  if (kind === "empty-text") return i18n.t("err_empty");
  if (res.status === 429) return i18n.t("err_rate", { seconds: res.retryAfter || 60 });
  if (res.status === 401 || res.status === 403) return i18n.t("err_auth");
  if (res.status === 503) return i18n.t("err_unavailable");
  const detail = res.data?.detail ? ` ${res.data.detail}` : "";
  return i18n.t("err_other", { status: res.status }) + detail;
}

async function check(event) {
  event.preventDefault();
  const text = $("text").value;
  showError("");
  if (!text.trim()) {
    showError(i18n.t("err_empty"));
    $("text").focus();
    return;
  }
  const button = $("check-button");
  button.disabled = true;
  button.textContent = i18n.t("checking");
  $("check-form").setAttribute("aria-busy", "true");
  const body = { text };
  const channel = $("channel").value;
  if (channel) body.channel = channel;
  const res = await api("/v1/classify", { method: "POST", body });
  button.disabled = false;
  button.textContent = i18n.t("check");
  $("check-form").removeAttribute("aria-busy");
  if (!res.ok || !res.data?.verdict) {
    showError(problemMessage(res));
    return;
  }
  current = { text, verdict: res.data };
  render();
}

function start() {
  i18n.start();
  i18n.onChange(() => render());
  $("check-form").addEventListener("submit", check);
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("check-form").requestSubmit();
  });
  $("again").addEventListener("click", () => {
    current = null;
    hideTip();
    $("result").hidden = true;
    $("verdict").replaceChildren();
    $("verdict").className = "verdict";
    $("text").value = "";
    $("text").focus();
  });
  wireTooltip();
  loadReference();
  document.body.classList.add("ready");
}

start();
