// Catalog: the experiences the next-best-experience engine chooses from, where each is eligible,
// and why it exists.

import { h, humanize, show } from "../dom.js";
import { channelLabel } from "../icons.js";
import { renderList } from "./readview.js";

export const join = (value, name = humanize) => (Array.isArray(value) && value.length ? value.map(name).join(", ") : "–");

/** {"hourglass": ["evaluation", "justification"]} as "Evaluation, Justification (hourglass)". */
export function stagesText(value) {
  if (Array.isArray(value)) return join(value);
  if (!value || typeof value !== "object" || !Object.keys(value).length) return "any stage";
  return Object.entries(value).map(([model, stages]) => `${join([].concat(stages))} (${model})`).join("; ");
}

/** Product ids with the catalog's names for them. */
export function productsText(value, data) {
  const names = data?.products ?? {};
  return Array.isArray(value) && value.length ? value.map((p) => names[p] ?? p).join(", ") : "all products";
}

export function render(main, ctx) {
  return renderList(main, ctx, {
    title: "Catalog",
    lede: "Content, offers, messages, ads and scripts, with the stages and channels where each is eligible.",
    what: "Experiences",
    noun: "experience",
    endpoints: ["/api/v1/decide/catalog", "/api/v1/catalog"],
    listKeys: ["experiences", "items"],
    emptyTitle: "The catalog is empty",
    emptyDetail: "Experiences come from the catalog YAML the server was started with, or PUT /api/v1/decide/catalog.",
    className: "catalog-table",
    columns: [
      { label: "Experience", keys: ["name", "id"], format: (v, item) => h("span", {}, show(v),
        item.name && item.id ? h("code", { class: "cell-note" }, item.id) : null) },
      { label: "Kind", keys: ["kind"], format: humanize },
      { label: "Purpose", keys: ["purpose"], format: humanize },
      { label: "Channels", keys: ["channels"], format: (v) => join(v, channelLabel) },
      { label: "Products", keys: ["products"], format: productsText },
      { label: "Stages", keys: ["stages"], format: stagesText },
      { label: "Why", keys: ["why"], format: (v) => (v ? h("span", { class: "cell-why" }, v) : "–") },
    ],
  });
}
