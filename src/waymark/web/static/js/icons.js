// Channel icons as inline SVG (24x24, stroked with the current colour): no icon font, no CDN.
// Each icon carries its channel name as text for screen readers and as a tooltip.

const SVG = "http://www.w3.org/2000/svg";

// Path data per channel; shapes kept simple so they read at 16 px.
const PATHS = {
  web: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M3 12h18", "M12 3c3 3 3 15 0 18c-3-3-3-15 0-18z"],
  mobile: ["M8 2h8a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1z", "M11 18h2"],
  email: ["M3 6h18v12H3z", "M3 6l9 7l9-7"],
  sms: ["M4 5h16v11H9l-5 4z", "M8 10h8"],
  call_centre: ["M5 4h4l2 5l-3 2a11 11 0 0 0 5 5l2-3l5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 3 6a2 2 0 0 1 2-2z"],
  ads: ["M3 10v4h4l8 5V5L7 10z", "M19 9a4 4 0 0 1 0 6"],
  social: ["M9 7a3 3 0 1 0 0.01 0z", "M3 20c0-4 3-6 6-6s6 2 6 6", "M17 8a2.5 2.5 0 1 0 0.01 0z", "M16 14c3 0 5 2 5 5"],
  shop: ["M3 4h2l2 11h11l2-8H6", "M9 19a1 1 0 1 0 0.01 0z", "M17 19a1 1 0 1 0 0.01 0z"],
  shipping: ["M3 7l9-4l9 4v10l-9 4l-9-4z", "M3 7l9 4l9-4", "M12 11v10"],
  support: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z", "M6 6l3 3M18 6l-3 3M6 18l3-3M18 18l-3-3"],
  server: ["M4 4h16v6H4z", "M4 14h16v6H4z", "M8 7h.01M8 17h.01"],
  partner: ["M3 12l4-4l5 3l5-3l4 4", "M7 8l5 9l5-9"],
  webhook: ["M9 15a4 4 0 1 1 3-7", "M12 8l3 6", "M15 14a4 4 0 1 1-3 6", "M9 15h6"],
  inbox: ["M3 13l3-8h12l3 8v6H3z", "M3 13h5l1 2h6l1-2h5"],
  other: ["M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z"],
};

const LABELS = { call_centre: "Call centre", sms: "SMS" };

export function channelLabel(channel) {
  const key = String(channel ?? "other");
  if (LABELS[key]) return LABELS[key];
  const text = key.replace(/[_-]+/g, " ");
  return text[0].toUpperCase() + text.slice(1);
}

/** An inline SVG icon for ``channel`` with its name for assistive technology. */
export function channelIcon(channel) {
  const key = PATHS[channel] ? channel : "other";
  const label = channelLabel(channel);
  const wrap = document.createElement("span");
  wrap.className = `channel-icon channel-${key}`;
  wrap.title = label;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of PATHS[key]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  const text = document.createElement("span");
  text.className = "sr-only";
  text.textContent = label;
  wrap.append(svg, text);
  return wrap;
}
