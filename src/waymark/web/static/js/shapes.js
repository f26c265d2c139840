// The analytics API's answers turned into what the pages draw. One function per report, so a
// change in an API shape is met in one place.

import { humanize, pick } from "./dom.js";

function list(value) {
  return Array.isArray(value) ? value : [];
}

function num(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function phaseClass(stage) {
  if (stage.name === "purchase" || stage.is_purchase) return "purchase";
  return stage.phase === "post_purchase" ? "post" : "pre";
}

/** GET /api/v1/analytics/hourglass -> [{ product, title, total, stages: [...] }]. */
export function normHourglass(data) {
  const products = Array.isArray(data) ? data : list(pick(data, "products", "hourglass"));
  return products.map((p) => {
    const stages = list(pick(p, "stages")).map((s) => {
      const name = pick(s, "stage", "name");
      const stage = {
        name,
        title: pick(s, "title") ?? humanize(name),
        phase: pick(s, "phase"),
        is_purchase: Boolean(pick(s, "is_purchase")),
        count: num(pick(s, "customers", "count", "current")) ?? 0,
        conversion: num(pick(s, "conversion_to_next", "conversion")),
        median_seconds: num(pick(s, "median_seconds", "median_time_in_stage_seconds")),
        p90_seconds: num(pick(s, "p90_seconds", "p90_time_in_stage_seconds")),
        stalled: num(pick(s, "stalled")),
        lapsed: num(pick(s, "lapsed")),
        dropped: num(pick(s, "dropped", "drop_outs", "dropouts")),
      };
      stage.phaseClass = phaseClass(stage);
      return stage;
    });
    const product = String(pick(p, "product", "id", "name") ?? "");
    return {
      product,
      title: pick(p, "title") ?? (product === "*" ? "Brand (no product)" : product),
      total: num(pick(p, "customers", "total")) ?? stages.reduce((sum, s) => sum + s.count, 0),
      stages,
      comparison: pick(p, "comparison", "conversions"),
    };
  });
}

const COMPARISON_LABELS = {
  traffic_to_trial: "Traffic → trial",
  trial_to_purchase: "Trial → purchase",
  purchase_to_advocacy: "Purchase → advocacy",
};

/** Product comparison rows (and their columns) from the hourglass answer. */
export function normComparison(data, products) {
  let rows = [];
  const given = list(pick(data, "comparison"));
  if (given.length) {
    rows = given.map((r) => {
      const product = String(pick(r, "product") ?? "");
      const values = { ...(pick(r, "conversions") ?? r) };
      delete values.product;
      delete values.title;
      return { product, title: pick(r, "title") ?? product, values };
    });
  } else {
    rows = products
      .filter((p) => p.comparison && typeof p.comparison === "object")
      .map((p) => ({ product: p.product, title: p.title, values: p.comparison }));
  }
  const keys = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row.values)) {
      if (typeof value === "number" && !keys.includes(key)) keys.push(key);
    }
  }
  rows.columns = keys.map((key) => ({ key, label: COMPARISON_LABELS[key] ?? humanize(key) }));
  return rows;
}

/** Where in the dashboard a report link from the to-do list points. */
export function reportHref(link) {
  if (!link || typeof link !== "string") return null;
  if (link.startsWith("#/")) return link;
  const match = link.match(/\/api\/v1\/analytics\/([a-z_-]+)(\?.*)?$/);
  if (!match) return null;
  const report = match[1];
  const query = new URLSearchParams(match[2] ? match[2].slice(1) : "");
  if (report === "content" || report === "coverage") return "#/catalog";
  const section = ["hourglass", "transitions", "funnel", "cohorts"].includes(report) ? report : "hourglass";
  const params = new URLSearchParams({ section });
  for (const key of ["model", "product"]) if (query.get(key)) params.set(key, query.get(key));
  return `#/overview?${params}`;
}

/** GET /api/v1/analytics/insights -> [{ text, customers, href, linkText }]. */
export function normInsights(data) {
  const items = Array.isArray(data) ? data : list(pick(data, "insights", "items", "todo"));
  return items.map((i) => {
    const link = pick(i, "link", "report", "href", "url");
    return {
      text: String(pick(i, "text", "sentence", "message", "title") ?? ""),
      customers: num(pick(i, "customers", "customers_affected", "affected")),
      href: reportHref(link),
      linkText: "See the report",
    };
  });
}

/** GET /api/v1/analytics/transitions -> { links: [{ from, to, count }], stages }. */
export function normTransitions(data, products) {
  const raw = Array.isArray(data) ? data : list(pick(data, "links", "transitions", "moves"));
  const links = raw.map((l) => ({
    from: pick(l, "from", "from_stage", "source") ?? null,
    to: pick(l, "to", "to_stage", "target"),
    count: num(pick(l, "count", "customers", "value")) ?? 0,
  })).filter((l) => l.to);
  const stages = list(pick(data, "stages")).map((s) => (typeof s === "string" ? s : pick(s, "stage", "name")));
  return { links, stages: stages.length ? stages : (products[0]?.stages ?? []).map((s) => s.name) };
}

/** GET /api/v1/analytics/cohorts -> { cohorts: [{ label, size, shares }], stages }. */
export function normCohorts(data, products) {
  const raw = Array.isArray(data) ? data : list(pick(data, "cohorts"));
  const cohorts = raw.map((c) => ({
    label: String(pick(c, "label", "cohort", "entry_week", "entry_month", "period") ?? ""),
    size: num(pick(c, "size", "customers", "count")),
    shares: pick(c, "shares", "reached", "share_reaching") ?? {},
  }));
  let stages = list(pick(data, "stages")).map((s) => (typeof s === "string" ? s : pick(s, "stage", "name")));
  if (!stages.length) stages = (products[0]?.stages ?? []).map((s) => s.name);
  return { cohorts, stages };
}
