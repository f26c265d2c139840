// Building DOM from data. Every value from the API goes in as text (textContent or attributes
// set one by one), never as HTML, so a trait like "<img onerror=...>" shows as itself.

/**
 * h("a", { href: "#/x", class: "link", onclick: fn }, "text", childNode, [more, children])
 * Attributes whose value is null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

let idCounter = 0;
/** A unique id for aria-labelledby and label/for pairs. */
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A titled region, loading until filled; ``actions`` sit beside the heading. */
export function section(title, { level = 2, actions = null, id = null, className = "" } = {}) {
  const headingId = uid("h");
  // loading until filled: an empty section would read as "nothing here"
  const body = h("div", { class: "section-body" }, loading());
  const el = h(
    "section",
    { class: `card ${className}`.trim(), "aria-labelledby": headingId, id },
    h("div", { class: "section-head" }, h(`h${level}`, { id: headingId }, title), actions),
    body,
  );
  return { el, body };
}

/** A clear empty state: what is missing and what would fill it. */
export function empty(title, detail = "") {
  return h("div", { class: "empty", role: "note" }, h("p", { class: "empty-title" }, title),
    detail ? h("p", { class: "empty-detail" }, detail) : null);
}

export function loading(label = "Loading…") {
  return h("p", { class: "loading", role: "status" }, label);
}

/** The empty state for a call result that is not "ok" (missing endpoint, not found, error). */
export function notOk(result, what, endpoint) {
  if (result.state === "missing") {
    return empty(`${what}: not available on this server yet`,
      `The dashboard reads this from ${endpoint}, which this server does not offer.`);
  }
  if (result.state === "not_found") return empty(`${what}: not found`, result.error.message);
  if (/\.unavailable$/.test(result.error.code)) {
    // the endpoint exists but its feature is not configured on this server
    return empty(`${what}: not set up on this server`, `${result.error.message} (${result.error.code})`);
  }
  return h("div", { class: "empty error", role: "alert" },
    h("p", { class: "empty-title" }, `${what} could not be loaded`),
    h("p", { class: "empty-detail" }, `${result.error.message} (${result.error.code})`));
}

/** Replace the children of ``el``. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A data table: columns are { label, value: row => text|Node, numeric?: bool }.
 * The caption names it for screen readers; ``rowAttrs(row)`` gives attributes for a row.
 */
export function table(caption, columns, rows, { className = "", rowAttrs = null } = {}) {
  return h("table", { class: `data ${className}`.trim() },
    h("caption", { class: caption.visible ? "" : "sr-only" }, caption.text ?? caption),
    h("thead", {}, h("tr", {}, columns.map((c) =>
      h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((c, i) => {
      const value = c.value(row);
      const cell = i === 0 && c.header !== false ? "th" : "td";
      return h(cell, { scope: cell === "th" ? "row" : null, class: c.numeric ? "num" : null },
        value ?? "–");
    })))));
}

const intFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

export function fmtInt(value) {
  return typeof value === "number" && Number.isFinite(value) ? intFormat.format(value) : "–";
}

export function fmtRate(value) {
  return typeof value === "number" && Number.isFinite(value) ? decimalFormat.format(value) : "–";
}

/** A share in [0, 1] as a percentage. */
export function fmtPct(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return `${decimalFormat.format(value * 100)}%`;
}

/** Seconds as the largest sensible unit: "45 s", "12 min", "3.5 h", "9 d". */
export function fmtDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const units = [["d", 86400], ["h", 3600], ["min", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return `${decimalFormat.format(seconds / size)} ${unit}`;
  }
  return `${decimalFormat.format(seconds)} s`;
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
const clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** An RFC 3339 time as "26 Nov 2024 05:52" (UTC, said in the tooltip) in a <time> element. */
export function fmtTime(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h("time", { datetime: date.toISOString(), title: `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` },
    `${dateFormat.format(date)} ${clockFormat.format(date)}`);
}

/** "evaluation" -> "Evaluation", "call_centre" -> "Call centre". */
export function humanize(name) {
  if (name === null || name === undefined) return "–";
  const text = String(name).replace(/[_-]+/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Values of any JSON type as short text (objects as compact JSON). */
export function show(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Say something to screen-reader users (route changes, results). */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (el) el.textContent = text;
}

/** The first of ``keys`` present on ``obj`` (the API's field names, tolerant of synonyms). */
export function pick(obj, ...keys) {
  if (!obj) return undefined;
  for (const key of keys) if (obj[key] !== undefined && obj[key] !== null) return obj[key];
  return undefined;
}

/**
 * Fill ``el`` from an async ``build`` (returning a Node or a list of them), showing a loading
 * line first and an error state if it throws. A sign-in error is passed on, so the app can
 * send the user back to the login page.
 */
export async function fillFrom(el, build, { isCurrent = () => true } = {}) {
  if (!el.firstChild) mount(el, loading());
  try {
    const content = await build();
    if (isCurrent()) mount(el, content);
  } catch (exc) {
    if (exc?.name === "Unauthorized") throw exc;
    if (isCurrent()) {
      mount(el, h("div", { class: "empty error", role: "alert" },
        h("p", { class: "empty-title" }, "This part could not be shown"),
        h("p", { class: "empty-detail" }, String(exc?.message ?? exc))));
    }
  }
}
