// Overview: the live event rate, the to-do list, the hourglass per product, the product
// comparison, stage moves, the funnel builder, cohorts and content coverage. Refreshes itself
// while open, keeping what the reader opened or chose.

import { get } from "../api.js";
import { models } from "../models.js";
import { productNames } from "../products.js";
import { cohortOption, draw, hourglassOption, rateOption, retentionOption, sankeyOption } from "../charts.js";
import {
  empty, fillFrom, fmtDuration, fmtInt, fmtPct, fmtRate, fmtTime, h, humanize, mount, notOk, section, table, uid,
} from "../dom.js";
import { channelIcon } from "../icons.js";
import { funnelBuilder } from "./funnel.js";
import { goalsView, signalsView } from "./outside.js";
import {
  normCohorts, normComparison, normCoverage, normHourglass, normInsights, normTransitions, shortTitle,
} from "../shapes.js";

const REFRESH_MS = 30000;
const ENDPOINTS = {
  hourglass: "/api/v1/analytics/hourglass",
  insights: "/api/v1/analytics/insights",
  transitions: "/api/v1/analytics/transitions",
  cohorts: "/api/v1/analytics/cohorts",
  coverage: "/api/v1/analytics/coverage",
  inspect: "/api/v1/inspect",
};

export async function render(main, ctx) {
  const model = ctx.query.model || "hourglass";
  const charts = new Set();
  const dataCharts = new Set();
  const keep = (set) => (handle) => {
    set.add(handle);
    return handle;
  };
  const disposeAll = (set) => {
    for (const c of set) c.dispose();
    set.clear();
  };
  const state = { sankeyProduct: ctx.query.product ?? "", products: [] };

  const live = section("Live event rate", { id: "live" });
  const logStats = h("div", { class: "log-stats" });
  const todo = section("To do", { id: "insights" });
  const hourglass = section("Hourglass per product", { id: "hourglass" });
  const comparison = section("Product comparison", { id: "comparison" });
  const moves = section("Stage moves", { id: "transitions" });
  const funnel = section("Funnel builder", { id: "funnel" });
  const cohorts = section("Cohorts", { id: "cohorts" });
  const coverage = section("Content coverage", { id: "coverage" });
  const goals = section("Stage goals", { id: "goals" });
  const signals = section("Outside signals", { id: "signals" });

  const modelId = uid("model");
  const modelSelect = h("select", { id: modelId }, h("option", { value: model, selected: true }, humanize(model)));
  modelSelect.addEventListener("change", () => ctx.navigate(`#/overview?model=${encodeURIComponent(modelSelect.value)}`));
  // the server's journey models (GET /api/v1/journeys) fill the selector
  models().then((list) => {
    if (!ctx.isCurrent() || !list.length) return;
    const names = list.some((m) => m.name === model) ? list : [{ name: model, title: humanize(model) }, ...list];
    mount(modelSelect, names.map((m) => h("option", { value: m.name, selected: m.name === model }, m.title)));
  }).catch(() => {});

  mount(main,
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Overview"),
        h("p", {}, "Where customers stand on their journeys, where they stall, and what to fix next.")),
      h("div", { class: "inline-form" },
        h("div", { class: "field" }, h("label", { for: modelId }, "Journey model"), modelSelect),
        h("p", { class: "hint" }, `Refreshes every ${REFRESH_MS / 1000} s`))),
    h("div", { class: "grid-2" }, live.el, todo.el),
    hourglass.el,
    h("div", { class: "grid-2" }, comparison.el, moves.el),
    funnel.el,
    h("div", { class: "grid-2" }, cohorts.el, coverage.el),
    h("div", { class: "grid-2" }, goals.el, signals.el));

  // live rate: the app polls /healthz; this card draws the history it keeps
  const rateText = h("span", { class: "value", id: "live-rate-value" }, "…");
  const totalText = h("span", { class: "value", id: "live-total-value" }, "…");
  // on a large log reports are answered from the last snapshot while the next is rebuilt
  const behindText = h("p", { class: "hint", id: "live-reports-behind" }, "");
  const rateEl = h("div", { class: "chart chart-small", role: "img", "aria-label": "Events per second over the last three minutes" });
  mount(live.body,
    h("div", { class: "stat-row" },
      h("div", { class: "stat" }, rateText, h("div", { class: "label" }, "events per second (last 10 s)")),
      h("div", { class: "stat" }, totalText, h("div", { class: "label" }, "events accepted since start"))),
    behindText,
    rateEl,
    logStats);
  const rateChart = keep(charts)(draw(rateEl, rateOption(ctx.live.history)));
  const onHealth = (event) => {
    rateText.textContent = fmtRate(event.detail.events_per_second);
    totalText.textContent = fmtInt(event.detail.accepted_total);
    const behind = event.detail.reports_behind ?? 0;
    behindText.textContent = behind > 0
      ? `Reports below lag the log by ${fmtInt(behind)} events while they are rebuilt.`
      : "Reports below include every event received.";
    rateChart.update(rateOption(ctx.live.history));
  };
  window.addEventListener("waymark:health", onHealth);
  const last = ctx.live.history.at(-1);
  if (last) onHealth({ detail: { events_per_second: last.rate, accepted_total: last.total, reports_behind: last.behind } });

  // the Sankey redraws on its own when the reader picks a product; it owns its chart
  const drawMoves = (asked = null) => fillFrom(moves.body, () => sankey(model, state, asked, () => drawMoves()), { isCurrent: ctx.isCurrent });

  const refresh = async () => {
    const current = ctx.isCurrent;
    // what the reader opened survives the refresh
    const open = new Set([...main.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key));
    // every report is asked for at once; each section draws when its answer is in
    const asked = {
      hourglass: get(ENDPOINTS.hourglass, { query: { model } }),
      names: productNames().catch(() => (id) => id),
      insights: get(ENDPOINTS.insights),
      inspect: get(ENDPOINTS.inspect),
      cohorts: get(ENDPOINTS.cohorts, { query: { model, period: "week" } }),
      coverage: get(ENDPOINTS.coverage, { query: { model } }),
      transitions: get(ENDPOINTS.transitions, { query: { model, product: state.sankeyProduct || undefined } }),
    };
    const products = Promise.all([asked.hourglass, asked.names]).then(([result, name]) => {
      const list = result.state === "ok" ? normHourglass(result.data) : [];
      // the report names products by id when it knows no better; the catalog has their names
      for (const p of list) if (p.title === p.product) p.title = name(p.product);
      return list;
    });
    const fresh = new Set();
    const opts = { isCurrent: current };
    await Promise.all([
      fillFrom(hourglass.body, async () => hourglassCards(await asked.hourglass, await products, fresh), opts),
      fillFrom(comparison.body, async () => comparisonTable(await asked.hourglass, await products), opts),
      fillFrom(todo.body, async () => insightsList(await asked.insights), opts),
      fillFrom(logStats, async () => logView(await asked.inspect), opts),
      fillFrom(cohorts.body, async () => cohortView(await asked.cohorts, await products, fresh), opts),
      fillFrom(coverage.body, async () => coverageView(await asked.coverage, await asked.names), opts),
      fillFrom(goals.body, async () => goalsView(await asked.hourglass, await asked.names), opts),
      fillFrom(signals.body, () => signalsView(model), opts),
      products.then((list) => {
        state.products = list;
        return drawMoves(asked.transitions);
      }),
    ]);
    if (!current()) {
      disposeAll(fresh);
      return state.products;
    }
    // swap the charts only now, so a refresh never leaves a section blank
    disposeAll(dataCharts);
    for (const c of fresh) dataCharts.add(c);
    for (const d of main.querySelectorAll("details[data-key]")) if (open.has(d.dataset.key)) d.open = true;
    return state.products;
  };
  await refresh();
  await fillFrom(funnel.body, () => funnelBuilder({ model, products: state.products, charts: keep(charts) }));
  reveal(main, ctx.query);

  const timer = setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_MS);
  return () => {
    clearInterval(timer);
    window.removeEventListener("waymark:health", onHealth);
    disposeAll(dataCharts);
    disposeAll(charts);
    if (state.sankeyChart) state.sankeyChart.dispose();
  };
}

