// The funnel builder: steps over events or journey stages, posted to the analytics API, drawn
// as bars with a table of counts, conversions and times between steps.

import { call, get, offers } from "../api.js";
import { draw, funnelBarsOption } from "../charts.js";
import { announce, empty, fmtDuration, fmtInt, fmtPct, h, humanize, mount, notOk, pick, table, uid } from "../dom.js";

const ENDPOINT = "/api/v1/analytics/funnel";
const MODES = [
  ["ordered", "Ordered (steps in order, others may come between)"],
  ["strict_order", "Strict order (no other step in between)"],
  ["strict_deduplication", "Strict deduplication (a repeated step stops the funnel)"],
  ["any_order", "Any order"],
];
const BREAKDOWNS = [
  ["", "No breakdown"],
  ["channel", "Channel"],
  ["product", "Product"],
  ["campaign", "Campaign"],
  ["first_touch_source", "First-touch source"],
  ["first_touch_channel", "First-touch channel"],
];

function select(id, options, value) {
  return h("select", { id }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

/** The funnel form and its output. ``products`` give the stage names for stage steps. */
export async function funnelBuilder({ model, products, charts }) {
  if (!(await offers("POST", ENDPOINT))) return notOk({ state: "missing" }, "Funnels", `POST ${ENDPOINT}`);
  const stageNames = (products[0]?.stages ?? []).map((s) => s.name);
  const eventsList = h("datalist", { id: uid("events") });
  suggestEvents(eventsList);

  const steps = h("ol", { class: "steps", "aria-label": "Funnel steps" });
  const addStep = (kind, value, where = "") => {
    const kindId = uid("kind");
    const valueId = uid("value");
    const whereId = uid("where");
    const kindSelect = select(kindId, [["event", "Event"], ["stage", "Journey stage"]], kind);
    const valueWrap = h("div", { class: "field" });
    const whereField = h("div", { class: "field" },
      h("label", { for: whereId }, "Where (property=value)"),
      h("input", { id: whereId, type: "text", value: where, placeholder: "product_id=genius-kit", class: "step-where" }));
    const drawValue = () => {
      const isStage = kindSelect.value === "stage";
      const input = isStage && stageNames.length
        ? select(valueId, stageNames.map((s) => [s, humanize(s)]), value || stageNames[0])
        : h("input", { id: valueId, type: "text", value, list: isStage ? null : eventsList.id, required: true,
          placeholder: isStage ? "purchase" : "Product Viewed" });
      input.classList.add("step-value");
      mount(valueWrap, h("label", { for: valueId }, isStage ? "Stage" : "Event name"), input);
      whereField.hidden = isStage;
    };
    kindSelect.classList.add("step-kind");
    kindSelect.addEventListener("change", () => {
      value = "";
      drawValue();
    });
    drawValue();
    const row = h("li", {},
      h("div", { class: "field" }, h("label", { for: kindId }, "Step"), kindSelect),
      valueWrap,
      whereField,
      h("button", { type: "button", class: "button-link button-danger", onclick: () => {
        if (steps.children.length > 1) row.remove();
      } }, "Remove"));
    steps.append(row);
  };
  addStep("event", "Product Viewed");
  addStep("stage", stageNames.includes("purchase") ? "purchase" : "");

  const windowId = uid("window");
  const modeId = uid("mode");
  const breakdownId = uid("breakdown");
  const fromId = uid("from");
  const toId = uid("to");
  const message = h("p", { class: "form-error", role: "alert" });
  const output = h("div", { class: "funnel-output", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "button" }, "Show funnel");
  const form = h("form", { class: "funnel-form", novalidate: true },
    steps,
    h("p", {}, h("button", { type: "button", class: "button-quiet", onclick: () => addStep("event", "") }, "Add a step")),
    h("div", { class: "funnel-options" },
      h("div", { class: "field" }, h("label", { for: windowId }, "Window (days)"),
        h("input", { id: windowId, type: "number", min: "1", max: "365", value: "7" })),
      h("div", { class: "field" }, h("label", { for: modeId }, "Mode"), select(modeId, MODES, "ordered")),
      h("div", { class: "field" }, h("label", { for: breakdownId }, "Breakdown"), select(breakdownId, BREAKDOWNS, "")),
      h("div", { class: "field" }, h("label", { for: fromId }, "From"), h("input", { id: fromId, type: "date" })),
      h("div", { class: "field" }, h("label", { for: toId }, "To"), h("input", { id: toId, type: "date" })),
      submit),
    eventsList,
    message);

  let chart = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const body = readForm(form, { model, windowId, modeId, breakdownId, fromId, toId });
    if (body.error) {
      message.textContent = body.error;
      return;
    }
    submit.disabled = true;
    try {
      const result = await call("POST", ENDPOINT, { body: body.request });
      if (chart) {
        chart.dispose();
        chart = null;
      }
      if (result.state !== "ok") {
        mount(output, notOk(result, "Funnel", `POST ${ENDPOINT}`));
        return;
      }
      const view = funnelResult(result.data);
      mount(output, view.nodes);
      if (view.chartEl) chart = charts(draw(view.chartEl, funnelBarsOption(view.steps)));
      announce(`Funnel: ${view.steps.map((s) => `${s.name} ${s.count}`).join(", ")}`);
    } finally {
      submit.disabled = false;
    }
  });
  return [form, output];
}

