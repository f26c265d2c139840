// Catalog: the experiences the next-best-experience engine chooses from, where each is eligible,
// and why it exists.

import { COLORS, draw, groupedBarsOption } from "../charts.js";
import { fmtInt, h, humanize, show } from "../dom.js";
import { channelLabel } from "../icons.js";
import { countsList, renderList } from "./readview.js";

const total = (a, key) => (a ? a.treated[key] + a.holdout[key] : null);

/** Offered and clicked, treated and holdout apart ("12 · holdout 1"). */
function outcome(key) {
  return (_, item) => {
    const a = item.activity;
    if (!a) return "–";
    return h("span", {}, fmtInt(a.treated[key]),
      a.holdout[key] ? h("span", { class: "cell-note" }, `holdout ${fmtInt(a.holdout[key])}`) : null);
  };
}

function chart(el, items) {
  const shown = items.filter((i) => i.activity && i.activity.considered > 0);
  const names = shown.map((i) => i.name || i.id);
  el.style.height = `${Math.max(120, 40 + shown.length * 34)}px`;
  return draw(el, groupedBarsOption(names, [
    { name: "Offered", color: COLORS.pre, values: shown.map((i) => total(i.activity, "chosen")) },
    { name: "Clicked", color: COLORS.post, values: shown.map((i) => total(i.activity, "clicked")) },
  ]));
}

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
    activity: { endpoint: "/api/v1/activity/catalog", listKey: "experiences", key: "experience_id", itemKey: "id", chart },
    columns: [
      { label: "Experience", keys: ["name", "id"], format: (v, item) => h("span", {}, show(v),
        item.name && item.id ? h("code", { class: "cell-note" }, item.id) : null) },
      { label: "Kind", keys: ["kind"], format: humanize },
      { label: "Purpose", keys: ["purpose"], format: humanize },
      { label: "Channels", keys: ["channels"], format: (v) => join(v, channelLabel) },
      { label: (d) => `Decisions (${d} d)`, keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.considered) },
      { label: "Eligible", keys: ["activity"], numeric: true, format: (a) => fmtInt(a?.eligible) },
      { label: "Excluded by", keys: ["activity"], format: (a) => countsList(a?.excluded) },
      { label: "Offered", keys: ["activity"], numeric: true, format: outcome("chosen") },
      { label: "Clicked", keys: ["activity"], numeric: true, format: outcome("clicked") },
      { label: "Converted", keys: ["activity"], numeric: true, format: outcome("converted") },
      { label: "Products", keys: ["products"], format: productsText },
      { label: "Stages", keys: ["stages"], format: stagesText },
      { label: "Why", keys: ["why"], format: (v) => (v ? h("span", { class: "cell-why" }, v) : "–") },
    ],
  });
}
