// Flows: what Waymark sends on its own (triggers, waits, sends), and how each has been doing.

import { fmtInt, humanize, show } from "../dom.js";
import { renderList } from "./readview.js";

function trigger(value) {
  if (!value || typeof value !== "object") return show(value);
  const kind = value.kind ?? value.type ?? Object.keys(value)[0];
  const detail = value.event ?? value.stage ?? value.after ?? value.date ?? value.audience ?? value[kind];
  return `${humanize(kind)}${detail ? `: ${typeof detail === "object" ? JSON.stringify(detail) : detail}` : ""}`;
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
      { label: "Flow", keys: ["id", "name"] },
      { label: "Trigger", keys: ["trigger"], format: trigger },
      { label: "Steps", keys: ["steps"], format: (v) => (Array.isArray(v) ? fmtInt(v.length) : show(v)), numeric: true },
      { label: "Active", keys: ["active", "running", "in_progress"], format: fmtInt, numeric: true },
      { label: "Sent", keys: ["sent"], format: fmtInt, numeric: true },
      { label: "Scheduled", keys: ["scheduled"], format: fmtInt, numeric: true },
      { label: "Failed", keys: ["failed"], format: fmtInt, numeric: true },
    ],
  });
}
