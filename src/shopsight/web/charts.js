// Small SVG charts for the dashboard: a line chart with an optional band (forecast
// interval) and markers (anomalies), and a bar chart. No dependencies; every chart
// has hover tooltips and a clickable legend that hides and shows series.

const SVG = "http://www.w3.org/2000/svg";
export const PALETTE = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626",
  "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];

function svg(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function html(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text) node.textContent = text;
  return node;
}

/** Compact number: 1.2k, 3.4M; small values keep two decimals. */
export function compact(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 1e9) return (value / 1e9).toFixed(1) + "B";
  if (abs >= 1e6) return (value / 1e6).toFixed(1) + "M";
  if (abs >= 1e4) return (value / 1e3).toFixed(1) + "k";
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  return (Math.round(value * 100) / 100).toLocaleString("en-US");
}

/** "Nice" ticks between lo and hi (about `count` of them). */
function ticks(lo, hi, count = 5) {
  if (lo === hi) { lo -= 1; hi += 1; }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  const first = Math.floor(lo / step + 1e-9) * step;
  for (let v = first; out.length < 50; v += step) {
    out.push(Math.round(v / step) * step);
    if (v >= hi - step * 1e-9) break;
  }
  return out;
}

function toTime(x) {
  if (x instanceof Date) return x.getTime();
  if (typeof x === "number") return x;
  return Date.parse(String(x).length === 10 ? `${x}T00:00:00Z` : x);
}

function dateLabel(t) {
  return new Date(t).toISOString().slice(0, 10);
}

/** A chart frame: container with title, legend row, svg and a tooltip. */
function frame(el, { title = "", height = 260 }) {
  el.replaceChildren();
  el.classList.add("chart");
  if (title) el.appendChild(html("div", { class: "chart-title" }, title));
  const legend = html("div", { class: "chart-legend" });
  el.appendChild(legend);
  const width = Math.max(320, el.clientWidth || 640);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height,
    role: "img", preserveAspectRatio: "none" }, el);
  const tip = html("div", { class: "chart-tip", hidden: "" });
  el.appendChild(tip);
  return { root, legend, tip, width, height };
}

function showTip(el, tip, event, lines) {
  tip.replaceChildren(...lines.map((l) => {
    const row = html("div");
    if (l.color) {
      const sw = html("span", { class: "swatch" });
      sw.style.background = l.color;
      row.appendChild(sw);
    }
    row.appendChild(document.createTextNode(l.text));
    if (l.bold) row.style.fontWeight = "600";
    return row;
  }));
  tip.hidden = false;
  const box = el.getBoundingClientRect();
  let x = event.clientX - box.left + 14;
  const y = event.clientY - box.top + 10;
  if (x + tip.offsetWidth > box.width) x = event.clientX - box.left - tip.offsetWidth - 14;
  tip.style.left = `${Math.max(0, x)}px`;
  tip.style.top = `${y}px`;
}

function legendItems(legend, items, hidden, redraw) {
  legend.replaceChildren();
  for (const item of items) {
    const btn = html("button", { type: "button", class: "legend-item",
      "aria-pressed": String(!hidden.has(item.name)) });
    const sw = html("span", { class: `swatch ${item.kind || ""}` });
    sw.style.background = item.color;
    btn.append(sw, document.createTextNode(item.name));
    if (item.toggle !== false) {
      btn.addEventListener("click", () => {
        if (hidden.has(item.name)) hidden.delete(item.name); else hidden.add(item.name);
        redraw();
      });
    } else {
      btn.disabled = true;
    }
    if (hidden.has(item.name)) btn.classList.add("off");
    legend.appendChild(btn);
  }
}

/**
 * Line chart over dates (ISO strings) or numbers.
 * opts.series: [{name, points: [[x, y], ...], color?, dashed?}]
 * opts.band: {name, points: [[x, low, high], ...], color?}
 * opts.markers: [{x, y, label, severity?}]
 */
export function lineChart(el, opts) {
  const hidden = new Set();
  const draw = () => drawLine(el, opts, hidden, draw);
  draw();
  return { redraw: draw, hidden };
}

