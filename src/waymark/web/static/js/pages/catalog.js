// Catalog: the experiences the next-best-experience engine chooses from, where each is eligible,
// and how it has been doing lately.

import { fmtInt, fmtPct, humanize } from "../dom.js";
import { renderList } from "./readview.js";

const join = (value) => (Array.isArray(value) ? value.map(humanize).join(", ") : humanize(value));

export function render(main, ctx) {
  return renderList(main, ctx, {
    title: "Catalog",
    lede: "Content, offers, messages, ads and scripts, with the stages and channels where each is eligible.",
    what: "Experiences",
    noun: "experience",
    endpoints: ["/api/v1/catalog", "/api/v1/experiences", "/api/v1/catalog/experiences"],
    listKeys: ["experiences", "items", "catalog"],
    emptyTitle: "The catalog is empty",
    emptyDetail: "Experiences come from the catalog YAML the server was started with.",
    className: "catalog-table",
    columns: [
      { label: "Experience", keys: ["id"] },
      { label: "Kind", keys: ["kind"], format: humanize },
      { label: "Channels", keys: ["channels"], format: join },
      { label: "Products", keys: ["products"], format: (v) => (Array.isArray(v) && v.length ? v.join(", ") : "all") },
      { label: "Stages", keys: ["stages"], format: (v) => (Array.isArray(v) ? v.map((s) => humanize(s.stage ?? s)).join(", ") : v && typeof v === "object" ? Object.entries(v).map(([m, s]) => `${m}: ${[].concat(s).join(", ")}`).join("; ") : "–") },
      { label: "Shown (30 d)", keys: ["shown", "views", "impressions"], format: fmtInt, numeric: true },
      { label: "Clicked", keys: ["clicked", "clicks"], format: fmtInt, numeric: true },
      { label: "Click rate", keys: ["click_rate", "ctr"], format: fmtPct, numeric: true },
      { label: "Converted", keys: ["converted", "conversions"], format: fmtInt, numeric: true },
    ],
  });
}
