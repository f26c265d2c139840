// Charts with the vendored Apache ECharts (loaded on the first chart). Each chart has a data
// table beside it in the page, so the numbers are readable without the picture.

import { fmtInt, fmtPct, humanize } from "./dom.js";
import { shortTitle } from "./shapes.js";

export const COLORS = {
  pre: "#2563eb",
  purchase: "#b45309",
  post: "#047857",
  line: "#1e3a8a",
  muted: "#4b5563",
  text: "#111827",
};
const TEXT = { color: COLORS.text, fontFamily: "system-ui, sans-serif" };

const LIBRARY = "/static/vendor/echarts/echarts.min.js";
let library = null;

/** Load ECharts once, on the first chart: pages without charts never pay for its 1 MB. */
export function loadLibrary() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!library) {
    library = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = LIBRARY;
      script.onload = () => resolve(window.echarts);
      script.onerror = () => {
        library = null;
        reject(new Error("the chart library did not load"));
      };
      document.head.append(script);
    });
  }
  return library;
}

/**
 * Draw ``option`` into ``el``; returns a handle whose dispose() frees the chart. The chart is
 * created once the element is in the page with a size (pages build detached DOM first) and the
 * library has loaded.
 */
export function draw(el, option) {
  let chart = null;
  let disposed = false;
  let starting = false;
  const pending = [{ aria: { enabled: true }, textStyle: TEXT, animationDuration: 300, ...option }];
  const start = async () => {
    starting = true;
    try {
      const echarts = await loadLibrary();
      if (disposed) return;
      chart = echarts.init(el, null, { renderer: "canvas" });
      for (const next of pending.splice(0)) chart.setOption(next);
    } catch {
      el.textContent = "Charts are unavailable (the chart library did not load); the table has the numbers.";
    }
  };
  const observer = new ResizeObserver(() => {
    if (!el.isConnected || !el.clientWidth || !el.clientHeight) return;
    if (chart) chart.resize();
    else if (!starting) start();
  });
  observer.observe(el);
  return {
    update(next) {
      if (chart) chart.setOption(next);
      else pending.push(next);
    },
    dispose() {
      disposed = true;
      observer.disconnect();
      if (chart) chart.dispose();
      chart = null;
    },
  };
}

/** The colour of a stage's phase: before purchase, the purchase stage, after purchase. */
export function phaseColor(stage) {
  if (stage.is_purchase || stage.name === "purchase") return COLORS.purchase;
  return stage.phase === "post_purchase" ? COLORS.post : COLORS.pre;
}

/**
 * The hourglass: one centred bar per stage, its width the customers now at that stage, in model
 * order, joined to the next bar by a faint band, so the narrowing to purchase and the widening
 * after it show as a shape. Each bar stands for its own stage only (unlike a funnel chart, whose
 * trapezoids mix a stage with the next). ``stages``: [{ name, title, phase, count }].
 */
export function hourglassOption(stages) {
  const max = Math.max(1, ...stages.map((s) => s.count));
  const n = stages.length;
  const layout = (api) => {
    const width = api.getWidth();
    const height = api.getHeight();
    const shapeWidth = width * 0.6;
    return { band: (height - 16) / Math.max(1, n), top: 8, centre: 4 + shapeWidth / 2, shapeWidth, labelX: shapeWidth + 16 };
  };
  const barWidth = (count, l) => (count > 0 ? Math.max(3, (l.shapeWidth * count) / max) : 0);
  return {
    tooltip: {
      trigger: "item",
      formatter: (p) => `${shortTitle(stages[p.dataIndex])}: ${fmtInt(p.value[1])} customers`,
    },
    series: [
      {
        type: "custom",
        name: "Customers per stage",
        coordinateSystem: "none",
        data: stages.map((s, i) => [i, s.count]),
        renderItem: (params, api) => {
          const i = params.dataIndex;
          const stage = stages[i];
          const l = layout(api);
          const barHeight = l.band * 0.64;
          const y = l.top + i * l.band + (l.band - barHeight) / 2;
          const w = barWidth(stage.count, l);
          const color = phaseColor(stage);
          const children = [
            {
              type: "rect",
              shape: { x: l.centre - Math.max(w, 1) / 2, y, width: Math.max(w, 1), height: barHeight, r: 2 },
              style: { fill: w ? color : "#d1d5db" },
            },
            {
              type: "text",
              style: {
                x: l.labelX,
                y: y + barHeight / 2,
                text: `${shortTitle(stage)}  ${fmtInt(stage.count)}`,
                fill: COLORS.text,
                font: "13px system-ui, sans-serif",
                verticalAlign: "middle",
              },
            },
          ];
          if (i + 1 < n) {
            const next = barWidth(stages[i + 1].count, l);
            const yNext = y + l.band;
            children.push({
              type: "polygon",
              shape: {
                points: [
                  [l.centre - w / 2, y + barHeight],
                  [l.centre + w / 2, y + barHeight],
                  [l.centre + next / 2, yNext],
                  [l.centre - next / 2, yNext],
                ],
              },
              style: { fill: color, opacity: 0.16 },
              silent: true,
            });
          }
          return { type: "group", children };
        },
      },
    ],
  };
}

