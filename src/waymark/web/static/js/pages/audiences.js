// Audiences: named groups for ad platforms (by stage, product and traits). Their size is counted
// on request, from one page of the export: computing an audience can take the server a while.

import { get } from "../api.js";
import { fmtInt, h, humanize, mount, show } from "../dom.js";
import { productsText, stagesText } from "./catalog.js";
import { renderList } from "./readview.js";

const PAGE = 10000;

function traitsText(value) {
  if (!Array.isArray(value) || !value.length) return "–";
  return value.map((t) => `${t.trait} ${t.op ?? "eq"} ${show(t.value)}`).join("; ");
}

/** Count one audience's members now: one page of the export (computing it can take a while). */
function sizeButton(item) {
  const cell = h("span", { class: "audience-size" });
  const button = h("button", { type: "button", class: "button-quiet", "aria-label": `Count the members of ${item.name}` }, "Count");
  button.addEventListener("click", async () => {
    button.disabled = true;
    mount(cell, "counting…");
    try {
      const result = await get("/api/v1/audiences/{name}", { params: { name: item.name }, query: { limit: PAGE } });
      if (result.state !== "ok") {
        mount(cell, result.state === "missing" ? "not available" : result.error.message);
        return;
      }
      const members = result.data.members ?? [];
      mount(cell, result.data.next_cursor ? `${fmtInt(PAGE)}+` : fmtInt(members.length));
      button.remove();
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "audience-count" }, cell, button);
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
    columns: [
      { label: "Audience", keys: ["name", "id"] },
      { label: "Purpose", keys: ["purpose"], format: humanize },
      { label: "Products", keys: ["products"], format: productsText },
      { label: "Stages", keys: ["stages"], format: stagesText },
      { label: "Purchased", keys: ["purchased"], format: (v) => (v === true ? "yes" : v === false ? "no" : "either") },
      { label: "Traits", keys: ["traits"], format: traitsText },
      { label: "Members now", keys: ["__size"], format: (_, item) => sizeButton(item), numeric: true },
    ],
  });
}
