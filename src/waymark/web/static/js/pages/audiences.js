// Audiences: named groups for ad platforms (by stage, product and traits) and their size.

import { fmtInt, humanize, show } from "../dom.js";
import { renderList } from "./readview.js";

function filters(value) {
  if (!value || typeof value !== "object") return show(value);
  return Object.entries(value).map(([k, v]) => `${humanize(k)}: ${Array.isArray(v) ? v.join(", ") : show(v)}`).join("; ");
}

export function render(main, ctx) {
  return renderList(main, ctx, {
    title: "Audiences",
    lede: "Named audiences exported to ad platforms as SHA-256 of normalised email and phone.",
    what: "Audiences",
    noun: "audience",
    endpoints: ["/api/v1/audiences"],
    listKeys: ["audiences", "items"],
    emptyTitle: "No audiences",
    emptyDetail: "Audiences are defined in the catalog configuration by stage, product and trait filters.",
    className: "audiences-table",
    columns: [
      { label: "Audience", keys: ["name", "id"] },
      { label: "Definition", keys: ["filters", "definition", "where"], format: filters },
      { label: "Members", keys: ["members", "size", "count"], format: (v) => (Array.isArray(v) ? fmtInt(v.length) : fmtInt(v)), numeric: true },
      { label: "Last sync", keys: ["last_sync", "synced_at"], format: show },
    ],
  });
}
