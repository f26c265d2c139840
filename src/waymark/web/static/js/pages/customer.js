// Customer 360: what a call-centre agent needs on the phone. Who this is (identities and where
// each was seen, traits, consent), where they stand per product, what they did and what we sent
// them, the accounts they belong to (company, school, household), what to offer now and why,
// and how the profile was assembled (merge log).

import { accountsView } from "../accounts.js";
import { get } from "../api.js";
import { models } from "../models.js";
import { productNames } from "../products.js";
import { shortTitle } from "../shapes.js";
import { channelIcon, channelLabel } from "../icons.js";
import {
  empty, fillFrom, fmtInt, fmtTime, h, humanize, mount, notOk, section, show, table,
} from "../dom.js";
import {
  displayName, normActions, normEvents, normJourneys, normMerges, normMessages, normProfile,
} from "../profile.js";

const P = "/api/v1/profiles/{id}";
const PAGE = 25;

export async function render(main, ctx) {
  const id = ctx.params.id;
  const params = { id };
  const current = { isCurrent: ctx.isCurrent };
  const head = h("div", { class: "customer-head" }, h("h1", {}, "Customer"));
  mount(main, head, h("p", { class: "loading", role: "status" }, "Loading the customer…"));

  const result = await get(P, { params });
  if (!ctx.isCurrent()) return undefined;
  if (result.state !== "ok") {
    mount(main,
      h("p", {}, h("a", { href: "#/customers" }, "← Back to search")),
      h("h1", {}, "Customer"),
      notOk(result, "Customer profile", `GET ${P}`));
    return undefined;
  }
  const profile = normProfile(result.data);

  const nba = section("Next best action", { className: "nba", id: "next-best-action" });
  const identities = section("Identities", { id: "identities" });
  const traits = section("Traits and consent", { id: "traits" });
  const journeys = section("Journeys", { id: "journeys" });
  const accounts = section("Accounts", { id: "accounts" });
  const timeline = section("Timeline", { id: "timeline" });
  const merges = section("Merge log", { id: "merges" });

  mount(main,
    h("p", {}, h("a", { href: "#/customers" }, "← Back to search")),
    h("div", { class: "customer-head" },
      h("div", {},
        h("h1", {}, displayName(profile)),
        h("p", { class: "ids" },
          `Profile ${profile.id}`,
          profile.id !== id ? ` (you opened ${id}, merged into this one)` : "",
          profile.merged_ids.length ? ` · absorbed ${profile.merged_ids.join(", ")}` : "",
          " · first seen ", fmtTime(profile.first_seen),
          " · last seen ", fmtTime(profile.last_seen),
          profile.event_count !== undefined ? ` · ${fmtInt(profile.event_count)} events` : "")),
      profile.channels.length
        ? h("div", { class: "channels" }, h("span", { class: "channels-label" }, "Seen on"),
          profile.channels.map((c) => channelIcon(c)))
        : null),
    nba.el,
    h("div", { class: "grid-2 grid-wide-left" }, identities.el, traits.el),
    journeys.el,
    accounts.el,
    timeline.el,
    merges.el);

  mount(identities.body, identitiesView(profile));
  mount(traits.body, traitsView(profile));
  await Promise.all([
    fillFrom(nba.body, () => actionView(params), current),
    fillFrom(journeys.body, () => journeysView(params), current),
    fillFrom(accounts.body, () => accountsView(params), current),
    fillFrom(timeline.body, () => timelineView(params, ctx), current),
    fillFrom(merges.body, () => mergesView(params), current),
  ]);
  return undefined;
}

function identitiesView(profile) {
  if (!profile.identities.length) return empty("No identifiers", "This profile has no identifiers yet.");
  const seenKnown = profile.identities.some((i) => i.seen.length);
  return h("div", { class: "table-wrap" }, table("Identities of this customer", [
    { label: "Type", value: (i) => humanize(i.type) },
    { label: "Value", value: (i) => h("code", { class: "identifier" }, i.value) },
    seenKnown ? { label: "Seen on", value: (i) => (i.seen.length ? i.seen.map((c) => channelLabel(c)).join(", ") : "–") } : null,
    { label: "First seen", value: (i) => fmtTime(i.first_seen) },
    { label: "Last seen", value: (i) => fmtTime(i.last_seen) },
  ].filter(Boolean), profile.identities, { className: "identities-table" }));
}

/** Earlier values of a trait that differ from the current one, newest first. */
function previous(trait) {
  return trait.history.filter((p) => show(p.value) !== show(trait.value)).slice(0, 3);
}

