// Overview: the live event rate, the to-do list, the hourglass per product, the product
// comparison, stage moves, the funnel builder and cohorts. Refreshes itself while open.

import { get } from "../api.js";
import { cohortOption, draw, hourglassOption, rateOption, sankeyOption } from "../charts.js";
import {
  empty, fillFrom, fmtDuration, fmtInt, fmtPct, fmtRate, fmtTime, h, humanize, mount, notOk, section, table,
} from "../dom.js";
import { channelIcon } from "../icons.js";
import { funnelBuilder } from "./funnel.js";
import {
  normCohorts, normComparison, normHourglass, normInsights, normTransitions,
} from "../shapes.js";

const REFRESH_MS = 30000;
const ENDPOINTS = {
  hourglass: "/api/v1/analytics/hourglass",
  insights: "/api/v1/analytics/insights",
  transitions: "/api/v1/analytics/transitions",
  cohorts: "/api/v1/analytics/cohorts",
};

export async function render(main, ctx) {
  const charts = new Set();
  const keep = (handle) => {
    charts.add(handle);
    return handle;
  };
  const disposeAll = (set) => {
    for (const c of set) c.dispose();
    set.clear();
  };
  const model = ctx.query.model || "hourglass";

  const live = section("Live event rate", { id: "live" });
  const logStats = h("div", { class: "log-stats" });
  const todo = section("To do", { id: "insights" });
  const hourglass = section("Hourglass per product", { id: "hourglass", className: "hourglass-section" });
  const comparison = section("Product comparison", { id: "comparison" });
  const moves = section("Stage moves", { id: "transitions" });
  const funnel = section("Funnel builder", { id: "funnel" });
  const cohorts = section("Cohorts", { id: "cohorts" });

  mount(main,
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Overview"),
        h("p", {}, "Where customers stand on their journeys, where they stall, and what to fix next.")),
      h("p", { class: "hint" }, `Journey model: ${humanize(model)} · refreshes every ${REFRESH_MS / 1000} s`)),
    h("div", { class: "grid-2" }, live.el, todo.el),
    hourglass.el,
    h("div", { class: "grid-2" }, comparison.el, moves.el),
    funnel.el,
    cohorts.el);

  // live rate: the app polls /healthz; this card draws the history it keeps
  const rateText = h("span", { class: "value", id: "live-rate-value" }, "…");
  const totalText = h("span", { class: "value", id: "live-total-value" }, "…");
  const rateEl = h("div", { class: "chart chart-small", role: "img", "aria-label": "Events per second over the last three minutes" });
  mount(live.body,
    h("div", { class: "stat-row" },
      h("div", { class: "stat" }, rateText, h("div", { class: "label" }, "events per second (last 10 s)")),
      h("div", { class: "stat" }, totalText, h("div", { class: "label" }, "events accepted since start"))),
    rateEl,
    logStats);
  const rateChart = keep(draw(rateEl, rateOption(ctx.live.history)));
  const onHealth = (event) => {
    rateText.textContent = fmtRate(event.detail.events_per_second);
    totalText.textContent = fmtInt(event.detail.accepted_total);
    rateChart.update(rateOption(ctx.live.history));
  };
  window.addEventListener("waymark:health", onHealth);
  const last = ctx.live.history.at(-1);
  if (last) onHealth({ detail: { events_per_second: last.rate, accepted_total: last.total } });

  const dataCharts = new Set();
  const refresh = async () => {
    const current = ctx.isCurrent;
    const result = await get(ENDPOINTS.hourglass, { query: { model } });
    if (!current()) return;
    disposeAll(dataCharts);
    const products = result.state === "ok" ? normHourglass(result.data) : [];
    await Promise.all([
      fillFrom(hourglass.body, () => hourglassCards(result, products, dataCharts), { isCurrent: current }),
      fillFrom(comparison.body, () => comparisonTable(result, products), { isCurrent: current }),
      fillFrom(todo.body, () => insightsList(), { isCurrent: current }),
      fillFrom(logStats, () => logView(), { isCurrent: current }),
      fillFrom(moves.body, () => sankey(model, products, dataCharts), { isCurrent: current }),
      fillFrom(cohorts.body, () => cohortView(model, products, dataCharts), { isCurrent: current }),
    ]);
    return products;
  };
  const products = await refresh();
  await fillFrom(funnel.body, () => funnelBuilder({ model, products, charts: keep }));
  // a link from the to-do list names the report section to show
  const target = ctx.query.section && document.getElementById(ctx.query.section);
  if (target) target.scrollIntoView();
  let timer = setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_MS);

  return () => {
    clearInterval(timer);
    timer = null;
    window.removeEventListener("waymark:health", onHealth);
    disposeAll(dataCharts);
    disposeAll(charts);
  };
}

function hourglassCards(result, products, charts) {
  if (result.state !== "ok") return notOk(result, "Hourglass", `GET ${ENDPOINTS.hourglass}`);
  if (!products.length) {
    return empty("No customers on a journey yet",
      "Send events through the tracking API (or run make demo); stages fill in as evidence arrives.");
  }
  const grid = h("div", { class: "grid" });
  for (const product of products) {
    const chartEl = h("div", { class: "chart", role: "img", "aria-label": `Hourglass of ${product.title}: customers per stage` });
    const details = h("details", { class: "data-table" },
      h("summary", {}, "Numbers per stage"),
      h("div", { class: "table-wrap" }, stageTable(product)));
    const card = h("article", { class: "card hourglass-card", "data-product": product.product },
      h("div", { class: "section-head" }, h("h3", {}, product.title),
        h("span", { class: "badge badge-info" }, `${fmtInt(product.total)} customers`)),
      chartEl, details);
    grid.append(card);
    charts.add(draw(chartEl, hourglassOption(product.stages)));
  }
  return grid;
}