function drawLine(el, opts, hidden, redraw) {
  const { root, legend, tip, width, height } = frame(el, opts);
  const fmt = opts.yFormat || compact;
  const series = (opts.series || []).map((s, i) => ({ ...s, color: s.color || PALETTE[i % 10],
    pts: (s.points || []).map(([x, y]) => [toTime(x), Number(y)]).filter(([x, y]) =>
      Number.isFinite(x) && Number.isFinite(y)) }));
  const band = opts.band && opts.band.points && opts.band.points.length ? {
    ...opts.band, color: opts.band.color || "#93c5fd",
    pts: opts.band.points.map(([x, lo, hi]) => [toTime(x), Number(lo), Number(hi)]) } : null;
  const markers = (opts.markers || []).map((m) => ({ ...m, t: toTime(m.x) }));
  const items = series.map((s) => ({ name: s.name, color: s.color }));
  if (band) items.push({ name: band.name || "interval", color: band.color, kind: "band" });
  if (markers.length) items.push({ name: opts.markerName || "anomalies", color: "#dc2626",
    kind: "dot" });
  legendItems(legend, items, hidden, redraw);

  const shown = series.filter((s) => !hidden.has(s.name));
  const showBand = band && !hidden.has(band.name || "interval");
  const showMarkers = markers.length && !hidden.has(opts.markerName || "anomalies");
  const xs = [...shown.flatMap((s) => s.pts.map((p) => p[0])),
    ...(showBand ? band.pts.map((p) => p[0]) : [])];
  const ys = [...shown.flatMap((s) => s.pts.map((p) => p[1])),
    ...(showBand ? band.pts.flatMap((p) => [p[1], p[2]]) : []),
    ...(showMarkers ? markers.map((m) => Number(m.y)) : [])].filter(Number.isFinite);
  if (!xs.length) {
    svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "muted" }, root)
      .textContent = "No data to draw";
    return;
  }
  const pad = { l: 56, r: 16, t: 10, b: 28 };
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const yt = ticks(Math.min(0, ...ys), Math.max(...ys));
  const y0 = yt[0], y1 = yt[yt.length - 1];
  const sx = (x) => pad.l + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y) => height - pad.b - ((y - y0) / (y1 - y0 || 1)) * (height - pad.t - pad.b);

  for (const v of yt) {
    svg("line", { x1: pad.l, x2: width - pad.r, y1: sy(v), y2: sy(v), class: "grid" }, root);
    svg("text", { x: pad.l - 6, y: sy(v) + 4, "text-anchor": "end", class: "axis" }, root)
      .textContent = fmt(v);
  }
  const isDate = opts.xType !== "number";
  const xticks = 6;
  for (let i = 0; i <= xticks; i++) {
    const t = x0 + ((x1 - x0) * i) / xticks;
    svg("text", { x: sx(t), y: height - 8, "text-anchor": i === 0 ? "start" :
      i === xticks ? "end" : "middle", class: "axis" }, root)
      .textContent = isDate ? dateLabel(t).slice(5) : compact(t);
  }
  if (showBand) {
    const top = band.pts.map((p) => `${sx(p[0])},${sy(p[2])}`);
    const bottom = band.pts.slice().reverse().map((p) => `${sx(p[0])},${sy(p[1])}`);
    svg("polygon", { points: [...top, ...bottom].join(" "), fill: band.color,
      "fill-opacity": 0.35, stroke: "none", class: "band" }, root);
  }
  for (const s of shown) {
    const d = s.pts.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
      .join("");
    svg("path", { d, fill: "none", stroke: s.color, "stroke-width": 2,
      "stroke-dasharray": s.dashed ? "6 4" : "none", class: "series" }, root);
  }
  const guide = svg("line", { y1: pad.t, y2: height - pad.b, class: "guide",
    visibility: "hidden" }, root);
  const overlay = svg("rect", { x: pad.l, y: pad.t, width: width - pad.l - pad.r,
    height: height - pad.t - pad.b, fill: "transparent" }, root);
  if (showMarkers) {
    for (const m of markers) {
      const c = svg("circle", { cx: sx(m.t), cy: sy(Number(m.y)), r: 6,
        class: `marker ${m.severity || ""}` }, root);
      c.addEventListener("mousemove", (e) => showTip(el, tip, e, [
        { text: dateLabel(m.t), bold: true }, ...String(m.label).split("\n").map((t) =>
          ({ text: t, color: "#dc2626" }))]));
      c.addEventListener("mouseleave", () => { tip.hidden = true; });
    }
  }
  const scale = (e) => {
    const box = root.getBoundingClientRect();
    return ((e.clientX - box.left) / box.width) * width;
  };
  overlay.addEventListener("mousemove", (e) => {
    const px = scale(e);
    const t = x0 + ((px - pad.l) / (width - pad.l - pad.r)) * (x1 - x0);
    const near = (pts) => pts.reduce((best, p) =>
      (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t) ? p : best), null);
    const lines = [];
    let at = null;
    for (const s of shown) {
      const p = near(s.pts);
      if (p) { at = at ?? p[0]; lines.push({ text: `${s.name}: ${fmt(p[1])}`, color: s.color }); }
    }
    if (showBand) {
      const p = near(band.pts);
      if (p && Math.abs(p[0] - t) <= Math.abs((at ?? p[0]) - t)) {
        at = p[0];
        lines.push({ text: `${band.name || "interval"}: ${fmt(p[1])} – ${fmt(p[2])}`,
          color: band.color });
      }
    }
    if (at === null) return;
    guide.setAttribute("x1", sx(at));
    guide.setAttribute("x2", sx(at));
    guide.setAttribute("visibility", "visible");
    showTip(el, tip, e, [{ text: isDate ? dateLabel(at) : compact(at), bold: true }, ...lines]);
  });
  overlay.addEventListener("mouseleave", () => {
    tip.hidden = true;
    guide.setAttribute("visibility", "hidden");
  });
}

