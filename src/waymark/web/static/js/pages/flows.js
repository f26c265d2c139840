// Flows: what Waymark sends on its own (triggers, waits, sends), and how each has been doing.

import { COLORS, draw, groupedBarsOption } from "../charts.js";
import { fmtInt, h, show } from "../dom.js";
import { countsList, renderList } from "./readview.js";

const sum = (counts) => Object.values(counts ?? {}).reduce((s, n) => s + n, 0);

/** Each send step with its messages by status in the window. */
function perStep(a) {
  if (!a || !a.steps.length) return "–";
  return h("ol", { class: "cell-list" }, a.steps.map((s) =>
    h("li", {}, h("span", {}, `${s.step_id} (${s.channel}): `),
      sum(s.messages) ? Object.entries(s.messages).map(([k, n]) => `${k} ${fmtInt(n)}`).join(", ") : "none")));
}

function chart(el, items) {
  const shown = items.filter((f) => f.activity && (f.activity.started || sum(f.activity.ended)));
  el.style.height = `${Math.max(120, 40 + shown.length * 34)}px`;
  const status = (f, k) => f.activity.steps.reduce((s, step) => s + (step.messages[k] ?? 0), 0);
  return draw(el, groupedBarsOption(shown.map((f) => f.name || f.id), [
    { name: "Runs started", color: COLORS.pre, values: shown.map((f) => f.activity.started) },
    { name: "Messages sent", color: COLORS.post, values: shown.map((f) => status(f, "sent")) },
    { name: "Failed or dead", color: COLORS.purchase, values: shown.map((f) => status(f, "failed") + status(f, "dead")) },
  ]));
}

function trigger(value) {
  // orchestrate describes the trigger in words ("3d after event Order Delivered")
  if (!value || typeof value !== "object") return show(value);
  return JSON.stringify(value);
}

export function render(main, ctx) {
  return renderList(main, ctx, {
    title: "Flows",
    lede: "Triggered journeys: on events, stage changes, delays and dates, with their recent sends.",
    what: "Flows",
    noun: "flow",
    endpoints: ["/api/v1/flows"],
    listKeys: ["flows", "items"],
    emptyTitle: "No flows",
    emptyDetail: "Flows come from the flows folder the server was started with (--flows).",
    className: "flows-table",
    activity: { endpoint: "/api/v1/activity/flows", listKey: "flows", key: "id", itemKey: "id", chart },
    columns: [
      { label: "Flow", keys: ["name", "id"], format: (v, flow) => h("span", {}, show(v),
        flow.description ? h("span", { class: "cell-note" }, flow.description) : null) },
      { label: "Trigger", keys: ["trigger"], format: trigger },
      { label: "Steps", keys: ["steps"], format: (v) => (Array.isArray(v)
        ? h("ol", { class: "cell-list" }, v.map((step) => h("li", {}, show(step))))
        : show(v)) },
      { label: "On", keys: ["enabled"], format: (v) => (v === false ? h("span", { class: "badge badge-bad" }, "Off") : h("span", { class: "badge badge-ok" }, "On")) },
      { label: "Active runs", keys: ["active", "running", "in_progress"], format: fmtInt, numeric: true },
      { label: "Sent", keys: ["sent"], format: fmtInt, numeric: true },
      { label: "Scheduled", keys: ["scheduled"], format: fmtInt, numeric: true },
      { label: "Failed", keys: ["failed"], format: fmtInt, numeric: true },
      { label: (d) => `Runs started (${d} d)`, keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.started) },
      { label: "Runs ended", keys: ["activity"], format: (a) => countsList(a?.ended, { limit: 4 }) },
      { label: "Messages per step", keys: ["activity"], format: perStep },
      { label: "Dead letters", keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.dead_letters) },
    ],
  });
}
