/* Small SVG charts, bars and lines, for every platform's pages (no library, no canvas:
 * an SVG prints sharp, scales with the page and can be read back by a test).
 *
 *   import {drawChart} from "/static/charts.js";
 *   drawChart(container, {                 // container: an element with a size (CSS height)
 *     labels: ["一月", "二月", "三月"],      // the categories: along x (down y if horizontal)
 *     series: [                            // one or more, each drawn as its `type`
 *       {name: "立案数", values: [3, 5, 2], colour: "#1d3557"},
 *       {name: "结案率 (%)", values: [60, null, 80], type: "points", axis: "right"},
 *     ],
 *     type: "bar",                         // the series' default: "bar" | "line" | "points"
 *     horizontal: false,                   // bars along x, the labels down the left side
 *     max: null, rightMax: null,           // fixed axis tops (else from the values)
 *     format: String, rightFormat: String, // a value as text: ticks and tooltips
 *     integers: false,                     // ticks at whole numbers only (counts)
 *     title: "每日趋势",                    // what a screen reader reads
 *     onClick: (index) => {},              // a category clicked (its band is the target)
 *   });
 *
 * Returns the <svg>; drawing again into the same container replaces it, and the chart is
 * drawn again when the container changes size. A null value leaves a gap. Each series is
 * a <g class="chart-series" data-name="…" data-values="[…]">, so a test (or a script)
 * reads the figures drawn without knowing the geometry. Colours default to a palette.
 */

const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1d3557", "#2a9d8f", "#e76f00", "#6c757d", "#c1121f", "#8e5ea2"];
const AXIS = "#9aa5b1";
const TEXT = "#52606d";
const FONT = 12;
const drawn = new WeakMap();  // container -> {spec, observer}

function drawChart(container, spec) {
  let state = drawn.get(container);
  if (!state) {
    state = {spec};
    drawn.set(container, state);
    if (window.ResizeObserver) {
      let width = container.clientWidth;
      state.observer = new ResizeObserver(() => {
        if (container.clientWidth !== width && container.isConnected) {
          width = container.clientWidth;
          render(container, drawn.get(container).spec);
        }
      });
      state.observer.observe(container);
    }
  }
  state.spec = spec;
  return render(container, spec);
}

function render(container, spec) {
  const width = container.clientWidth || 600;
  const height = container.clientHeight || 260;
  const series = spec.series.map((one, index) => ({
    type: spec.type || "bar", axis: "left", colour: PALETTE[index % PALETTE.length], ...one,
  }));
  const svg = node("svg", {viewBox: `0 0 ${width} ${height}`, width: "100%", height: "100%",
                           role: "img", class: "chart", "aria-label": spec.title || ""});
  const legend = series.length > 1 ? 22 : 4;
  const box = spec.horizontal
    ? {left: Math.min(width * 0.4, 16 + FONT * longest(spec.labels)), right: 24,
       top: legend, bottom: 24}
    : {left: 44, right: series.some((s) => s.axis === "right") ? 44 : 12, top: legend + 6,
       bottom: 28};
  box.width = Math.max(width - box.left - box.right, 10);
  box.height = Math.max(height - box.top - box.bottom, 10);
  if (series.length > 1) svg.append(drawLegend(series, box));
  if (spec.horizontal) drawHorizontal(svg, spec, series, box);
  else drawVertical(svg, spec, series, box);
  container.replaceChildren(svg);
  return svg;
}

// --- vertical: categories along x -------------------------------------------------------

function drawVertical(svg, spec, series, box) {
  const n = spec.labels.length;
  const band = box.width / Math.max(n, 1);
  const left = scale(series.filter((s) => s.axis !== "right"), spec.max, spec.integers);
  const right = scale(series.filter((s) => s.axis === "right"), spec.rightMax, false);
  const y = (axis, value) => box.top + box.height * (1 - value / axis.top);
  // Grid lines and the left axis's ticks; the right axis's ticks on the other side.
  for (const tick of left.ticks) {
    const at = y(left, tick);
    svg.append(node("line", {x1: box.left, x2: box.left + box.width, y1: at, y2: at,
                             stroke: tick ? "#e4e7eb" : AXIS}),
               text(box.left - 6, at + 4, (spec.format || String)(tick), "end"));
  }
  if (series.some((s) => s.axis === "right")) {
    for (const tick of right.ticks) {
      svg.append(text(box.left + box.width + 6, y(right, tick) + 4,
                      (spec.rightFormat || String)(tick), "start"));
    }
  }
  // Category labels, thinned so that they do not overlap.
  const every = Math.max(1, Math.ceil((FONT * longest(spec.labels) + 10) / band));
  spec.labels.forEach((label, index) => {
    if (index % every) return;
    svg.append(text(box.left + band * (index + 0.5), box.top + box.height + 16,
                    clip(label, Math.max(4, Math.floor(band * every / FONT))), "middle"));
  });
  const bars = series.filter((s) => s.type === "bar");
  const barWidth = Math.min(48, (band * 0.8) / Math.max(bars.length, 1));
  const offset = (band - barWidth * bars.length) / 2;
  for (const one of series) {
    const axis = one.axis === "right" ? right : left;
    const format = (one.axis === "right" ? spec.rightFormat : spec.format) || String;
    const group = seriesGroup(one);
    const points = [];
    one.values.forEach((value, index) => {
      if (value == null) {
        points.push(null);
        return;
      }
      const tip = `${spec.labels[index]} · ${one.name}: ${format(value)}`;
      const cy = y(axis, Math.min(value, axis.top));
      if (one.type === "bar") {
        const x = box.left + band * index + offset + barWidth * bars.indexOf(one);
        group.append(titled(node("rect", {x, y: cy, width: Math.max(barWidth - 1, 1),
                                          height: box.top + box.height - cy,
                                          fill: one.colour}), tip));
      } else {
        const cx = box.left + band * (index + 0.5);
        points.push([cx, cy]);
        if (one.type === "points" || n <= 60) {
          group.append(titled(node("circle", {cx, cy, r: one.type === "points" ? 4 : 2.5,
                                              fill: one.colour}), tip));
        }
      }
    });
    if (one.type === "line") group.prepend(...polylines(points, one.colour));
    svg.append(group);
  }
  if (spec.onClick) svg.append(...hitBands(spec, n, (i) => [box.left + band * i, box.top,
                                                           band, box.height]));
}

