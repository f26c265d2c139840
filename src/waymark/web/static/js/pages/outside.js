// Overview panels for stage goals (from the hourglass answer: each product's `goals`) and
// outside signals (GET /api/v1/analytics/signals): share of voice per stage and stage entries
// in the days after a signal. Kept apart from overview.js so the overview only places them.

import { get } from "../api.js";
import { empty, fmtDuration, fmtInt, fmtPct, fmtRate, h, humanize, notOk, table } from "../dom.js";

export const SIGNALS = "/api/v1/analytics/signals";

const METRICS = {
  conversion: "conversion to next",
  median_time: "median time",
  p90_time: "p90 time",
  advocacy_share: "share reaching advocacy",
};

function goalValue(metric, value) {
  return metric.endsWith("_time") ? fmtDuration(value) : fmtPct(value);
}

/** Every product's goals: the misses in view (biggest first), the rest one click away. */
export function goalsView(result, names = (id) => id) {
  if (result.state !== "ok") return notOk(result, "Stage goals", "GET /api/v1/analytics/hourglass");
  const order = { missed: 0, no_data: 1, met: 2 };
  const rows = (result.data.products ?? []).flatMap((p) =>
    (p.goals ?? []).map((g) => ({ ...g, product: p.product, title: names(p.product) ?? p.title })));
  if (!rows.length) return empty("No stage goals", "Set targets per product and stage in goals.yaml in the data directory.");
  rows.sort((a, b) => order[a.status] - order[b.status] || (b.relative_gap ?? 0) - (a.relative_gap ?? 0));
  const missed = rows.filter((r) => r.status === "missed");
  const rest = rows.slice(missed.length);
  return [
    h("p", { class: "meta goals-summary" }, `${fmtInt(missed.length)} of ${fmtInt(rows.length)} goals missed`),
    missed.length ? goalsTable("Missed stage goals: target against actual", missed) : null,
    rest.length
      ? h("details", { class: "more", "data-key": "goals" },
        h("summary", {}, `${fmtInt(rest.length)} more: met, or no data yet`),
        goalsTable("Stage goals met or without data", rest))
      : null,
  ];
}

function goalsTable(caption, rows) {
  return h("div", { class: "table-wrap" }, table(caption, [
    { label: "Product", value: (r) => r.title },
    { label: "Stage", value: (r) => (r.stage ? humanize(r.stage) : "all") },
    { label: "Goal", value: (r) => METRICS[r.metric] ?? r.metric },
    { label: "Target", value: (r) => `${r.metric.endsWith("_time") ? "≤ " : "≥ "}${goalValue(r.metric, r.target)}`, numeric: true },
    { label: "Actual", value: (r) => goalValue(r.metric, r.actual), numeric: true },
    { label: "Status", value: (r) => h("span", { class: `goal-${r.status}` }, humanize(r.status)) },
    { label: "Gap", value: (r) => (r.status === "missed" ? goalValue(r.metric, r.gap) : "–"), numeric: true },
  ], rows, { className: "goals-table", rowAttrs: (r) => ({ "data-status": r.status, "data-product": r.product }) }));
}

/** Share of voice per stage and the lag figures, for one model. */
export async function signalsView(model) {
  const result = await get(SIGNALS, { query: { model } });
  if (result.state !== "ok") return notOk(result, "Outside signals", `GET ${SIGNALS}`);
  const report = result.data;
  if (!report.signals) {
    return empty("No outside signals yet",
      "Send track events named \"Outside Signal\" (press, reviews, social, comparisons, referrals) with a stage and product.");
  }
  return [
    h("p", { class: "meta" }, `${fmtInt(report.signals)} signals · ${fmtInt(report.named)} name a known customer`),
    h("div", { class: "table-wrap" }, table("Share of voice by stage", [
      { label: "Stage", value: (v) => humanize(v.key) },
      { label: "Ours", value: (v) => fmtInt(v.ours), numeric: true },
      { label: "All", value: (v) => fmtInt(v.total), numeric: true },
      { label: "Share", value: (v) => fmtPct(v.share), numeric: true },
      { label: "Reach share", value: (v) => fmtPct(v.reach_share), numeric: true },
    ], report.by_stage, { className: "voice-table" })),
    h("div", { class: "table-wrap" }, table({ text: `Stage entries per day in the ${report.days} days after our signals`, visible: true }, [
      { label: "Stage", value: (x) => humanize(x.stage) },
      { label: "After", value: (x) => fmtRate(x.entries_after), numeric: true },
      { label: "Other days", value: (x) => fmtRate(x.entries_other), numeric: true },
      { label: "Lift", value: (x) => (x.lift == null ? "–" : `${fmtRate(x.lift)}×`), numeric: true },
      { label: "95% interval", value: (x) => (x.ci_low == null ? "–" : `${fmtRate(x.ci_low)} to ${fmtRate(x.ci_high)}`), numeric: true },
    ], report.lag, { className: "lag-table" })),
    h("p", { class: "hint" }, report.note),
  ];
}
