// The profile and customer-360 answers turned into what the customer pages draw.

import { pick } from "./dom.js";

function list(value) {
  return Array.isArray(value) ? value : [];
}

function identitiesOf(raw) {
  const given = pick(raw, "identities", "identifiers");
  if (Array.isArray(given)) {
    return given.map((i) => ({
      type: String(pick(i, "type", "kind") ?? ""),
      value: String(pick(i, "value", "id") ?? ""),
      first_seen: pick(i, "first_seen", "first_seen_at"),
      last_seen: pick(i, "last_seen", "last_seen_at"),
      seen: list(pick(i, "channels", "seen_on", "sources")),
    }));
  }
  if (given && typeof given === "object") {
    // {"email": ["a@b"], ...}
    return Object.entries(given).flatMap(([type, values]) =>
      (Array.isArray(values) ? values : [values]).map((value) => ({ type, value: String(value), seen: [] })));
  }
  return [];
}

function traitsOf(raw) {
  // identity's Trait: { value, updated_at, history: [{ value, at }] }; plain values are kept
  const out = {};
  for (const [name, trait] of Object.entries(raw ?? {})) {
    const structured = trait && typeof trait === "object" && !Array.isArray(trait) && "value" in trait && "updated_at" in trait;
    out[name] = structured
      ? { value: trait.value, updated_at: trait.updated_at, history: list(trait.history) }
      : { value: trait, updated_at: undefined, history: [] };
  }
  return out;
}

/** One profile from the API (identity's Profile). */
export function normProfile(raw) {
  const profile = pick(raw, "profile") ?? raw;
  return {
    id: String(pick(profile, "id", "profile_id") ?? ""),
    identities: identitiesOf(profile),
    traits: traitsOf(pick(profile, "traits")),
    first_seen: pick(profile, "first_seen"),
    last_seen: pick(profile, "last_seen"),
    event_count: pick(profile, "event_count"),
    channels: list(pick(profile, "channels")),
    consent: pick(profile, "consent") ?? {},
    merged_ids: list(pick(profile, "merged_ids")),
  };
}

/** One search hit (identity's ProfileSummary) in the shape of a profile. */
function normSummary(raw) {
  if (Array.isArray(raw.identities)) return { ...normProfile(raw), matched: pick(raw, "matched") };
  const identities = [];
  if (raw.email) identities.push({ type: "email", value: String(raw.email), seen: [] });
  if (raw.user_id) identities.push({ type: "user_id", value: String(raw.user_id), seen: [] });
  return {
    id: String(pick(raw, "id", "profile_id") ?? ""),
    identities,
    traits: {},
    last_seen: pick(raw, "last_seen"),
    event_count: pick(raw, "event_count"),
    channels: list(pick(raw, "channels")),
    matched: pick(raw, "matched"),
  };
}

/** GET /api/v1/profiles?query= -> profiles. */
export function normProfiles(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "profiles", "results", "items"));
  return raw.map(normSummary);
}

/** The name a person would use for this customer. */
export function displayName(profile) {
  const t = Object.fromEntries(Object.entries(profile.traits ?? {}).map(([k, v]) => [k, v?.value]));
  const full = [t.first_name ?? t.firstName, t.last_name ?? t.lastName].filter(Boolean).join(" ");
  const name = t.name ?? (full || undefined);
  if (name) return String(name);
  const best = ["email", "user_id", "phone"].map((type) => profile.identities.find((i) => i.type === type)).find(Boolean);
  return best ? best.value : `Customer ${profile.id}`;
}

