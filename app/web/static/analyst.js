// The analyst page: verdict statistics as SVG charts, cases waiting for review, model versions.
// Every call sends the API key from sessionStorage as Authorization: Bearer.

import { I18n, api, append, el, session } from "./common.js";

const KEY = "canhgiac.apiKey";
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 50;
const VERDICTS = ["scam", "suspicious", "spam", "safe"];
const VERDICT_COLOURS = { scam: "#b3261e", suspicious: "#e0a800", spam: "#2f4b9a", safe: "#1e6b34" };
// Fifteen labels need fifteen colours that stay apart; Tableau-like, dark enough on white.
const PALETTE = [
  "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#7f7f7f", "#3182bd",
];

const STRINGS = {
  vi: {
    page_title: "canhgiac — Trang phân tích viên",
    skip: "Chuyển đến nội dung chính",
    tagline: "trang phân tích viên",
    title: "Phân tích và duyệt ca",
    key_title: "Khóa API",
    key_label: "Khóa API (vai trò analyst hoặc admin)",
    key_use: "Dùng khóa",
    key_forget: "Quên khóa",
    key_hint: "Khóa chỉ được giữ trong thẻ trình duyệt này (sessionStorage) và mất khi đóng thẻ.",
    key_needed: "Nhập khóa API để xem số liệu và duyệt ca.",
    key_saved: "Đã dùng khóa cho thẻ này.",
    key_forgotten: "Đã quên khóa.",
    key_bad: "Khóa API không hợp lệ (401). Kiểm tra lại khóa.",
    stats_title: "Thống kê kết luận gần đây",
    from: "Từ ngày",
    to: "Đến ngày",
    group_by: "Chia theo",
    by_verdict: "Kết luận",
    by_label: "Loại lừa đảo",
    reload: "Tải lại",
    loading: "Đang tải…",
    cases_title: "Ca chờ duyệt",
    more: "Xem thêm",
    models_title: "Các phiên bản mô hình",
    to_check: "Trang kiểm tra tin nhắn",
    err_401: "Khóa API không hợp lệ hoặc chưa nhập (401).",
    err_403: "Khóa này không đủ quyền cho việc này (403).",
    err_404: "Máy chủ này chưa có {path} (404): tính năng chưa được triển khai ở phiên bản đang chạy.",
    err_network: "Không kết nối được máy chủ.",
    err_rate: "Quá nhiều yêu cầu; thử lại sau {seconds} giây (429).",
    err_other: "Lỗi {status}.",
    v_scam: "Lừa đảo",
    v_suspicious: "Đáng ngờ",
    v_spam: "Tin rác",
    v_safe: "An toàn",
    total: "Tổng",
    verdicts: "kết luận",
    no_stats: "Chưa có số liệu trong khoảng ngày này.",
    per_day_chart: "Số kết luận mỗi ngày từ {from} đến {to}, chia theo {group}.",
    by_label_title: "Theo loại",
    by_label_chart: "Tổng số theo loại tin nhắn.",
    as_table: "Xem dạng bảng",
    day: "Ngày",
    count: "Số",
    cases_count: "{shown} / {count} ca đang chờ duyệt.",
    no_cases: "Không có ca nào chờ duyệt.",
    label: "Nhãn",
    channel: "Kênh",
    source: "Nguồn",
    by: "Gửi bởi",
    note: "Ghi chú",
    note_placeholder: "Ghi chú (không bắt buộc)",
    accept: "Chấp nhận",
    relabel: "Đổi nhãn & chấp nhận",
    relabel_to: "Nhãn đúng",
    reject: "Loại bỏ",
    done_accepted: "Đã chấp nhận ca #{id}.",
    done_relabel: "Đã đổi nhãn ca #{id} thành {label} và chấp nhận.",
    done_rejected: "Đã loại bỏ ca #{id}.",
    no_models: "Chưa có phiên bản mô hình nào.",
    version: "Phiên bản",
    status: "Trạng thái",
    created: "Tạo lúc",
    active: "đang dùng",
    real_recall: "Bắt được (tin thật)",
    real_legit_fpr: "Báo nhầm tin thật",
    heldout_recall: "Bắt được (tập riêng)",
    binary_f1: "F1 lừa đảo/không",
    promoted: "Kích hoạt bởi",
    parent: "Từ bản",
    models_count: "{count} phiên bản.",
  },
  en: {
    page_title: "canhgiac — Analyst page",
    skip: "Skip to main content",
    tagline: "analyst page",
    title: "Analysis and case review",
    key_title: "API key",
    key_label: "API key (analyst or admin role)",
    key_use: "Use key",
    key_forget: "Forget key",
    key_hint: "The key is kept only in this browser tab (sessionStorage) and is gone when the tab closes.",
    key_needed: "Enter an API key to see the figures and review cases.",
    key_saved: "Key in use for this tab.",
    key_forgotten: "Key forgotten.",
    key_bad: "The API key is not valid (401). Check it.",
    stats_title: "Recent verdict statistics",
    from: "From",
    to: "To",
    group_by: "Split by",
    by_verdict: "Verdict",
    by_label: "Scam type",
    reload: "Reload",
    loading: "Loading…",
    cases_title: "Cases waiting for review",
    more: "Show more",
    models_title: "Model versions",
    to_check: "Message check page",
    err_401: "The API key is missing or not valid (401).",
    err_403: "This key's role may not do this (403).",
    err_404: "This server has no {path} yet (404): the feature is not deployed in the running version.",
    err_network: "Could not reach the server.",
    err_rate: "Too many requests; retry in {seconds} s (429).",
    err_other: "Error {status}.",
    v_scam: "Scam",
    v_suspicious: "Suspicious",
    v_spam: "Spam",
    v_safe: "Safe",
    total: "Total",
    verdicts: "verdicts",
    no_stats: "No figures for these days yet.",
    per_day_chart: "Verdicts per day from {from} to {to}, split by {group}.",
    by_label_title: "By type",
    by_label_chart: "Totals by message type.",
    as_table: "Show as a table",
    day: "Day",
    count: "Count",
    cases_count: "{shown} of {count} cases waiting for review.",
    no_cases: "No cases are waiting for review.",
    label: "Label",
    channel: "Channel",
    source: "Source",
    by: "Sent by",
    note: "Note",
    note_placeholder: "Note (optional)",
    accept: "Accept",
    relabel: "Relabel & accept",
    relabel_to: "Correct label",
    reject: "Reject",
    done_accepted: "Case #{id} accepted.",
    done_relabel: "Case #{id} relabelled as {label} and accepted.",
    done_rejected: "Case #{id} rejected.",
    no_models: "No model versions yet.",
    version: "Version",
    status: "Status",
    created: "Created",
    active: "active",
    real_recall: "Recall (real)",
    real_legit_fpr: "False alarms (real legit)",
    heldout_recall: "Recall (held-out)",
    binary_f1: "Scam/not F1",
    promoted: "Activated by",
    parent: "Parent",
    models_count: "{count} versions.",
  },
};

