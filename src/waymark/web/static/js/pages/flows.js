// Flows: what Waymark sends on its own (triggers, waits, sends), and how each has been doing.

import { fmtInt, h, show } from "../dom.js";
import { renderList } from "./readview.js";

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
    ],
  });
}