/** A link from the to-do list names a section (and a product): show and open it. */
function reveal(main, query) {
  const section = query.section && main.querySelector(`#${CSS.escape(query.section)}`);
  if (!section) return;
  let target = section;
  if (query.product) {
    const card = section.querySelector(`[data-product="${CSS.escape(query.product)}"]`);
    if (card) {
      target = card;
      card.classList.add("highlight");
      const details = card.querySelector("details");
      if (details) details.open = true;
    }
  }
  target.scrollIntoView({ block: "start" });
}

function hourglassCards(result, products, charts) {
  if (result.state !== "ok") return notOk(result, "Hourglass", `GET ${ENDPOINTS.hourglass}`);
  if (!products.length) {
    return empty("No customers on a journey yet",
      "Send events through the tracking API (or run make demo); stages fill in as evidence arrives.");
  }
  const grid = h("div", { class: "grid" });
  for (const product of products) {
    const chartEl = h("div", { class: "chart hourglass-chart", role: "img", "aria-label": `Hourglass of ${product.title}: customers per stage` });
    const details = h("details", { class: "data-table", "data-key": `hourglass:${product.product}` },
      h("summary", {}, "Numbers per stage"),
      h("div", { class: "table-wrap" }, stageTable(product)));
    grid.append(h("article", { class: "card hourglass-card", "data-product": product.product },
      h("div", { class: "section-head" }, h("h3", {}, product.title),
        h("span", { class: "badge badge-info" }, `${fmtInt(product.total)} customers`)),
      chartEl, details));
    charts.add(draw(chartEl, hourglassOption(product.stages)));
  }
  return grid;
}

