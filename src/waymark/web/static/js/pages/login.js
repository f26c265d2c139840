// Sign in with the admin token. The token is checked against an admin endpoint, then kept in
// sessionStorage (gone when the tab closes) and sent only as an Authorization header.

import { checkToken, token } from "../api.js";
import { h, mount } from "../dom.js";

export async function render(main, ctx) {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    spellcheck: "false",
    "aria-describedby": "token-help",
  });
  const message = h("p", { class: "form-error", id: "login-error", role: "alert" });
  const button = h("button", { type: "submit", class: "button" }, "Sign in");
  const form = h("form", { class: "login-form", novalidate: true },
    // password managers expect a user name beside a password field; there is one admin
    h("input", { type: "text", name: "username", autocomplete: "username", value: "admin", hidden: true, readonly: true }),
    h("label", { for: "token" }, "Admin token"),
    input,
    h("p", { class: "hint", id: "token-help" },
      "The token printed by ", h("code", {}, "waymark serve"), " (", h("code", {}, "WAYMARK_ADMIN_TOKEN"),
      "). It stays in this browser tab only."),
    message,
    button);

  if (ctx.query.reason) message.textContent = `Please sign in again: ${ctx.query.reason}`;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      message.textContent = "Enter the admin token.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    button.disabled = true;
    message.textContent = "";
    try {
      const result = await checkToken(value);
      if (!result.ok) {
        message.textContent = `Sign-in failed: ${result.message}`;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      token.set(value);
      ctx.onSignedIn();
      const next = ctx.query.next && ctx.query.next.startsWith("#/") ? ctx.query.next : "#/overview";
      ctx.navigate(next === "#/login" ? "#/overview" : next);
    } finally {
      button.disabled = false;
    }
  });

  mount(main,
    h("div", { class: "login" },
      h("h1", {}, "Sign in to Waymark"),
      h("p", { class: "lede" }, "Customer journeys, the customer's whole story, and what to fix next."),
      form));
  input.focus();
}