/** GET /api/v1/profiles/{id}/events -> [{ at, label, channel, detail, kind: "event" }]. */
export function normEvents(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "events", "items"));
  return raw.map((e) => {
    const type = pick(e, "type");
    const name = pick(e, "event", "name");
    const label = pick(e, "label") ?? (type === "track" ? name : [type, name].filter(Boolean).join(": "));
    const props = pick(e, "properties") ?? {};
    const detailKeys = ["product_id", "product", "name", "title", "url", "path", "content_id", "order_id", "tracking_number", "rating"];
    const detail = detailKeys.filter((k) => props[k] !== undefined).map((k) => `${k}: ${props[k]}`).join(" · ");
    return {
      kind: "event",
      at: pick(e, "timestamp", "at", "received_at"),
      label: String(label ?? type ?? "event"),
      channel: pick(e, "channel") ?? "other",
      detail,
      seq: pick(e, "seq"),
    };
  });
}

/** GET /api/v1/profiles/{id}/messages (orchestrate's MessageList) -> timeline items. */
export function normMessages(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "messages", "items"));
  return raw.map((m) => {
    const flow = pick(m, "flow_id", "flow");
    const step = pick(m, "step_id", "step");
    const status = pick(m, "status", "state");
    return {
      kind: "message",
      // sent messages at their send time; scheduled and retrying ones at when they are due
      at: pick(m, "sent_at", "due_at", "created_at", "at"),
      label: String(pick(m, "subject", "title") || [flow, step].filter(Boolean).join(" · ") || "Message"),
      channel: pick(m, "channel") ?? "other",
      detail: [
        flow ? `flow ${flow}${step ? `, step ${step}` : ""}` : null,
        pick(m, "target") ? `to ${pick(m, "target")}` : null,
        pick(m, "experience_id") ? `experience ${pick(m, "experience_id")}` : null,
        pick(m, "reason") || null,
      ].filter(Boolean).join(" · "),
      status: status ? String(status) : undefined,
    };
  });
}

/** GET /api/v1/profiles/{id}/journeys -> [{ model, product, stage, ... }]. */
export function normJourneys(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "journeys", "items"));
  return raw.map((j) => ({
    model: String(pick(j, "model") ?? ""),
    product: String(pick(j, "product") ?? ""),
    stage: pick(j, "stage"),
    phase: pick(j, "phase"),
    furthest: pick(j, "furthest"),
    since: pick(j, "since", "entered_at"),
    status: pick(j, "status"),
    level: pick(j, "level"),
    stages: list(pick(j, "stages")).map((s) => (typeof s === "string" ? s : pick(s, "name", "stage"))),
    history: list(pick(j, "history")).map((t) => ({
      from: pick(t, "from_stage", "from"),
      to: pick(t, "to_stage", "to"),
      at: pick(t, "at"),
    })),
  }));
}

/** GET /api/v1/profiles/{id}/next-best-action -> [{ id, kind, title, body, links, reason }]. */
export function normActions(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "actions", "experiences"));
  return raw.map((a) => {
    const content = pick(a, "content") ?? {};
    const links = Object.entries(content)
      .filter(([key, value]) => ["url", "video", "link"].includes(key) && /^https?:\/\//.test(String(value)))
      .map(([key, value]) => ({ key, href: String(value) }));
    return {
      id: pick(a, "id", "experience_id"),
      kind: pick(a, "kind"),
      title: String(pick(content, "title", "headline", "subject", "say") ?? pick(a, "id") ?? "Action"),
      body: pick(content, "script", "body", "text"),
      links,
      reason: pick(a, "reason"),
      holdout: Boolean(pick(data, "holdout")),
    };
  });
}

/** GET /api/v1/profiles/{id}/merges (identity's MergeRecord list) -> rows. */
export function normMerges(data) {
  const raw = Array.isArray(data) ? data : list(pick(data, "merges", "entries", "items"));
  return raw.map((m) => ({
    at: pick(m, "at"),
    kind: String(pick(m, "kind") ?? "merge"),
    profile: pick(m, "profile_id"),
    other: pick(m, "other_id"),
    identifier: [pick(m, "identifier_type"), pick(m, "identifier_value")].filter(Boolean).join(": "),
    reason: [pick(m, "reason"), pick(m, "detail")].filter(Boolean).join(" · "),
    message_id: pick(m, "message_id"),
  }));
}