/**
 * Bar chart (vertical, grouped when there are several series).
 * opts.categories: [label, ...]; opts.series: [{name, values: [...], color?}]
 * opts.onClick(category, index) makes bars clickable (e.g. to filter a table).
 */
export function barChart(el, opts) {
  const hidden = new Set();
  const draw = () => drawBars(el, opts, hidden, draw);
  draw();
  return { redraw: draw, hidden };
}

function drawBars(el, opts, hidden, redraw) {
  const { root, legend, tip, width, height } = frame(el, opts);
  const fmt = opts.yFormat || compact;
  const cats = opts.categories || [];
  const series = (opts.series || []).map((s, i) => ({ ...s, color: s.color || PALETTE[i % 10] }));
  legendItems(legend, series.map((s) => ({ name: s.name, color: s.color,
    toggle: series.length > 1 })), hidden, redraw);
  const shown = series.filter((s) => !hidden.has(s.name));
  const values = shown.flatMap((s) => s.values.map(Number)).filter(Number.isFinite);
  if (!cats.length || !values.length) {
    svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "muted" }, root)
      .textContent = "No data to draw";
    return;
  }
  const longest = Math.max(...cats.map((c) => String(c).length));
  const rotate = cats.length > 6 || longest * 7 > (width - 80) / cats.length;
  const pad = { l: 56, r: 12, t: 10, b: rotate ? Math.min(90, 14 + longest * 5.5) : 28 };
  const yt = ticks(Math.min(0, ...values), Math.max(0, ...values));
  const y0 = yt[0], y1 = yt[yt.length - 1];
  const sy = (y) => height - pad.b - ((y - y0) / (y1 - y0 || 1)) * (height - pad.t - pad.b);
  for (const v of yt) {
    svg("line", { x1: pad.l, x2: width - pad.r, y1: sy(v), y2: sy(v), class: "grid" }, root);
    svg("text", { x: pad.l - 6, y: sy(v) + 4, "text-anchor": "end", class: "axis" }, root)
      .textContent = fmt(v);
  }
  const slot = (width - pad.l - pad.r) / cats.length;
  const bw = Math.max(2, (slot * 0.75) / Math.max(1, shown.length));
  cats.forEach((cat, i) => {
    const cx = pad.l + slot * i + slot / 2;
    const label = svg("text", { x: cx, y: height - pad.b + 14, class: "axis",
      "text-anchor": rotate ? "end" : "middle",
      transform: rotate ? `rotate(-35 ${cx} ${height - pad.b + 14})` : "" }, root);
    const max = rotate ? 22 : 16;
    label.textContent = String(cat).length > max ? String(cat).slice(0, max - 1) + "…" : cat;
    shown.forEach((s, j) => {
      const v = Number(s.values[i]);
      if (!Number.isFinite(v)) return;
      const x = cx - (bw * shown.length) / 2 + j * bw;
      const bar = svg("rect", { x, width: bw - 1, y: Math.min(sy(v), sy(0)),
        height: Math.max(1, Math.abs(sy(v) - sy(0))), fill: s.color,
        class: `bar${opts.onClick ? " clickable" : ""}`, "data-category": cat }, root);
      bar.addEventListener("mousemove", (e) => showTip(el, tip, e, [
        { text: String(cat), bold: true },
        ...shown.map((t) => ({ text: `${t.name}: ${fmt(Number(t.values[i]))}`, color: t.color })),
      ]));
      bar.addEventListener("mouseleave", () => { tip.hidden = true; });
      if (opts.onClick) bar.addEventListener("click", () => opts.onClick(cat, i));
    });
  });
}
