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
        reached: num(pick(s, "reached")),
        entered: num(pick(s, "entered")),
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
      title: product === "*" ? "Brand (no product)" : (pick(p, "title") ?? product),
      total: num(pick(p, "customers", "total")) ?? stages.reduce((sum, s) => sum + s.count, 0),
      stages,
      comparison: pick(p, "comparison", "conversions"),
    };
  });
}

/** "Evaluation: assess satisfaction of needs" -> "Evaluation" (charts and tight tables). */
export function shortTitle(stage) {
  const title = String(stage.title ?? "");
  return title.split(":", 1)[0].trim() || humanize(stage.name ?? stage.stage);
}

const COMPARISON_LABELS = {
  traffic_to_purchase: "Traffic → purchase",
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
  const titles = new Map(products.map((p) => [p.product, p.title]));
  for (const row of rows) row.title = titles.get(row.product) ?? row.title;
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
  const known = ["hourglass", "transitions", "funnel", "cohorts", "coverage"];
  const section = known.includes(report) ? report : "hourglass";
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

/** GET /api/v1/analytics/transitions -> { links: [{ from, to, count, kind }], stages, paths }. */
export function normTransitions(data, products) {
  const raw = Array.isArray(data) ? data : list(pick(data, "links", "transitions", "moves"));
  const links = raw.map((l) => {
    const from = pick(l, "from", "from_stage", "source") ?? null;
    return {
      from: from === "(entry)" ? null : from,
      to: pick(l, "to", "to_stage", "target"),
      count: num(pick(l, "count", "customers", "value")) ?? 0,
      kind: pick(l, "kind"),
    };
  }).filter((l) => l.to);
  const stages = list(pick(data, "stages")).map((s) => (typeof s === "string" ? s : pick(s, "stage", "name")));
  const paths = list(pick(data, "paths_to_purchase")).map((p) => ({ path: list(p.path), count: num(p.count) ?? 0 }));
  return { links, paths, stages: stages.length ? stages : (products[0]?.stages ?? []).map((s) => s.name) };
}

/** GET /api/v1/analytics/cohorts -> { cohorts: [{ label, size, shares }], stages }. */
export function normCohorts(data, products) {
  const raw = Array.isArray(data) ? data : list(pick(data, "cohorts"));
  const cohorts = raw.map((c) => ({
    label: [pick(c, "label", "cohort", "period"), pick(c, "entry_stage") ? `at ${humanize(pick(c, "entry_stage"))}` : null]
      .filter(Boolean).join(" "),
    size: num(pick(c, "size", "customers", "count")),
    shares: pick(c, "shares", "reached", "share_reaching") ?? {},
  }));
  let stages = list(pick(data, "stages")).map((s) => (typeof s === "string" ? s : pick(s, "stage", "name")));
  if (!stages.length) stages = (products[0]?.stages ?? []).map((s) => s.name);
  const retention = list(pick(data, "retention")).map((r) => ({
    label: String(pick(r, "label") ?? ""),
    size: num(pick(r, "size")),
    days: list(pick(r, "days")),
    retained: list(pick(r, "retained")),
  })).filter((r) => r.days.length);
  return { cohorts, stages, retention };
}

/** GET /api/v1/analytics/coverage -> rows of content against customers per stage. */
export function normCoverage(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "rows", "coverage"));
  return raw.map((r) => {
    const row = {
      product: String(pick(r, "product") ?? ""),
      name: pick(r, "stage"),
      title: pick(r, "title"),
      phase: pick(r, "phase"),
      customers: num(pick(r, "customers")) ?? 0,
      experiences: num(pick(r, "experiences")) ?? 0,
      generic: num(pick(r, "generic")) ?? 0,
      gap: Boolean(pick(r, "gap")),
    };
    row.short = shortTitle(row);
    row.phaseClass = phaseClass(row);
    return row;
  });
}