function traitsView(profile) {
  const entries = Object.entries(profile.traits);
  const consent = Object.entries(profile.consent);
  return [
    entries.length
      ? h("dl", { class: "kv traits" }, entries.flatMap(([name, t]) => [
        h("dt", {}, name),
        h("dd", {}, show(t.value),
          previous(t).length
            ? h("span", { class: "cell-note" }, "before: ", previous(t).map((p, i) => [i ? ", " : "", show(p.value)]))
            : null),
      ]))
      : empty("No traits", "Traits come from identify calls and order details."),
    h("h3", { class: "consent-title" }, "Consent"),
    consent.length
      ? h("ul", { class: "filters consent", "aria-label": "Consent per channel" }, consent.map(([channel, given]) =>
        h("li", { class: `badge ${given ? "badge-ok" : "badge-bad"}` },
          `${channelLabel(channel)}: ${given ? "yes" : "no"}`)))
      : h("p", { class: "hint" }, "No consent recorded: channels that need consent are not used."),
  ];
}

async function actionView(params) {
  const endpoint = `${P}/next-best-action`;
  const result = await get(endpoint, { params });
  if (result.state !== "ok") return notOk(result, "Next best action", `GET ${endpoint}`);
  const actions = normActions(result.data);
  const holdout = Boolean(result.data?.holdout);
  if (!actions.length) return empty("Nothing to offer right now", "Every eligible experience is capped, suppressed or not consented.");
  return [
    holdout ? h("p", { class: "hint" }, "This customer is in the holdout group: they get the default experience.") : null,
    h("ol", { class: "actions" }, actions.map((a, i) => h("li", { class: "action-item", "data-experience": a.id },
      h("p", { class: i === 0 ? "action" : "action-more" }, a.title,
        a.kind ? [" ", h("span", { class: "badge badge-info" }, humanize(a.kind))] : null),
      a.body ? h("p", { class: "action-body" }, a.body) : null,
      a.links.length ? h("p", { class: "action-links" }, a.links.map((l, j) => [j ? " · " : "",
        h("a", { href: l.href, target: "_blank", rel: "noopener noreferrer" }, `${humanize(l.key)}: ${l.href}`)])) : null,
      a.reason ? h("p", { class: "reason" }, h("strong", {}, "Why: "), a.reason) : null))),
  ];
}

async function journeysView(params) {
  const endpoint = `${P}/journeys`;
  const [result, known, name] = await Promise.all([
    get(endpoint, { params }),
    models().catch(() => []),
    productNames().catch(() => (id) => id),
  ]);
  if (result.state !== "ok") return notOk(result, "Journeys", `GET ${endpoint}`);
  const byName = new Map(known.map((m) => [m.name, m]));
  const journeys = normJourneys(result.data).map((j) => {
    const m = byName.get(j.model);
    return m ? { ...j, modelTitle: m.title, stages: j.stages.length ? j.stages : m.stages.map((s) => s.name),
      stageInfo: new Map(m.stages.map((s) => [s.name, s])) } : { ...j, stageInfo: new Map() };
  });
  if (!journeys.length) return empty("Not on a journey yet", "A stage is set once an event shows where the customer stands.");
  return h("div", { class: "journeys" }, journeys.map((j) => {
    const statusClass = j.status === "active" ? "badge-ok" : j.status === "stalled" ? "badge-warn" : "badge-bad";
    const reachedUpTo = j.stages.indexOf(j.furthest ?? j.stage);
    return h("article", { class: "journey", "data-product": j.product, "data-model": j.model },
      h("h3", {}, h("span", {}, name(j.product)),
        j.status ? h("span", { class: `badge ${statusClass}` }, humanize(j.status)) : null),
      h("p", { class: "hint" }, j.modelTitle ?? humanize(j.model)),
      h("p", { class: "journey-stage" }, h("strong", {}, stageName(j, j.stage)),
        j.level ? ` (${humanize(j.level)})` : "",
        " since ", fmtTime(j.since),
        j.furthest && j.furthest !== j.stage ? ` · furthest: ${stageName(j, j.furthest)}` : ""),
      j.stageInfo.get(j.stage)?.question
        ? h("p", { class: "question" }, h("span", { class: "sr-only" }, "The customer asks: "), `“${j.stageInfo.get(j.stage).question}”`)
        : null,
      j.stages.length
        ? h("ol", { class: "stage-track", "aria-label": `Stages of ${humanize(j.model)}` }, j.stages.map((s, i) =>
          h("li", {
            class: s === j.stage ? "current" : i <= reachedUpTo ? "reached" : "",
            title: stageName(j, s),
            "aria-current": s === j.stage ? "step" : null,
          }, h("span", { class: "sr-only" }, stageName(j, s)))))
        : null,
      j.history.length
        ? h("details", {}, h("summary", {}, `History (${j.history.length} move${j.history.length === 1 ? "" : "s"})`),
          h("ol", { class: "history" }, [...j.history].reverse().map((t) => h("li", {},
            t.from ? `${stageName(j, t.from)} → ${stageName(j, t.to)}` : `Entered at ${stageName(j, t.to)}`, " · ", fmtTime(t.at)))))
        : null);
  }));
}

