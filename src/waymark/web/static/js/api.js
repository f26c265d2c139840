// The admin API client: the token from sessionStorage as a bearer header (never in a URL),
// and endpoint discovery from /openapi.json, so a page asks only for what this server offers and
// shows an empty state for the rest instead of a failed request.
//
// Every API fetch uses credentials: "omit": the token travels in a header, and without
// credentials the browser never opens its own sign-in dialog on a 401 that carries
// "WWW-Authenticate: Basic" (it would hang the request until someone answers it).

const TOKEN_KEY = "waymark.adminToken";

export const token = {
  get() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** Raised for a 401: the caller sends the user back to the login page. */
export class Unauthorized extends Error {
  name = "Unauthorized";
}

// a promise of the declared endpoints, or of ANY when /openapi.json cannot be read (then every
// endpoint is tried, so a broken API document degrades to failed requests, not to an empty page)
const ANY = Symbol("any endpoint");
let endpoints = null;

function templateKey(method, path) {
  // "/api/v1/profiles/{profile_id}/events" and "/api/v1/profiles/{id}/events" are one endpoint
  return `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, "{}")}`;
}

/** The set of "METHOD /path/{}" this server declares in its OpenAPI document (or ANY). */
export function discover({ refresh = false } = {}) {
  // one request however many sections ask at once
  if (!endpoints || refresh) endpoints = readDocument();
  return endpoints;
}

async function readDocument() {
  try {
    const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const doc = await response.json();
    const found = new Set();
    for (const [path, ops] of Object.entries(doc.paths ?? {})) {
      for (const method of Object.keys(ops)) found.add(templateKey(method, path));
    }
    return found;
  } catch {
    return ANY;
  }
}

/** Whether the server offers ``method`` at the path template (e.g. "/api/v1/profiles/{id}"). */
export async function offers(method, template) {
  const known = await discover();
  return known === ANY || known.has(templateKey(method, template));
}

function fill(template, params) {
  return template.replace(/\{([^}]*)\}/g, (_, name) => encodeURIComponent(params[name] ?? ""));
}

function withQuery(path, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Call an admin endpoint. Resolves to one of
 *   { state: "ok", data }            2xx with a JSON body
 *   { state: "missing" }             this server does not offer the endpoint (yet)
 *   { state: "not_found", error }    404 from an endpoint that exists (unknown id)
 *   { state: "error", error }        any other failure, with the server's {code, message}
 * and throws ``Unauthorized`` on 401.
 */
export async function call(method, template, { params = {}, query = {}, body, auth = true } = {}) {
  if (!(await offers(method, template))) return { state: "missing" };
  const headers = { Accept: "application/json" };
  if (auth) {
    const value = token.get();
    if (!value) throw new Unauthorized("not signed in");
    headers.Authorization = `Bearer ${value}`;
  }
  const init = { method, headers, credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(withQuery(fill(template, params), query), init);
  } catch (exc) {
    return { state: "error", error: { code: "network", message: `server unreachable (${exc})` } };
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401) throw new Unauthorized(data?.message ?? "sign in again");
  if (response.ok) return { state: "ok", data };
  const error = {
    code: data?.code ?? `http_${response.status}`,
    message: data?.message ?? `HTTP ${response.status}`,
    field: data?.field,
  };
  return response.status === 404 ? { state: "not_found", error } : { state: "error", error };
}

/** GET shorthand. */
export function get(template, options = {}) {
  return call("GET", template, options);
}

/** Check a token against an admin endpoint without storing it. */
export async function checkToken(candidate) {
  const probes = ["/api/v1/events", "/api/v1/profiles", "/api/v1/analytics/hourglass"];
  const known = await discover({ refresh: true });
  const probe = known === ANY ? probes[0] : probes.find((p) => known.has(templateKey("GET", p)));
  if (!probe) return { ok: false, message: "this server offers no admin API to sign in to" };
  const response = await fetch(withQuery(probe, { limit: 1 }), {
    headers: { Authorization: `Bearer ${candidate}`, Accept: "application/json" },
    credentials: "omit",
  });
  if (response.ok) return { ok: true };
  const data = await response.json().catch(() => null);
  return { ok: false, message: data?.message ?? `HTTP ${response.status}` };
}

/** Public: the live ingest figures from /healthz (no token needed). */
export async function health() {
  try {
    const response = await fetch("/healthz", { headers: { Accept: "application/json" } });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}
