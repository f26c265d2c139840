// The server's journey models (GET /api/v1/journeys): names, titles and stages in order, asked
// once per page load and shared by the pages that need them.

import { get } from "./api.js";

let cached = null;

/** [{ name, title, stages: [{ name, title, phase, question }] }], or [] when not offered. */
export function models() {
  if (!cached) {
    cached = get("/api/v1/journeys").then((result) => {
      if (result.state !== "ok") {
        cached = null;
        return [];
      }
      return (result.data?.models ?? []).map((m) => ({
        name: String(m.name),
        title: String(m.title || m.name),
        stages: (m.stages ?? []).map((s) => ({ name: s.name, title: s.title, phase: s.phase, question: s.question })),
      }));
    }, (error) => {
      cached = null;
      throw error;
    });
  }
  return cached;
}
