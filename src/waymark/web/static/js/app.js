// The dashboard shell: hash routes, the sign-in gate, the live event rate in the top bar.
// Pages are ES modules loaded on demand; each exports render(main, ctx) and may return a
// cleanup function (timers, charts) that runs when the user leaves the page.

import { Unauthorized, health, token } from "./api.js";
import { announce, empty, fmtRate, h, mount } from "./dom.js";

const PAGES = {
  login: () => import("./pages/login.js"),
  overview: () => import("./pages/overview.js"),
  customers: () => import("./pages/customers.js"),
  customer: () => import("./pages/customer.js"),
  catalog: () => import("./pages/catalog.js"),
  flows: () => import("./pages/flows.js"),
  audiences: () => import("./pages/audiences.js"),
  privacy: () => import("./pages/privacy.js"),
};

const HEALTH_EVERY_MS = 2000;
const HEALTH_HISTORY = 90;

/** Parse "#/customers/abc?q=ray" into { page, params, query }. */
export function parseRoute(hash) {
  const raw = (hash || "").replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(search));
  if (parts[0] === "customers" && parts.length > 1) {
    return { page: "customer", params: { id: parts.slice(1).join("/") }, query };
  }
  const page = PAGES[parts[0]] ? parts[0] : "overview";
  return { page, params: {}, query };
}

class Live {
  // Polls /healthz while signed in and the tab is visible; keeps a short history for charts.
  constructor(textEl) {
    this.textEl = textEl;
    this.history = [];
    this.timer = null;
  }

  start() {
    if (this.timer) return;
    const tick = async () => {
      if (document.visibilityState === "visible") {
        const sample = await health();
        if (sample) this.record(sample);
      }
      this.timer = setTimeout(tick, HEALTH_EVERY_MS);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  record(sample) {
    this.history.push({
      at: Date.now(), rate: sample.events_per_second, total: sample.accepted_total, behind: sample.reports_behind ?? 0,
    });
    if (this.history.length > HEALTH_HISTORY) this.history.shift();
    this.textEl.textContent = `${fmtRate(sample.events_per_second)} events/s`;
    window.dispatchEvent(new CustomEvent("waymark:health", { detail: sample }));
  }
}

class App {
  constructor() {
    this.main = document.getElementById("main");
    this.nav = document.getElementById("nav");
    this.session = document.getElementById("session");
    this.live = new Live(document.getElementById("live-rate-text"));
    this.cleanup = null;
    this.renderId = 0;
    this.navigated = false;
    document.getElementById("logout").addEventListener("click", () => this.signOut());
    window.addEventListener("hashchange", () => this.route());
  }

  navigate(hash) {
    if (window.location.hash === hash) this.route();
    else window.location.hash = hash;
  }

  signOut(reason = "") {
    token.clear();
    this.live.stop();
    this.navigate(reason ? `#/login?reason=${encodeURIComponent(reason)}` : "#/login");
  }

  setSignedIn(signedIn) {
    this.nav.hidden = !signedIn;
    this.session.hidden = !signedIn;
    if (signedIn) this.live.start();
    else this.live.stop();
  }

  async route() {
    const renderId = ++this.renderId;
    let { page, params, query } = parseRoute(window.location.hash);
    if (page !== "login" && !token.get()) {
      const back = window.location.hash && window.location.hash !== "#/login" ? window.location.hash : "";
      page = "login";
      query = back ? { next: back } : {};
    }
    this.setSignedIn(page !== "login");
    for (const link of this.nav.querySelectorAll("a[data-page]")) {
      const current = link.dataset.page === page || (page === "customer" && link.dataset.page === "customers");
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (this.cleanup) {
      try {
        this.cleanup();
      } catch {
        // a page that fails to clean up must not keep the next one from rendering
      }
      this.cleanup = null;
    }
    mount(this.main);
    try {
      const module = await PAGES[page]();
      if (renderId !== this.renderId) return;
      const ctx = {
        params,
        query,
        navigate: (hash) => this.navigate(hash),
        live: this.live,
        isCurrent: () => renderId === this.renderId,
        onSignedIn: () => this.setSignedIn(true),
      };
      const cleanup = await module.render(this.main, ctx);
      if (renderId !== this.renderId) {
        if (typeof cleanup === "function") cleanup();
        return;
      }
      this.cleanup = typeof cleanup === "function" ? cleanup : null;
      const heading = this.main.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        document.title = `${heading.textContent} · Waymark`;
        announce(heading.textContent);
        // keyboard and screen-reader users land on the new page's heading, not the old link
        if (this.navigated && !this.main.contains(document.activeElement)) heading.focus();
      }
      this.navigated = true;
    } catch (exc) {
      if (exc instanceof Unauthorized) {
        this.signOut(exc.message);
        return;
      }
      mount(this.main, h("h1", {}, "Something went wrong"),
        empty("This page could not be shown", String(exc?.message ?? exc)));
    }
  }
}

// Unauthorized thrown from a page's background work (refresh timers) also signs out.
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof Unauthorized) {
    event.preventDefault();
    token.clear();
    window.location.hash = "#/login?reason=" + encodeURIComponent(event.reason.message);
  }
});

new App().route();