// forward moves in the node colour; skips and moves back stand out
const MOVE_COLORS = { skip: "#b45309", back: "#b91c1c" };

/**
 * Sankey of stage moves. Moves go backwards and skip, which a Sankey cannot draw as cycles,
 * so stages appear twice: where customers came from (left) and where they went (right).
 * ``links``: [{ from, to, count }] with ``from`` null/"" for customers entering.
 */
export function sankeyOption(links, stageOrder) {
  const order = new Map(stageOrder.map((s, i) => [s, i]));
  const left = (s) => `from ${s || "(entry)"}`;
  const right = (s) => `to ${s}`;
  const names = new Set();
  const data = [];
  for (const link of links) {
    if (!link.count) continue;
    const source = left(link.from);
    const target = right(link.to);
    names.add(source);
    names.add(target);
    const color = MOVE_COLORS[link.kind];
    data.push({ source, target, value: link.count, lineStyle: color ? { color, opacity: 0.45 } : undefined });
  }
  const rank = (name) => {
    const stage = name.replace(/^(from|to) /, "");
    return stage === "(entry)" ? -1 : order.get(stage) ?? 999;
  };
  const nodes = [...names]
    .sort((a, b) => rank(a) - rank(b))
    .map((name) => ({
      name,
      label: { formatter: humanize(name.replace(/^(from|to) /, "")) },
      depth: name.startsWith("from ") ? 0 : 1,
    }));
  return {
    tooltip: {
      trigger: "item",
      formatter: (p) =>
        p.dataType === "edge"
          ? `${humanize(p.data.source.slice(5))} → ${humanize(p.data.target.slice(3))}: ${fmtInt(p.data.value)}`
          : `${humanize(p.name.replace(/^(from|to) /, ""))}`,
    },
    series: [
      {
        type: "sankey",
        layoutIterations: 0,
        nodeAlign: "justify",
        left: 90,
        right: 110,
        top: 10,
        bottom: 10,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.35 },
        itemStyle: { color: COLORS.pre, borderColor: "#fff" },
        label: { color: COLORS.text },
        data: nodes,
        links: data,
      },
    ],
  };
}

export const RATE_WINDOW_MS = 3 * 60 * 1000;