function readForm(form, ids) {
  const request = { steps: [], mode: form.querySelector(`#${ids.modeId}`).value };
  for (const row of form.querySelectorAll(".steps > li")) {
    const kind = row.querySelector(".step-kind").value;
    const value = row.querySelector(".step-value").value.trim();
    if (!value) return { error: "Every step needs an event name or a stage." };
    if (kind === "stage") {
      request.steps.push({ stage: value, model: ids.model });
      continue;
    }
    const step = { event: value };
    const where = row.querySelector(".step-where").value.trim();
    if (where) {
      const conditions = {};
      for (const part of where.split(",")) {
        const [key, ...rest] = part.split("=");
        if (!key.trim() || !rest.length) return { error: `Write conditions as property=value, got "${part.trim()}".` };
        conditions[key.trim()] = rest.join("=").trim();
      }
      step.where = conditions;
    }
    request.steps.push(step);
  }
  if (request.steps.length < 1) return { error: "Add at least one step." };
  const days = Number(form.querySelector(`#${ids.windowId}`).value);
  if (!Number.isFinite(days) || days <= 0) return { error: "The window must be a positive number of days." };
  request.window_seconds = Math.round(days * 86400);
  const breakdown = form.querySelector(`#${ids.breakdownId}`).value;
  if (breakdown) request.breakdown = breakdown;
  const from = form.querySelector(`#${ids.fromId}`).value;
  const to = form.querySelector(`#${ids.toId}`).value;
  if (from) request.from = `${from}T00:00:00Z`;
  if (to) request.to = `${to}T23:59:59Z`;
  return { request };
}

function funnelResult(data) {
  const steps = (pick(data, "steps") ?? []).map((s, i) => ({
    name: String(pick(s, "name", "label") ?? `Step ${i + 1}`),
    count: pick(s, "count") ?? 0,
    fromFirst: pick(s, "conversion"),
    fromPrevious: pick(s, "conversion_from_previous"),
    median: pick(s, "median_seconds_from_previous"),
  }));
  if (!steps.length) return { steps, nodes: empty("The funnel has no steps"), chartEl: null };
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": "Customers reaching each funnel step" });
  chartEl.style.height = `${Math.max(160, 56 * steps.length + 50)}px`; // bars keep their size
  const nodes = [
    chartEl,
    h("div", { class: "table-wrap" }, table({ text: "Funnel result", visible: true }, [
      { label: "Step", value: (s) => s.name },
      { label: "Customers", value: (s) => fmtInt(s.count), numeric: true },
      { label: "From previous", value: (s) => fmtPct(s.fromPrevious), numeric: true },
      { label: "From first", value: (s) => fmtPct(s.fromFirst), numeric: true },
      { label: "Median time from previous", value: (s) => fmtDuration(s.median), numeric: true },
    ], steps, { className: "funnel-table" })),
  ];
  const breakdown = pick(data, "breakdown");
  if (breakdown && typeof breakdown === "object" && Object.keys(breakdown).length) {
    const rows = Object.entries(breakdown).map(([value, counts]) => ({ value, counts }));
    nodes.push(h("div", { class: "table-wrap" }, table({ text: "Breakdown", visible: true }, [
      { label: "Value", value: (r) => r.value || "(none)" },
      ...steps.map((s, i) => ({ label: s.name, value: (r) => fmtInt(r.counts[i]), numeric: true })),
    ], rows)));
  }
  return { steps, nodes, chartEl };
}

async function suggestEvents(datalist) {
  // recent event names make typing a step easier; without the events API the field stays free
  try {
    const result = await get("/api/v1/events", { query: { limit: 500 } });
    if (result.state !== "ok") return;
    const names = new Set();
    for (const e of result.data.events ?? []) if (e.type === "track" && e.event) names.add(e.event);
    mount(datalist, [...names].sort().map((name) => h("option", { value: name })));
  } catch {
    // suggestions are optional
  }
}
