// The accounts a customer belongs to (GET /api/v1/profiles/{id}/accounts), for the customer
// 360: each account's stage per product, the customer's role in it, the buying group's missing
// roles, and the account itself (members, roles, stages) on demand.

import { get } from "./api.js";
import { empty, fmtTime, h, humanize, notOk, table } from "./dom.js";

const ENDPOINT = "/api/v1/profiles/{id}/accounts";

/** The accounts view for one profile (``params.id``). */
export async function accountsView(params) {
  const result = await get(ENDPOINT, { params });
  if (result.state !== "ok") return notOk(result, "Accounts", `GET ${ENDPOINT}`);
  const profileId = result.data?.profile_id ?? params.id;
  const accounts = Array.isArray(result.data?.accounts) ? result.data.accounts : [];
  if (!accounts.length) {
    return empty("No account", "A group call (company, school or household) attaches the customer to an account.");
  }
  return h("div", { class: "accounts" }, accounts.map((a) => accountCard(a, profileId)));
}

function accountCard(account, profileId) {
  const me = (account.members ?? []).find((m) => m.profile_id === profileId);
  const missing = new Map((account.buying_groups ?? []).map((g) => [`${g.model}/${g.product}`, g.missing ?? []]));
  return h("article", { class: "account", "data-account": account.id },
    h("h3", {}, h("span", {}, account.name || account.id),
      account.kind ? h("span", { class: "badge badge-info" }, humanize(account.kind)) : null),
    h("p", { class: "hint" },
      `Account ${account.id} · ${(account.members ?? []).length} member${(account.members ?? []).length === 1 ? "" : "s"}`,
      " · this customer's role: ", h("strong", { class: "account-role" }, me?.role ? humanize(me.role) : "none")),
    (account.journeys ?? []).length
      ? h("div", { class: "table-wrap" }, table("The account's stage per product", [
        { label: "Product", value: (j) => j.product },
        { label: "Model", value: (j) => humanize(j.model) },
        { label: "Account stage", value: (j) => h("strong", {}, humanize(j.stage)) },
        { label: "Since", value: (j) => fmtTime(j.entered_at) },
        { label: "Rule", value: (j) => humanize(j.rule) },
        {
          label: "Missing roles",
          value: (j) => {
            const gap = missing.get(`${j.model}/${j.product}`) ?? [];
            return gap.length
              ? h("span", { class: "badge badge-warn missing-roles" }, gap.map(humanize).join(", "))
              : "–";
          },
        },
      ], account.journeys, { className: "account-journeys" }))
      : h("p", { class: "hint" }, "The account is not on a journey yet."),
    h("details", { class: "account-detail" },
      h("summary", {}, "Show the account"),
      traitsList(account.traits ?? {}),
      h("div", { class: "table-wrap" }, table("Members", [
        { label: "Profile", value: (m) => h("a", { href: `#/customers/${encodeURIComponent(m.profile_id)}` }, m.profile_id) },
        { label: "Role", value: (m) => (m.role ? humanize(m.role) : "–") },
        { label: "Joined", value: (m) => fmtTime(m.joined_at) },
        { label: "Stages", value: (m) => (m.stages ?? []).map((s) => `${s.product}: ${humanize(s.stage)}`).join(", ") || "–" },
      ], account.members ?? [], { className: "account-members" })),
      (account.buying_groups ?? []).map((g) => h("div", { class: "table-wrap" }, table(
        `Buying group · ${humanize(g.model)} · ${g.product} (account at ${humanize(g.stage)})`, [
          { label: "Stage", value: (s) => humanize(s.stage) },
          { label: "Members", value: (s) => String((s.members ?? []).length) },
          { label: "Roles there", value: (s) => (s.roles ?? []).map(humanize).join(", ") || "–" },
          { label: "Needs", value: (s) => (s.needed ?? []).map(humanize).join(", ") || "–" },
          { label: "Missing", value: (s) => (s.missing ?? []).map(humanize).join(", ") || "–" },
        ], g.stages ?? [], { className: "buying-group" })))));
}

function traitsList(traits) {
  const entries = Object.entries(traits);
  if (!entries.length) return null;
  return h("dl", { class: "kv account-traits" }, entries.flatMap(([k, v]) => [
    h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)),
  ]));
}
