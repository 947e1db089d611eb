// Shared helpers for the pages: building DOM safely, the language switch, and calling the API.
//
// Safety rule for every page: text that came from a person or from the server is only ever put
// into the page with textContent / createTextNode (through el() below), never with innerHTML.

const LANG_KEY = "canhgiac.lang";

/** Create an element. attrs are set with setAttribute (never "style" or "on*"); children are
 *  nodes or strings, and strings always become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** Append children (nodes, strings, arrays of them; null skipped) to a node. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function readStorage(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null; // storage can be switched off; the page still works, it just forgets
  }
}

function writeStorage(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    /* see readStorage */
  }
}

export const session = {
  get: (key) => readStorage(window.sessionStorage, key),
  set: (key, value) => writeStorage(window.sessionStorage, key, value),
};

/** Vietnamese by default; English when chosen (remembered in localStorage). */
export class I18n {
  constructor(strings) {
    this.strings = strings;
    const saved = readStorage(window.localStorage, LANG_KEY);
    this.lang = saved === "en" ? "en" : "vi";
    this.listeners = [];
  }

  /** The string for key in the current language; {name} placeholders filled from vars. */
  t(key, vars = {}) {
    const table = this.strings[this.lang];
    let s = key in table ? table[key] : this.strings.vi[key] ?? key;
    for (const [name, value] of Object.entries(vars)) s = s.split(`{${name}}`).join(String(value));
    return s;
  }

  /** The field of a {vi, en} object for the current language. */
  pick(localized) {
    if (!localized) return "";
    return localized[this.lang] ?? localized.vi ?? "";
  }

  locale() {
    return this.lang === "vi" ? "vi-VN" : "en-GB";
  }

  onChange(fn) {
    this.listeners.push(fn);
  }

  set(lang) {
    this.lang = lang === "en" ? "en" : "vi";
    writeStorage(window.localStorage, LANG_KEY, this.lang);
    this.apply();
    for (const fn of this.listeners) fn(this.lang);
  }

  /** Put the current language into every [data-i18n] element and the page's lang/title. */
  apply() {
    document.documentElement.lang = this.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = this.t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of node.dataset.i18nAttr.split(",")) {
        const [attr, key] = pair.split(":");
        node.setAttribute(attr.trim(), this.t(key.trim()));
      }
    }
    if (this.strings[this.lang].page_title) document.title = this.t("page_title");
    const toggle = document.getElementById("lang-toggle");
    if (toggle) {
      const other = this.lang === "vi" ? "en" : "vi";
      toggle.textContent = other === "en" ? "English" : "Tiếng Việt";
      toggle.lang = other;
      toggle.setAttribute("aria-label", other === "en" ? "Switch to English" : "Chuyển sang tiếng Việt");
    }
  }

  /** Apply now and wire the #lang-toggle button. */
  start() {
    this.apply();
    const toggle = document.getElementById("lang-toggle");
    if (toggle) toggle.addEventListener("click", () => this.set(this.lang === "vi" ? "en" : "vi"));
  }
}

/** Call the JSON API. Never throws: {ok, status, data}; status 0 means no answer (network). */
export async function api(path, { method = "GET", body, key } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers.Authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return {
    ok: response.ok,
    status: response.status,
    data,
    retryAfter: response.headers.get("Retry-After"),
  };
}

/** Offsets from the API count Unicode code points (Python str indices); JavaScript strings
 *  count UTF-16 units, so an emoji before a span would shift a naive slice. Split the text into
 *  code points once and slice that array instead. */
export function codePoints(text) {
  return Array.from(text);
}
