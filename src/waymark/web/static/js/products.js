// Product names for ids ("genius-kit" -> "Genius Kit") from the decide catalog, asked once per
// page load; ids show as they are when the catalog is not there.

import { get } from "./api.js";

let cached = null;

/** A function from product id to its display name. */
export function productNames() {
  if (!cached) {
    cached = get("/api/v1/decide/catalog").then(
      (result) => {
        const names = result.state === "ok" ? result.data?.products ?? {} : {};
        if (result.state !== "ok") cached = null;
        return (id) => (id === "*" ? "Brand" : names[id] ?? id);
      },
      (error) => {
        cached = null;
        throw error;
      },
    );
  }
  return cached;
}