const i18n = new I18n(STRINGS);
const $ = (id) => document.getElementById(id);
const state = { labels: [], stats: null, cases: [], casesCount: 0, models: null };

function key() {
  return session.get(KEY);
}

function call(path, options = {}) {
  return api(path, { ...options, key: key() });
}

/** A clear sentence for a failed call; 401/403/404 each say what to do. */
function failure(res, path) {
  const detail = res.data?.detail ? ` ${res.data.detail}` : "";
  switch (res.status) {
    case 0:
      return i18n.t("err_network");
    case 401:
      return i18n.t("err_401");
    case 403:
      return i18n.t("err_403") + detail;
    case 404:
      return i18n.t("err_404", { path });
    case 429:
      return i18n.t("err_rate", { seconds: res.retryAfter || 60 });
    default:
      return i18n.t("err_other", { status: res.status }) + detail;
  }
}

function setStatus(id, message, kind = "") {
  const node = $(id);
  node.textContent = message;
  node.className = `status ${kind}`.trim();
}

function labelName(id) {
  const label = state.labels.find((l) => l.id === id);
  return label ? i18n.pick(label.name) : id;
}

function groupName(group, value) {
  return group === "verdict" ? i18n.t(`v_${value}`) : labelName(value);
}

function fmt(n) {
  return new Intl.NumberFormat(i18n.locale()).format(n);
}