/** Events per second over the last three minutes (the live rate). */
export function rateOption(points, now = Date.now()) {
  return {
    grid: { left: 44, right: 16, top: 12, bottom: 24 },
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v} events/s` },
    xAxis: {
      type: "time",
      min: now - RATE_WINDOW_MS,
      max: now,
      splitNumber: 3,
      axisLabel: { color: COLORS.muted, hideOverlap: true },
    },
    yAxis: { type: "value", minInterval: 1, axisLabel: { color: COLORS.muted } },
    series: [
      {
        type: "line",
        name: "Events per second",
        showSymbol: false,
        smooth: true,
        areaStyle: { opacity: 0.15 },
        lineStyle: { color: COLORS.line, width: 2 },
        itemStyle: { color: COLORS.line },
        data: points.map((p) => [p.at, p.rate]),
      },
    ],
  };
}

/** Customers reaching each funnel step, as horizontal bars with the share of the first step. */
export function funnelBarsOption(steps) {
  return {
    grid: { left: 160, right: 90, top: 10, bottom: 24 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", minInterval: 1, axisLabel: { color: COLORS.muted } },
    yAxis: {
      type: "category",
      inverse: true,
      data: steps.map((s, i) => `${i + 1}. ${s.name}`),
      axisLabel: { color: COLORS.text, width: 150, overflow: "truncate" },
    },
    series: [
      {
        type: "bar",
        name: "Customers",
        barMaxWidth: 36,
        data: steps.map((s) => ({ value: s.count, share: s.fromFirst })),
        itemStyle: { color: COLORS.pre, borderRadius: [0, 4, 4, 0] },
        label: {
          show: true,
          position: "right",
          color: COLORS.text,
          formatter: (p) => `${fmtInt(p.value)} (${fmtPct(p.data.share)})`,
        },
      },
    ],
  };
}

/** Retention after purchase: one line per purchase period, share still active by day. */
export function retentionOption(curves) {
  return {
    grid: { left: 44, right: 16, top: 24, bottom: 28 },
    legend: { top: 0, textStyle: { color: COLORS.text }, type: "scroll" },
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "–" : fmtPct(v)) },
    xAxis: { type: "value", name: "days", nameLocation: "end", axisLabel: { color: COLORS.muted } },
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { color: COLORS.muted, formatter: (v) => fmtPct(v) } },
    series: curves.map((c) => ({
      type: "line",
      name: c.label,
      showSymbol: false,
      connectNulls: false,
      data: c.days.map((d, i) => [d, c.retained[i]]),
    })),
  };
}

/** Cohorts: share of each entry cohort (rows) that reached each stage (columns). */
export function cohortOption(cohorts, stages) {
  const data = [];
  cohorts.forEach((cohort, y) => {
    stages.forEach((stage, x) => {
      const share = cohort.shares[stage];
      if (typeof share !== "number") return;
      const pct = Math.round(share * 1000) / 10;
      // white on the dark end of the scale, near-black on the light end (both above 4.5:1)
      data.push({ value: [x, y, pct], label: { color: pct >= 45 ? "#ffffff" : COLORS.text } });
    });
  });
  return {
    grid: { left: 110, right: 20, top: 10, bottom: 70 },
    tooltip: { formatter: (p) => `${cohorts[p.value[1]].label} → ${humanize(stages[p.value[0]])}: ${p.value[2]}%` },
    xAxis: { type: "category", data: stages.map(humanize), axisLabel: { rotate: 35, color: COLORS.text } },
    yAxis: { type: "category", data: cohorts.map((c) => c.label), axisLabel: { color: COLORS.text } },
    visualMap: { min: 0, max: 100, show: false, inRange: { color: ["#eff6ff", "#1e3a8a"] } },
    series: [
      {
        type: "heatmap",
        name: "Share reaching stage (%)",
        data,
        label: { show: true, formatter: (p) => `${p.value[2]}%` },
      },
    ],
  };
}

/**
 * Horizontal bars, one group per row name and one bar per series ({ name, color, values }):
 * the catalog's and the flows' recent figures side by side.
 */
export function groupedBarsOption(names, series) {
  return {
    grid: { left: 200, right: 40, top: 30, bottom: 24 },
    legend: { top: 0, textStyle: { color: COLORS.text } },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", minInterval: 1, axisLabel: { color: COLORS.muted } },
    yAxis: {
      type: "category",
      inverse: true,
      data: names,
      axisLabel: { color: COLORS.text, width: 190, overflow: "truncate" },
    },
    series: series.map((s) => ({
      type: "bar",
      name: s.name,
      barMaxWidth: 14,
      data: s.values,
      itemStyle: { color: s.color, borderRadius: [0, 3, 3, 0] },
    })),
  };
}
