// Audiences: named groups for ad platforms (by stage, product and traits), with their size now,
// who joined and left recently and the last export. The server counts every audience in one
// pass, off its event loop, and shares a recent count, so the sizes come with the page.

import { fmtInt, fmtTime, humanize, show } from "../dom.js";
import { productsText, stagesText } from "./catalog.js";
import { renderList } from "./readview.js";

function traitsText(value) {
  if (!Array.isArray(value) || !value.length) return "–";
  return value.map((t) => `${t.trait} ${t.op ?? "eq"} ${show(t.value)}`).join("; ");
}

export function render(main, ctx) {
  return renderList(main, ctx, {
    title: "Audiences",
    lede: "Named audiences for ad platforms, exported as SHA-256 of normalised email and phone.",
    what: "Audiences",
    noun: "audience",
    endpoints: ["/api/v1/decide/catalog", "/api/v1/audiences"],
    listKeys: ["audiences", "items"],
    emptyTitle: "No audiences",
    emptyDetail: "Audiences are defined in the catalog by stage, product and trait filters.",
    className: "audiences-table",
    activity: { endpoint: "/api/v1/activity/audiences", listKey: "audiences", key: "name", itemKey: "name", stamp: "counted_at" },
    columns: [
      { label: "Audience", keys: ["name", "id"] },
      { label: "Purpose", keys: ["purpose"], format: humanize },
      { label: "Products", keys: ["products"], format: productsText },
      { label: "Stages", keys: ["stages"], format: stagesText },
      { label: "Purchased", keys: ["purchased"], format: (v) => (v === true ? "yes" : v === false ? "no" : "either") },
      { label: "Traits", keys: ["traits"], format: traitsText },
      { label: "Members now", keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.size) },
      { label: (d) => `Joined (${d} d)`, keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.added) },
      { label: (d) => `Left (${d} d)`, keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.removed) },
      { label: "Last export", keys: ["activity"], format: (a) => (a ? (a.last_export ? fmtTime(a.last_export) : "never") : "–") },
    ],
  });
}