function fmtDate(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(i18n.locale());
}

function isoDay(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function daysBetween(from, to) {
  const out = [];
  const d = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T00:00:00`);
  while (d <= end && out.length < 400) {
    out.push(isoDay(d));
    d.setDate(d.getDate() + 1);
  }
  return out;
}

// ---- SVG charts, drawn here: element by element, text only as textContent ----------------------

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function niceMax(n) {
  if (n <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= n) return m * step;
  return 10 * step;
}

function colourFor(group, value, index) {
  return group === "verdict" ? VERDICT_COLOURS[value] : PALETTE[index % PALETTE.length];
}

function legend(items) {
  return el(
    "ul",
    { class: "chart-legend" },
    items.map(([name, colour]) => {
      const swatch = el("span", { class: "key", "aria-hidden": "true" });
      swatch.style.background = colour; // CSSOM: allowed under style-src 'self'
      return el("li", {}, swatch, name);
    }),
  );
}

function dataTable(caption, head, rows) {
  return el(
    "details",
    {},
    el("summary", {}, i18n.t("as_table")),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        {},
        el("caption", { class: "visually-hidden" }, caption),
        el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { scope: "col", class: i ? "num" : "" }, h)))),
        el(
          "tbody",
          {},
          rows.map((r) => el("tr", {}, r.map((c, i) => (i ? el("td", { class: "num" }, c) : el("th", { scope: "row" }, c))))),
        ),
      ),
    ),
  );
}

function perDayChart(stats, group, width) {
  const days = daysBetween(stats.from, stats.to);
  const keys = group === "verdict" ? VERDICTS : state.labels.map((l) => l.id);
  for (const row of stats.by_day) if (!keys.includes(row[group])) keys.push(row[group]);
  const cell = new Map(); // "day|key" -> count
  for (const row of stats.by_day) {
    const k = `${row.day}|${row[group]}`;
    cell.set(k, (cell.get(k) || 0) + row.count);
  }
  const used = keys.filter((k) => days.some((d) => cell.get(`${d}|${k}`)));
  const totals = days.map((d) => used.reduce((s, k) => s + (cell.get(`${d}|${k}`) || 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const H = 240;
  const m = { l: 44, r: 8, t: 10, b: 34 };
  const plotW = Math.max(60, width - m.l - m.r);
  const plotH = H - m.t - m.b;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.72);
  const every = Math.max(1, Math.ceil(44 / slot));
  const desc = i18n.t("per_day_chart", {
    from: stats.from,
    to: stats.to,
    group: i18n.t(group === "verdict" ? "by_verdict" : "by_label").toLowerCase(),
  });
  const chart = svg("svg", {
    class: "chart",
    id: "chart-days",
    viewBox: `0 0 ${width} ${H}`,
    width,
    height: H,
    role: "img",
    "aria-label": desc,
  });
  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    const y = m.t + plotH - (plotH * i) / 4;
    chart.append(svg("line", { class: i ? "grid" : "axis", x1: m.l, x2: m.l + plotW, y1: y, y2: y }));
    chart.append(svg("text", { x: m.l - 6, y: y + 4, "text-anchor": "end" }, fmt(value)));
  }
  days.forEach((day, i) => {
    const x = m.l + i * slot + (slot - bar) / 2;
    let y = m.t + plotH;
    used.forEach((k) => {
      const n = cell.get(`${day}|${k}`) || 0;
      if (!n) return;
      const h = (plotH * n) / top;
      y -= h;
      chart.append(
        svg(
          "rect",
          { x, y, width: bar, height: Math.max(h, 0.5), fill: colourFor(group, k, keys.indexOf(k)), "data-day": day, "data-key": k },
          svg("title", {}, `${day} — ${groupName(group, k)}: ${fmt(n)}`),
        ),
      );
    });
    if (i % every === 0) {
      chart.append(
        svg("text", { x: m.l + i * slot + slot / 2, y: H - m.b + 16, "text-anchor": "middle" }, `${day.slice(8, 10)}/${day.slice(5, 7)}`),
      );
    }
  });
  const table = dataTable(
    desc,
    [i18n.t("day"), ...used.map((k) => groupName(group, k))],
    days.map((d) => [d, ...used.map((k) => fmt(cell.get(`${d}|${k}`) || 0))]),
  );
  return [legend(used.map((k) => [groupName(group, k), colourFor(group, k, keys.indexOf(k))])), chart, table];
}

function byLabelChart(stats, width) {
  const rows = Object.entries(stats.by_label || {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (!rows.length) return [];
  const top = Math.max(...rows.map(([, n]) => n));
  const rowH = 40;
  const H = rows.length * rowH + 4;
  const barMax = Math.max(40, width - 70);
  const chart = svg("svg", {
    class: "chart",
    id: "chart-labels",
    viewBox: `0 0 ${width} ${H}`,
    width,
    height: H,
    role: "img",
    "aria-label": i18n.t("by_label_chart"),
  });
  const order = state.labels.map((l) => l.id);
  rows.forEach(([label, n], i) => {
    const y = i * rowH;
    const w = Math.max(2, (barMax * n) / top);
    const idx = order.includes(label) ? order.indexOf(label) : order.length + i;
    chart.append(svg("text", { x: 0, y: y + 14 }, labelName(label)));
    chart.append(
      svg("rect", { x: 0, y: y + 20, width: w, height: 14, fill: PALETTE[idx % PALETTE.length], "data-key": label }, svg("title", {}, `${labelName(label)}: ${fmt(n)}`)),
    );
    chart.append(svg("text", { x: w + 6, y: y + 32 }, fmt(n)));
  });
  return [
    el("h3", { class: "chart-title" }, i18n.t("by_label_title")),
    chart,
    dataTable(
      i18n.t("by_label_chart"),
      [i18n.t("label"), i18n.t("count")],
      rows.map(([label, n]) => [labelName(label), fmt(n)]),
    ),
  ];
}

function renderStats() {
  const box = $("stats");
  const stats = state.stats;
  if (!stats) {
    box.replaceChildren();
    return;
  }
  if (!stats.total) {
    box.replaceChildren(el("p", {}, i18n.t("no_stats")));
    return;
  }
  const width = Math.max(260, Math.floor(box.clientWidth || 600));
  const parts = VERDICTS.filter((v) => stats.by_verdict?.[v]).map((v) => `${i18n.t(`v_${v}`)} ${fmt(stats.by_verdict[v])}`);
  box.replaceChildren(
    el("p", { class: "totals" }, el("strong", {}, `${i18n.t("total")}: ${fmt(stats.total)} ${i18n.t("verdicts")}`), parts.length ? ` · ${parts.join(" · ")}` : ""),
    ...perDayChart(stats, $("stats-group").value, width),
    ...byLabelChart(stats, width),
  );
}

async function loadStats() {
  const from = $("stats-from").value;
  const to = $("stats-to").value;
  const path = `/v1/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  setStatus("stats-status", i18n.t("loading"));
  const res = await call(path);
  if (!res.ok) {
    state.stats = null;
    renderStats();
    setStatus("stats-status", failure(res, "/v1/stats"), "error");
    return res.status;
  }
  state.stats = res.data;
  setStatus("stats-status", "");
  renderStats();
  return res.status;
}

// ---- cases waiting for review -------------------------------------------------------------------

function caseItem(c) {
  const li = el("li", { class: "case", id: `case-${c.id}`, dataset: { id: c.id } });
  const select = el(
    "select",
    { "aria-label": i18n.t("relabel_to"), class: "relabel-select" },
    state.labels.map((l) => el("option", { value: l.id, selected: l.id === c.label }, `${i18n.pick(l.name)} (${l.id})`)),
  );
  if (!state.labels.some((l) => l.id === c.label)) select.prepend(el("option", { value: c.label, selected: true }, c.label));
  const note = el("input", { type: "text", class: "note", "aria-label": i18n.t("note"), placeholder: i18n.t("note_placeholder"), maxlength: "500" });
  const status = el("p", { class: "status", role: "status" });
  const buttons = [
    el("button", { type: "button", class: "small primary", dataset: { action: "accept" } }, i18n.t("accept")),
    select,
    el("button", { type: "button", class: "small secondary", dataset: { action: "relabel" } }, i18n.t("relabel")),
    note,
    el("button", { type: "button", class: "small secondary danger", dataset: { action: "reject" } }, i18n.t("reject")),
  ];
  const meta = [
    `#${c.id}`,
    `${i18n.t("label")}: ${labelName(c.label)} (${c.label})`,
    c.channel ? `${i18n.t("channel")}: ${c.channel}` : null,
    c.source ? `${i18n.t("source")}: ${c.source}` : null,
    c.created_by ? `${i18n.t("by")}: ${c.created_by}` : null,
    fmtDate(c.created_at),
  ].filter(Boolean);
  append(li, [
    el("p", { class: "case-text", lang: "vi" }, c.text), // the message, as text
    el("p", { class: "case-meta" }, meta.join(" · ")),
    c.note ? el("p", { class: "case-meta" }, `${i18n.t("note")}: ${c.note}`) : null,
    el("div", { class: "case-actions" }, buttons),
    status,
  ]);
  li.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (button) review(c, li, button.dataset.action, select.value, note.value.trim());
  });
  return li;
}