function stageTable(product) {
  return table(`Customers per stage for ${product.title}`, [
    { label: "Stage", value: (s) => h("span", { class: `stage-${s.phaseClass}` }, s.title) },
    { label: "Customers", value: (s) => fmtInt(s.count), numeric: true },
    { label: "To next", value: (s) => fmtPct(s.conversion), numeric: true },
    { label: "Median time", value: (s) => fmtDuration(s.median_seconds), numeric: true },
    { label: "p90 time", value: (s) => fmtDuration(s.p90_seconds), numeric: true },
    { label: "Stalled", value: (s) => fmtInt(s.stalled), numeric: true },
    { label: "Lapsed", value: (s) => fmtInt(s.lapsed), numeric: true },
    { label: "Dropped", value: (s) => fmtInt(s.dropped), numeric: true },
  ], product.stages, { className: "stage-table", rowAttrs: (s) => ({ "data-stage": s.name }) });
}

function comparisonTable(result, products) {
  if (result.state !== "ok") return notOk(result, "Product comparison", `GET ${ENDPOINTS.hourglass}`);
  const rows = normComparison(result.data, products);
  if (!rows.length) return empty("Nothing to compare yet", "Comparison needs customers on at least one product.");
  const keys = rows.columns;
  return h("div", { class: "table-wrap" }, table("Conversion by product", [
    { label: "Product", value: (r) => r.title },
    ...keys.map((k) => ({ label: k.label, value: (r) => fmtPct(r.values[k.key]), numeric: true })),
  ], rows));
}

async function logView() {
  const endpoint = "/api/v1/inspect";
  const result = await get(endpoint);
  if (result.state !== "ok") return notOk(result, "The event log", `GET ${endpoint}`);
  const stats = result.data;
  const channels = Object.entries(stats.by_channel ?? {}).sort((a, b) => b[1] - a[1]);
  return [
    h("h3", { class: "log-title" }, `${fmtInt(stats.events)} events in the log`,
      stats.first_event ? [" · ", fmtTime(stats.first_event), " to ", fmtTime(stats.last_event)] : null),
    channels.length
      ? h("ul", { class: "channel-counts", "aria-label": "Events by channel" }, channels.map(([channel, count]) =>
        h("li", { "data-channel": channel }, channelIcon(channel), h("span", { class: "count" }, fmtInt(count)))))
      : null,
  ];
}

async function insightsList() {
  const result = await get(ENDPOINTS.insights);
  if (result.state !== "ok") return notOk(result, "To-do list", `GET ${ENDPOINTS.insights}`);
  const items = normInsights(result.data);
  if (!items.length) return empty("Nothing to fix right now", "Insights appear as journeys fill in and gaps show.");
  return h("ol", { class: "todo" }, items.map((item) => h("li", {},
    h("div", {},
      h("p", {}, item.text),
      h("p", { class: "meta" },
        item.customers !== undefined ? `${fmtInt(item.customers)} customers affected` : null,
        item.href ? [" · ", h("a", { href: item.href }, item.linkText)] : null)))));
}

async function sankey(model, products, charts) {
  const result = await get(ENDPOINTS.transitions, { query: { model } });
  if (result.state !== "ok") return notOk(result, "Stage moves", `GET ${ENDPOINTS.transitions}`);
  const { links, stages } = normTransitions(result.data, products);
  if (!links.length) return empty("No stage moves yet", "Moves appear when customers change stage.");
  const chartEl = h("div", { class: "chart chart-tall", role: "img", "aria-label": "Sankey diagram of stage moves" });
  charts.add(draw(chartEl, sankeyOption(links, stages)));
  const top = [...links].sort((a, b) => b.count - a.count).slice(0, 12);
  return [chartEl, h("details", { class: "data-table" }, h("summary", {}, "Largest moves"),
    table("Largest stage moves", [
      { label: "From", value: (l) => (l.from ? humanize(l.from) : "(entry)") },
      { label: "To", value: (l) => humanize(l.to) },
      { label: "Customers", value: (l) => fmtInt(l.count), numeric: true },
    ], top))];
}

async function cohortView(model, products, charts) {
  const result = await get(ENDPOINTS.cohorts, { query: { model } });
  if (result.state !== "ok") return notOk(result, "Cohorts", `GET ${ENDPOINTS.cohorts}`);
  const { cohorts, stages } = normCohorts(result.data, products);
  if (!cohorts.length) return empty("No cohorts yet", "Cohorts group customers by the week they entered.");
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": "Share of each cohort reaching each stage" });
  charts.add(draw(chartEl, cohortOption(cohorts, stages)));
  return [chartEl, h("details", { class: "data-table" }, h("summary", {}, "Cohort table"),
    h("div", { class: "table-wrap" }, table("Share of each cohort reaching each stage", [
      { label: "Cohort", value: (c) => c.label },
      { label: "Customers", value: (c) => fmtInt(c.size), numeric: true },
      ...stages.map((s) => ({ label: humanize(s), value: (c) => fmtPct(c.shares[s]), numeric: true })),
    ], cohorts)))];
}
