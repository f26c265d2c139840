// A read-only list page (catalog, flows, audiences): the first endpoint this server offers,
// its items as a table with the columns the page names, and an empty state otherwise. With an
// ``activity`` spec, each item also gets its recent performance (``item.activity``) over a
// window the reader picks (7 or 30 days), from one more endpoint.

import { get, offers } from "../api.js";
import { empty, fillFrom, fmtTime, h, mount, notOk, pick, section, show, table, uid } from "../dom.js";

export const WINDOWS = [7, 30];

/** The activity rows by item id, or a note saying why there are none. */
async function activityOf(spec, days) {
  const { endpoint, listKey, key } = spec.activity;
  if (!(await offers("GET", endpoint))) {
    return { rows: null, note: notOk({ state: "missing" }, "Recent performance", `GET ${endpoint}`) };
  }
  const result = await get(endpoint, { query: { days } });
  if (result.state !== "ok") return { rows: null, note: notOk(result, "Recent performance", `GET ${endpoint}`) };
  const rows = new Map((result.data[listKey] ?? []).map((row) => [row[key], row]));
  return { rows, data: result.data, note: null };
}

function windowPicker(onChange) {
  const id = uid("days");
  const select = h("select", { id }, WINDOWS.map((d) => h("option", { value: String(d) }, `last ${d} days`)));
  select.addEventListener("change", () => onChange(Number(select.value)));
  return h("div", { class: "inline-form window-picker" }, h("label", { for: id }, "Performance over"), select);
}

/**
 * ``spec``: { title, lede, endpoints: ["/api/v1/..."], listKeys: ["experiences"], what, noun,
 *   columns: [{ label, keys: ["id"], format?: (value, item, data) => text|Node, numeric? }],
 *   activity?: { endpoint, listKey, key, itemKey, stamp?: time field of the answer,
 *     chart?: (el, items, data) => chart handle } }
 */
export async function renderList(main, ctx, spec) {
  const list = section(spec.what, { id: "list" });
  let days = WINDOWS[0];
  let chartHandle = null;
  const fill = () => fillFrom(list.body, async () => {
    let endpoint = null;
    for (const candidate of spec.endpoints) {
      if (await offers("GET", candidate)) {
        endpoint = candidate;
        break;
      }
    }
    if (!endpoint) return notOk({ state: "missing" }, spec.what, `GET ${spec.endpoints[0]}`);
    const result = await get(endpoint, { query: spec.query ?? {} });
    if (result.state !== "ok") return notOk(result, spec.what, `GET ${endpoint}`);
    const data = result.data;
    const items = Array.isArray(data) ? data : (pick(data, ...spec.listKeys) ?? []);
    if (!items.length) return empty(spec.emptyTitle, spec.emptyDetail);
    let activity = { rows: null, note: null };
    if (spec.activity) {
      activity = await activityOf(spec, days);
      for (const item of items) item.activity = activity.rows?.get(item[spec.activity.itemKey]) ?? null;
    }
    const columns = spec.columns.map((c) => ({
      label: typeof c.label === "function" ? c.label(days) : c.label,
      numeric: c.numeric,
      value: (item) => {
        const value = pick(item, ...c.keys);
        return c.format ? c.format(value, item, data) : show(value);
      },
    }));
    const tableEl = table(spec.what, columns, items, {
      className: spec.className ?? "",
      rowAttrs: (item) => ({ "data-id": pick(item, "id", "name") }),
    });
    const chart = activity.rows && spec.activity.chart ? h("div", { class: "activity-chart" }) : null;
    const nodes = [
      h("p", { class: "hint" }, `${items.length} ${spec.noun}${items.length === 1 ? "" : "s"} · from GET ${endpoint}`
        + (activity.rows ? ` and GET ${spec.activity.endpoint}?days=${days}` : "")),
      activity.note,
      // when the figures were taken, if the server says (audience sizes are shared for a while)
      activity.rows && spec.activity.stamp && activity.data[spec.activity.stamp]
        ? h("p", { class: "hint" }, "Counted ", fmtTime(activity.data[spec.activity.stamp]))
        : null,
      chart,
      h("div", { class: "table-wrap" }, tableEl),
    ];
    chartHandle?.dispose();
    chartHandle = chart ? spec.activity.chart(chart, items, activity.data) : null;
    return nodes;
  }, { isCurrent: ctx.isCurrent });
  const picker = spec.activity ? windowPicker((chosen) => { days = chosen; fill(); }) : null;
  mount(main,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, spec.title), h("p", {}, spec.lede)), picker),
    list.el);
  await fill();
  return () => chartHandle?.dispose();
}

/** A cell of small "name n" lines (exclusion codes, message statuses), largest first. */
export function countsList(counts, { limit = 3, label = (k) => k } = {}) {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return "–";
  const shown = entries.slice(0, limit);
  const rest = entries.slice(limit).reduce((s, [, n]) => s + n, 0);
  return h("ul", { class: "cell-list counts" },
    shown.map(([k, n]) => h("li", {}, `${label(k)} ${n.toLocaleString("en")}`)),
    rest ? h("li", { class: "cell-note" }, `others ${rest.toLocaleString("en")}`) : null);
}