async function review(c, li, action, label, note) {
  const body = action === "reject" ? { status: "rejected" } : { status: "accepted" };
  if (action === "relabel") body.label = label;
  if (note) body.note = note;
  const buttons = li.querySelectorAll("button, select, input");
  for (const b of buttons) b.disabled = true;
  const res = await call(`/v1/cases/${encodeURIComponent(c.id)}`, { method: "PATCH", body });
  const status = li.querySelector(".status");
  if (!res.ok) {
    for (const b of buttons) b.disabled = false;
    status.textContent = failure(res, "PATCH /v1/cases/{id}");
    status.className = "status error";
    return;
  }
  const done =
    action === "accept"
      ? i18n.t("done_accepted", { id: c.id })
      : action === "relabel"
        ? i18n.t("done_relabel", { id: c.id, label: labelName(label) })
        : i18n.t("done_rejected", { id: c.id });
  const next = li.nextElementSibling || li.previousElementSibling;
  state.cases = state.cases.filter((x) => x.id !== c.id);
  state.casesCount = Math.max(0, state.casesCount - 1);
  li.remove();
  setStatus("cases-status", `${done} ${casesSummary()}`, "ok");
  // Keep the keyboard where the work is: on the next case, or on the section's status.
  (next?.querySelector("button") || $("cases-reload")).focus();
}

