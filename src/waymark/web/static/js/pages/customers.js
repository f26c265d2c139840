// Customer search: by any identifier (email, phone, user id, anonymous id, custom ids) or trait.

import { get } from "../api.js";
import { channelIcon } from "../icons.js";
import { empty, fillFrom, fmtInt, fmtTime, h, mount, notOk } from "../dom.js";
import { displayName, normProfiles } from "../profile.js";

const SEARCH = "/api/v1/profiles";

export async function render(main, ctx) {
  const query = (ctx.query.q ?? "").trim();
  const input = h("input", {
    id: "customer-search",
    type: "search",
    name: "q",
    value: query,
    autocomplete: "off",
    placeholder: "Email, phone, user id, anonymous id, name…",
    "aria-describedby": "search-help",
  });
  const form = h("form", { class: "search", role: "search" },
    h("label", { for: "customer-search", class: "sr-only" }, "Find a customer"),
    input,
    h("button", { type: "submit", class: "button" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    ctx.navigate(value ? `#/customers?q=${encodeURIComponent(value)}` : "#/customers");
  });
  const results = h("div", { class: "card", id: "search-results", "aria-live": "polite" });
  mount(main,
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Customers"),
        h("p", { id: "search-help" }, "Find a customer by any identifier or trait to see their whole story."))),
    form,
    results);

  if (!query) {
    mount(results, empty("Search for a customer",
      "Try an email address, a phone number, a user id, an anonymous id or a name."));
    input.focus();
    return undefined;
  }
  await fillFrom(results, async () => {
    const result = await get(SEARCH, { query: { query, limit: 25 } });
    if (result.state !== "ok") return notOk(result, "Customer search", `GET ${SEARCH}`);
    const profiles = normProfiles(result.data);
    if (!profiles.length) return empty(`No customer matches “${query}”`, "Identifiers match from their start; traits match anywhere.");
    return [
      h("h2", { class: "sr-only" }, "Results"),
      h("p", { class: "hint" }, `${profiles.length} customer${profiles.length === 1 ? "" : "s"} found`),
      h("ul", { class: "results" }, profiles.map((p) => h("li", {},
        h("a", { href: `#/customers/${encodeURIComponent(p.id)}` },
          h("span", {},
            h("span", { class: "who" }, displayName(p)),
            h("span", { class: "meta" }, " · ", p.identities.slice(0, 3).map((i) => `${i.type}: ${i.value}`).join(", "),
              p.matched ? ` · matched ${p.matched}` : "")),
          h("span", { class: "meta" },
            p.channels.slice(0, 6).map((c) => channelIcon(c)),
            " ", p.event_count !== undefined ? `${fmtInt(p.event_count)} events · ` : "",
            "last seen ", fmtTime(p.last_seen)))))),
    ];
  }, { isCurrent: ctx.isCurrent });
  return undefined;
}