/** A stage's short title from its model ("Evaluation"), or its name made readable. */
function stageName(journey, stage) {
  const info = journey.stageInfo.get(stage);
  return info ? shortTitle(info) : humanize(stage);
}

async function timelineView(params, ctx) {
  const eventsEndpoint = `${P}/events`;
  const messagesEndpoint = `${P}/messages`;
  const [events, messages] = await Promise.all([
    get(eventsEndpoint, { params, query: { limit: PAGE } }),
    get(messagesEndpoint, { params }),
  ]);
  const notes = [];
  let items = [];
  if (events.state === "ok") items = items.concat(normEvents(events.data));
  else notes.push(notOk(events, "Events", `GET ${eventsEndpoint}`));
  if (messages.state === "ok") items = items.concat(normMessages(messages.data));
  else notes.push(notOk(messages, "Messages", `GET ${messagesEndpoint}`));

  const list = h("ol", { class: "timeline", "aria-label": "Events and messages, newest first" });
  const channels = new Set(items.map((i) => i.channel));
  const shown = { event: true, message: true };
  const hiddenChannels = new Set();
  const draw = () => {
    const sorted = items
      .filter((i) => shown[i.kind] && !hiddenChannels.has(i.channel))
      .sort((a, b) => String(b.at ?? "").localeCompare(String(a.at ?? "")));
    mount(list, sorted.length
      ? sorted.map((i) => h("li", { class: `kind-${i.kind}`, "data-kind": i.kind, "data-channel": i.channel },
        channelIcon(i.channel),
        h("div", {},
          h("div", { class: "what" }, i.label, i.status ? [" ", h("span", { class: "badge" }, humanize(i.status))] : null),
          i.detail ? h("div", { class: "detail" }, i.detail) : null),
        fmtTime(i.at)))
      : h("li", {}, h("span", {}), h("p", { class: "hint" }, "Nothing to show with these filters.")));
  };
  const checkbox = (label, onChange) => {
    const input = h("input", { type: "checkbox", checked: true });
    input.addEventListener("change", () => onChange(input.checked));
    return h("label", {}, input, label);
  };
  const filters = h("fieldset", { class: "filters" },
    h("legend", { class: "sr-only" }, "Show"),
    checkbox("Events", (on) => { shown.event = on; draw(); }),
    checkbox("Messages", (on) => { shown.message = on; draw(); }),
    [...channels].sort().map((c) => checkbox(channelLabel(c), (on) => {
      if (on) hiddenChannels.delete(c);
      else hiddenChannels.add(c);
      draw();
    })));
  draw();

  const more = h("button", { type: "button", class: "button-quiet" }, "Load older events");
  // the timeline answer says where the next page starts (null on the last page)
  let nextBefore = events.state === "ok" ? events.data?.next_before ?? null : null;
  more.hidden = !nextBefore;
  more.addEventListener("click", async () => {
    more.disabled = true;
    const older = await get(eventsEndpoint, { params, query: { limit: PAGE, before: nextBefore } });
    more.disabled = false;
    if (!ctx.isCurrent() || older.state !== "ok") return;
    items = items.concat(normEvents(older.data));
    nextBefore = older.data?.next_before ?? null;
    more.hidden = !nextBefore;
    draw();
  });
  if (!items.length && !notes.length) return empty("No events yet", "Events appear here as soon as the customer is seen.");
  return [...notes, items.length ? filters : null, list, h("p", {}, more)];
}

async function mergesView(params) {
  const endpoint = `${P}/merges`;
  const result = await get(endpoint, { params });
  if (result.state !== "ok") return notOk(result, "Merge log", `GET ${endpoint}`);
  const merges = normMerges(result.data);
  if (!merges.length) return empty("No merges", "This profile was built from one set of identifiers; nothing was merged or refused.");
  const what = (m) => (m.kind === "refused"
    ? `kept ${m.profile ?? "no profile"}${m.other ? `, did not merge ${m.other}` : ""}`
    : `${m.other} merged into ${m.profile}`);
  return h("div", { class: "table-wrap" }, table("How this profile was assembled", [
    { label: "When", value: (m) => fmtTime(m.at) },
    { label: "Decision", value: (m) => h("span", { class: `badge ${m.kind === "refused" ? "badge-bad" : "badge-ok"}` }, m.kind === "refused" ? "Refused" : "Merged") },
    { label: "Profiles", value: what },
    { label: "Identifier", value: (m) => m.identifier || "–" },
    { label: "Why", value: (m) => m.reason || "–" },
    { label: "Event", value: (m) => (m.message_id ? h("code", {}, m.message_id) : "–") },
  ], merges, { className: "merges-table" }));
}
