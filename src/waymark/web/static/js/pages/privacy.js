// Privacy requests: the regulation-style request log (erasures, exports) with the status of each,
// its due time, and overdue requests marked in words as well as colour. Filters are links, so a
// filtered view can be bookmarked.

import { get, offers } from "../api.js";
import { empty, fillFrom, fmtInt, fmtTime, h, humanize, mount, notOk, section, show, table } from "../dom.js";

const ENDPOINT = "/api/v1/privacy/requests";
const FILTERS = [
  { label: "All", query: {} },
  { label: "Overdue", query: { overdue: "true" } },
  { label: "Pending", query: { status: "pending" } },
  { label: "Failed", query: { status: "failed" } },
  { label: "Completed", query: { status: "completed" } },
];

function hashFor(query) {
  const text = new URLSearchParams(query).toString();
  return text ? `#/privacy?${text}` : "#/privacy";
}

function sameQuery(a, b) {
  return hashFor(a) === hashFor(b);
}

function statusCell(item) {
  const kind = item.status === "completed" ? "badge-ok" : item.status === "failed" ? "badge-bad" : "badge";
  const parts = [h("span", { class: `badge ${kind}` }, humanize(item.status))];
  if (item.overdue) parts.push(" ", h("span", { class: "badge badge-bad overdue-flag" }, "Overdue"));
  return h("span", {}, parts);
}

function countsText(counts) {
  const entries = Object.entries(counts ?? {});
  if (!entries.length) return "–";
  return entries.map(([table, n]) => `${table}: ${fmtInt(n)}`).join(", ");
}

export async function render(main, ctx) {
  const current = {};
  for (const key of ["status", "overdue"]) if (ctx.query?.[key]) current[key] = ctx.query[key];
  const list = section("Requests", { id: "requests" });
  const filters = h("nav", { class: "filters", "aria-label": "Filter requests" },
    h("ul", {}, FILTERS.map((f) => h("li", {},
      h("a", { href: hashFor(f.query), "aria-current": sameQuery(f.query, current) ? "page" : null }, f.label)))));
  mount(main,
    h("div", { class: "page-head" }, h("div", {},
      h("h1", {}, "Privacy requests"),
      h("p", {}, "Erasure and export requests from customers, with the time each must be done by. "
        + "The log holds no personal data: the subject is kept only as hashes."))),
    filters,
    list.el);
  await fillFrom(list.body, async () => {
    if (!(await offers("GET", ENDPOINT))) return notOk({ state: "missing" }, "Privacy requests", `GET ${ENDPOINT}`);
    const result = await get(ENDPOINT, { query: { ...current, limit: 500 } });
    if (result.state !== "ok") return notOk(result, "Privacy requests", `GET ${ENDPOINT}`);
    const items = result.data.requests ?? [];
    if (!items.length) return empty("No requests", "Customers ask from their preference page; admins through the API.");
    const columns = [
      { label: "Request", value: (r) => h("code", {}, r.id) },
      { label: "Kind", value: (r) => humanize(r.kind) },
      { label: "Status", value: statusCell },
      { label: "Received", value: (r) => fmtTime(r.received_at) },
      { label: "Due", value: (r) => fmtTime(r.due_at) },
      { label: "Completed", value: (r) => fmtTime(r.completed_at) },
      { label: "Removed", value: (r) => countsText(r.counts) },
      { label: "Error", value: (r) => show(r.error) },
    ];
    const overdue = result.data.overdue ?? 0;
    return [
      h("p", { class: "hint", role: "status" },
        `${items.length} request${items.length === 1 ? "" : "s"}, ${fmtInt(overdue)} overdue · from GET ${ENDPOINT}`),
      h("div", { class: "table-wrap" }, table("Privacy requests", columns, items, {
        className: "privacy-requests",
        rowAttrs: (r) => ({ "data-id": r.id, class: r.overdue ? "overdue" : null }),
      })),
    ];
  }, { isCurrent: ctx.isCurrent });
}
