// A read-only list page (catalog, flows, audiences): the first endpoint this server offers,
// its items as a table with the columns the page names, and an empty state otherwise.

import { get, offers } from "../api.js";
import { empty, fillFrom, h, mount, notOk, pick, section, show, table } from "../dom.js";

/**
 * ``spec``: { title, lede, endpoints: ["/api/v1/..."], listKeys: ["experiences"], what, noun,
 *   columns: [{ label, keys: ["id"], format?: (value, item, data) => text|Node, numeric? }] }
 */
export async function renderList(main, ctx, spec) {
  const list = section(spec.what, { id: "list" });
  mount(main,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, spec.title), h("p", {}, spec.lede))),
    list.el);
  await fillFrom(list.body, async () => {
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
    const columns = spec.columns.map((c) => ({
      label: c.label,
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
    return [
      h("p", { class: "hint" }, `${items.length} ${spec.noun}${items.length === 1 ? "" : "s"} · from GET ${endpoint}`),
      h("div", { class: "table-wrap" }, tableEl),
    ];
  }, { isCurrent: ctx.isCurrent });
}
