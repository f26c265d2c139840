// Audiences: named groups for ad platforms (by stage, product and traits) and their size now.

import { get } from "../api.js";
import { fmtInt, h, humanize, mount, show } from "../dom.js";
import { productsText, stagesText } from "./catalog.js";
import { renderList } from "./readview.js";

const PAGE = 10000;

function traitsText(value) {
  if (!Array.isArray(value) || !value.length) return "–";
  return value.map((t) => `${t.trait} ${t.op ?? "eq"} ${show(t.value)}`).join("; ");
}

async function fillSizes(items, tableEl) {
  // one page of members per audience: the size, or "10,000+" beyond one page
  for (const item of items) {
    const cell = tableEl.querySelector(`tr[data-id="${CSS.escape(item.name)}"] .audience-size`);
    if (!cell) continue;
    const result = await get("/api/v1/audiences/{name}", { params: { name: item.name }, query: { limit: PAGE } });
    if (result.state !== "ok") {
      mount(cell, result.state === "missing" ? "–" : "?");
      continue;
    }
    const members = result.data.members ?? [];
    mount(cell, result.data.next_cursor ? `${fmtInt(PAGE)}+` : fmtInt(members.length));
  }
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
    after: fillSizes,
    columns: [
      { label: "Audience", keys: ["name", "id"] },
      { label: "Purpose", keys: ["purpose"], format: humanize },
      { label: "Products", keys: ["products"], format: productsText },
      { label: "Stages", keys: ["stages"], format: stagesText },
      { label: "Purchased", keys: ["purchased"], format: (v) => (v === true ? "yes" : v === false ? "no" : "either") },
      { label: "Traits", keys: ["traits"], format: traitsText },
      { label: "Members now", keys: ["__size"], format: () => h("span", { class: "audience-size" }, "…"), numeric: true },
    ],
  });
}