function casesSummary() {
  return state.casesCount
    ? i18n.t("cases_count", { shown: state.cases.length, count: state.casesCount })
    : i18n.t("no_cases");
}

function renderCases() {
  $("cases").replaceChildren(...state.cases.map(caseItem));
  $("cases-more").hidden = state.cases.length >= state.casesCount;
}

async function loadCases(more = false) {
  const offset = more ? state.cases.length : 0;
  setStatus("cases-status", i18n.t("loading"));
  const res = await call(`/v1/cases?status=proposed&limit=${PAGE}&offset=${offset}`);
  if (!res.ok) {
    if (!more) state.cases = [];
    state.casesCount = state.cases.length;
    renderCases();
    setStatus("cases-status", failure(res, "/v1/cases"), "error");
    return res.status;
  }
  state.cases = more ? state.cases.concat(res.data.data) : res.data.data;
  state.casesCount = res.data.count;
  renderCases();
  setStatus("cases-status", casesSummary());
  return res.status;
}

// ---- model versions -----------------------------------------------------------------------------

const METRICS = ["real_recall", "real_legit_fpr", "heldout_recall", "binary_f1"];

function metric(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  return new Intl.NumberFormat(i18n.locale(), { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
}

function renderModels() {
  const box = $("models");
  const models = state.models;
  if (!models) {
    box.replaceChildren();
    return;
  }
  if (!models.length) {
    box.replaceChildren(el("p", {}, i18n.t("no_models")));
    return;
  }
  const head = ["version", "status", "created", ...METRICS, "promoted", "parent"];
  box.replaceChildren(
    el(
      "table",
      { id: "models-table" },
      el("caption", { class: "visually-hidden" }, i18n.t("models_title")),
      el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", class: METRICS.includes(h) ? "num" : "" }, i18n.t(h))))),
      el(
        "tbody",
        {},
        models.map((m) =>
          el(
            "tr",
            { dataset: { version: m.version }, class: m.active ? "active-model" : "" },
            el("th", { scope: "row" }, m.version, m.active ? [" ", el("span", { class: "badge active" }, i18n.t("active"))] : null),
            el("td", {}, m.status ?? "—"),
            el("td", {}, fmtDate(m.created_at)),
            METRICS.map((k) => el("td", { class: "num" }, metric(m.metrics?.[k]))),
            el("td", {}, m.promoted_by ? `${m.promoted_by} · ${fmtDate(m.promoted_at)}` : "—"),
            el("td", {}, m.parent ?? "—"),
          ),
        ),
      ),
    ),
  );
}

async function loadModels() {
  setStatus("models-status", i18n.t("loading"));
  const res = await call("/v1/models");
  if (!res.ok) {
    state.models = null;
    renderModels();
    setStatus("models-status", failure(res, "/v1/models"), "error");
    return res.status;
  }
  state.models = res.data.data;
  renderModels();
  setStatus("models-status", i18n.t("models_count", { count: res.data.count }));
  return res.status;
}

// ---- the key and the page -----------------------------------------------------------------------

async function loadLabels() {
  const res = await call("/v1/labels");
  if (res.ok) state.labels = res.data.data;
  return res.status;
}

async function loadAll() {
  await loadAllSections();
  // A counter tests (and anyone curious) can wait on: one more finished load of the page's data.
  document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
}

async function loadAllSections() {
  if (!key()) {
    setStatus("key-status", i18n.t("key_needed"));
    for (const id of ["stats-status", "cases-status", "models-status"]) setStatus(id, "");
    state.stats = null;
    state.cases = [];
    state.casesCount = 0;
    state.models = null;
    renderStats();
    renderCases();
    renderModels();
    return;
  }
  const statuses = [await loadLabels(), ...(await Promise.all([loadStats(), loadCases(), loadModels()]))];
  const bad = statuses.includes(401);
  setStatus("key-status", bad ? i18n.t("key_bad") : i18n.t("key_saved"), bad ? "error" : "ok");
}

function start() {
  i18n.start();
  i18n.onChange(() => {
    renderStats();
    renderCases();
    renderModels();
  });
  const today = new Date();
  const from = new Date(today);
  from.setDate(from.getDate() - 13);
  $("stats-to").value = isoDay(today);
  $("stats-from").value = isoDay(from);
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const value = $("api-key").value.trim();
    session.set(KEY, value || null);
    $("api-key").value = "";
    loadAll();
  });
  $("key-forget").addEventListener("click", () => {
    session.set(KEY, null);
    loadAll();
    setStatus("key-status", `${i18n.t("key_forgotten")} ${i18n.t("key_needed")}`);
  });
  $("stats-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (key()) loadStats();
  });
  $("stats-group").addEventListener("change", renderStats);
  $("cases-reload").addEventListener("click", () => key() && loadCases());
  $("cases-more").addEventListener("click", () => loadCases(true));
  $("models-reload").addEventListener("click", () => key() && loadModels());
  let resize = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(renderStats, 150);
  });
  loadAll();
  document.body.classList.add("ready");
}

start();