function stageTable(product) {
  return table(`Customers per stage for ${product.title}`, [
    { label: "Stage", value: (s) => h("span", { class: `stage-${s.phaseClass}`, title: s.title }, shortTitle(s)) },
    { label: "Customers", value: (s) => fmtInt(s.count), numeric: true },
    { label: "Reached", value: (s) => fmtInt(s.reached), numeric: true },
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
  return h("div", { class: "table-wrap" }, table("Conversion by product", [
    { label: "Product", value: (r) => r.title },
    ...rows.columns.map((k) => ({ label: k.label, value: (r) => fmtPct(r.values[k.key]), numeric: true })),
  ], rows, { className: "comparison-table", rowAttrs: (r) => ({ "data-product": r.product }) }));
}

function logView(result) {
  if (result.state !== "ok") return notOk(result, "The event log", `GET ${ENDPOINTS.inspect}`);
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

const TODO_SHOWN = 6;

function insightsList(result) {
  if (result.state !== "ok") return notOk(result, "To-do list", `GET ${ENDPOINTS.insights}`);
  const items = normInsights(result.data);
  if (!items.length) return empty("Nothing to fix right now", "Insights appear as journeys fill in and gaps show.");
  const entry = (item) => h("li", {},
    h("div", {},
      h("p", {}, item.text),
      h("p", { class: "meta" },
        item.customers !== undefined ? `${fmtInt(item.customers)} customers affected` : null,
        item.href ? [" · ", h("a", { href: item.href }, item.linkText)] : null)));
  // the most important first; the rest one click away, so the overview stays readable
  const rest = items.slice(TODO_SHOWN);
  const restList = h("ol", { class: "todo", start: TODO_SHOWN + 1 }, rest.map(entry));
  restList.style.counterReset = `todo ${TODO_SHOWN}`; // the drawn numbers go on from the first list
  return [
    h("ol", { class: "todo" }, items.slice(0, TODO_SHOWN).map(entry)),
    rest.length
      ? h("details", { class: "more", "data-key": "todo" }, h("summary", {}, `${rest.length} more`), restList)
      : null,
  ];
}

async function sankey(model, state, asked, redraw) {
  const query = { model, product: state.sankeyProduct || undefined };
  const result = await (asked ?? get(ENDPOINTS.transitions, { query }));
  if (result.state !== "ok") return notOk(result, "Stage moves", `GET ${ENDPOINTS.transitions}`);
  const { links, stages, paths } = normTransitions(result.data, state.products);
  const selectId = uid("sankey-product");
  const select = h("select", { id: selectId },
    h("option", { value: "" }, "All products"),
    state.products.map((p) => h("option", { value: p.product, selected: p.product === state.sankeyProduct }, p.title)));
  select.addEventListener("change", () => {
    state.sankeyProduct = select.value;
    redraw();
  });
  const picker = h("div", { class: "inline-form" }, h("label", { for: selectId }, "Product"), select);
  if (!links.length) return [picker, empty("No stage moves yet", "Moves appear when customers change stage.")];
  const chartEl = h("div", { class: "chart chart-tall", role: "img", "aria-label": "Sankey diagram of stage moves" });
  if (state.sankeyChart) state.sankeyChart.dispose();
  state.sankeyChart = draw(chartEl, sankeyOption(links, stages));
  const top = [...links].sort((a, b) => b.count - a.count).slice(0, 12);
  return [
    picker,
    chartEl,
    h("p", { class: "hint legend" },
      h("span", { class: "swatch swatch-forward" }), "forward ",
      h("span", { class: "swatch swatch-skip" }), "skip ",
      h("span", { class: "swatch swatch-back" }), "back"),
    h("details", { class: "data-table", "data-key": "moves" }, h("summary", {}, "Largest moves"),
      table("Largest stage moves", [
        { label: "From", value: (l) => (l.from ? humanize(l.from) : "(entry)") },
        { label: "To", value: (l) => humanize(l.to) },
        { label: "Move", value: (l) => humanize(l.kind ?? "") },
        { label: "Customers", value: (l) => fmtInt(l.count), numeric: true },
      ], top, { className: "moves-table" })),
    paths.length
      ? h("details", { class: "data-table", "data-key": "paths" }, h("summary", {}, "Paths before purchase"),
        table("Most common paths before the first purchase", [
          { label: "Path", value: (p) => p.path.map(humanize).join(" → ") },
          { label: "Customers", value: (p) => fmtInt(p.count), numeric: true },
        ], paths))
      : null,
  ];
}

function cohortView(result, products, charts) {
  if (result.state !== "ok") return notOk(result, "Cohorts", `GET ${ENDPOINTS.cohorts}`);
  const { cohorts, stages, retention } = normCohorts(result.data, products);
  if (!cohorts.length) return empty("No cohorts yet", "Cohorts group customers by the week they entered.");
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": "Share of each cohort reaching each stage" });
  charts.add(draw(chartEl, cohortOption(cohorts, stages)));
  const nodes = [chartEl, h("details", { class: "data-table", "data-key": "cohorts" }, h("summary", {}, "Cohort table"),
    h("div", { class: "table-wrap" }, table("Share of each cohort reaching each stage", [
      { label: "Cohort", value: (c) => c.label },
      { label: "Customers", value: (c) => fmtInt(c.size), numeric: true },
      ...stages.map((s) => ({ label: humanize(s), value: (c) => fmtPct(c.shares[s]), numeric: true })),
    ], cohorts)))];
  if (retention.length) {
    const retentionEl = h("div", { class: "chart chart-small", role: "img", "aria-label": "Retention after purchase by purchase period" });
    charts.add(draw(retentionEl, retentionOption(retention)));
    nodes.push(h("h3", { class: "subhead" }, "Retention after purchase"), retentionEl);
  }
  return nodes;
}

function coverageView(result, name) {
  if (result.state !== "ok") return notOk(result, "Content coverage", `GET ${ENDPOINTS.coverage}`);
  const rows = normCoverage(result.data).filter((r) => r.customers > 0 || r.experiences > 0);
  if (!rows.length) return empty("Nothing to cover yet", "Coverage compares content per stage with the customers there.");
  const gaps = rows.filter((r) => r.gap);
  const coverageTable = (caption, list) => h("div", { class: "table-wrap" }, table(caption, [
      { label: "Product", value: (r) => name(r.product) },
      { label: "Stage", value: (r) => h("span", { class: `stage-${r.phaseClass}` }, r.short) },
      { label: "Customers", value: (r) => fmtInt(r.customers), numeric: true },
      { label: "Content", value: (r) => fmtInt(r.experiences), numeric: true },
      { label: "Generic", value: (r) => fmtInt(r.generic), numeric: true },
      { label: "Gap", value: (r) => (r.gap ? h("span", { class: "badge badge-bad" }, "Gap") : "–") },
  ], list, { className: "coverage-table", rowAttrs: (r) => ({ "data-product": r.product }) }));
  return [
    h("p", {}, gaps.length
      ? `${gaps.length} stage${gaps.length === 1 ? "" : "s"} with customers and no content made for them.`
      : "Every stage with customers has content made for it."),
    gaps.length ? coverageTable("Stages with customers and no content", gaps) : null,
    h("details", { class: "data-table", "data-key": "coverage" }, h("summary", {}, "Every stage"),
      coverageTable("Content per stage against customers per stage", rows)),
  ];
}