// --- horizontal: bars along x, a category per row ----------------------------------------

function drawHorizontal(svg, spec, series, box) {
  const n = spec.labels.length;
  const band = box.height / Math.max(n, 1);
  const axis = scale(series, spec.max, spec.integers);
  const x = (value) => box.left + box.width * (value / axis.top);
  for (const tick of axis.ticks) {
    svg.append(node("line", {x1: x(tick), x2: x(tick), y1: box.top, y2: box.top + box.height,
                             stroke: tick ? "#e4e7eb" : AXIS}),
               text(x(tick), box.top + box.height + 16, (spec.format || String)(tick), "middle"));
  }
  spec.labels.forEach((label, index) => {
    svg.append(text(box.left - 6, box.top + band * (index + 0.5) + 4, label, "end"));
  });
  const barHeight = Math.min(28, (band * 0.75) / series.length);
  series.forEach((one, s) => {
    const group = seriesGroup(one);
    one.values.forEach((value, index) => {
      if (value == null) return;
      const top = box.top + band * index + (band - barHeight * series.length) / 2;
      group.append(titled(node("rect", {
        x: box.left, y: top + barHeight * s, height: Math.max(barHeight - 1, 1),
        width: Math.max(x(Math.min(value, axis.top)) - box.left, 0),
        fill: (one.colours && one.colours[index]) || one.colour,
      }), `${spec.labels[index]} · ${one.name}: ${(spec.format || String)(value)}`));
    });
    svg.append(group);
  });
  if (spec.onClick) svg.append(...hitBands(spec, n, (i) => [box.left, box.top + band * i,
                                                           box.width, band]));
}

// --- parts ---------------------------------------------------------------------------

function drawLegend(series, box) {
  const group = node("g", {class: "chart-legend"});
  let x = box.left;
  for (const one of series) {
    const swatch = one.type === "bar"
      ? node("rect", {x, y: 4, width: 12, height: 12, fill: one.colour})
      : node("circle", {cx: x + 6, cy: 10, r: 4, fill: one.colour});
    group.append(swatch, text(x + 16, 14, one.name, "start"));
    x += 28 + FONT * width(one.name);
  }
  return group;
}

function seriesGroup(one) {
  const group = node("g", {class: "chart-series"});
  group.dataset.name = one.name;
  group.dataset.values = JSON.stringify(one.values);
  return group;
}

// A line broken at each gap (a null value).
function polylines(points, colour) {
  const runs = [[]];
  for (const point of points) {
    if (point) runs[runs.length - 1].push(point);
    else if (runs[runs.length - 1].length) runs.push([]);
  }
  return runs.filter((run) => run.length > 1).map((run) => node("polyline", {
    points: run.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" "),
    fill: "none", stroke: colour, "stroke-width": 2, "stroke-linejoin": "round"}));
}

function hitBands(spec, n, rectOf) {
  return Array.from({length: n}, (_, index) => {
    const [x, y, w, h] = rectOf(index);
    const band = titled(node("rect", {x, y, width: w, height: h, fill: "transparent",
                                      class: "chart-hit", cursor: "pointer"}),
                        spec.labels[index]);
    band.addEventListener("click", () => spec.onClick(index));
    return band;
  });
}

// An axis from 0 to a round top, with about five ticks.
function scale(series, fixed, integers) {
  const values = series.flatMap((s) => s.values).filter((v) => v != null);
  const most = fixed ?? Math.max(0, ...values);
  if (!most) return {top: 1, ticks: [0, 1]};
  const rough = most / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  if (integers) step = Math.max(1, Math.ceil(step));
  const top = fixed ?? Math.ceil(most / step) * step;
  const ticks = [];
  for (let tick = 0; tick <= top + step / 1e6; tick += step) ticks.push(round(tick));
  return {top, ticks};
}

function node(tag, attributes = {}) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function text(x, y, words, anchor) {
  const element = node("text", {x, y, "text-anchor": anchor, fill: TEXT,
                                "font-size": FONT});
  element.textContent = words;  // names come from the database: text, never markup
  return element;
}

function titled(element, words) {
  const title = node("title");
  title.textContent = words;
  element.append(title);
  return element;
}

// Widths in character cells: a CJK character is about one cell, a Latin one about half.
function width(words) {
  return [...String(words)].reduce((sum, c) => sum + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.6), 0);
}

function longest(labels) {
  return Math.max(1, ...labels.map(width));
}

function clip(words, cells) {
  return width(words) <= cells ? words : `${[...String(words)].slice(0, cells - 1).join("")}…`;
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

export {drawChart, PALETTE};
