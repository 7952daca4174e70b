// shopsight dashboard: login, hash routes, one render function per page.
// Every figure comes from the API with the user's key (X-API-Key). Endpoints that a
// server does not have (404 from the router itself) show a "not available" state so
// the rest of the page still works; API errors show the API's own message.

import { barChart, compact, lineChart } from "./charts.js";

const KEY_STORAGE = "shopsight.apiKey";
const LAST_DATE = "shopsight.lastBusinessDate";
const session = { key: sessionStorage.getItem(KEY_STORAGE), info: null };
let renderId = 0;

// ---------------------------------------------------------------- API client

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
  /** 404 from the router (no such endpoint), not a NotFound from a service. */
  get missingEndpoint() {
    return this.status === 404 && !(this.body && this.body.error);
  }
}

function errorMessage(status, body, fallback) {
  if (body && typeof body === "object") {
    if (body.message) return body.message;
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 300);
  return `${status} ${fallback}`;
}

async function api(path, { method = "GET", body, text = false } = {}) {
  const headers = { "X-API-Key": session.key || "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, `The server did not answer (${err.message}); is it running?`, null);
  }
  const type = res.headers.get("content-type") || "";
  const data = text && res.ok ? await res.text()
    : type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (res.status === 401) {
    signOut(errorMessage(401, data, "your key was refused; sign in again"));
    throw new ApiError(401, errorMessage(401, data, "Unauthorized"), data);
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, data, res.statusText), data);
  return data;
}

/** Like api(), but a missing endpoint resolves to null instead of throwing. */
async function optional(path, opts) {
  try {
    return await api(path, opts);
  } catch (err) {
    if (err instanceof ApiError && err.missingEndpoint) return null;
    throw err;
  }
}

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fmt = {
  int: (v) => (v === null || v === undefined ? "–" : Math.round(Number(v)).toLocaleString("en-US")),
  num: (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US",
    { minimumFractionDigits: d, maximumFractionDigits: d })),
  money: (v, c = "") => (v === null || v === undefined ? "–"
    : `${c ? c + " " : ""}${Number(v).toLocaleString("en-US",
      { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`),
  short: (v, c = "") => (v === null || v === undefined ? "–" : `${c ? c + " " : ""}${compact(Number(v))}`),
  pct: (v, d = 1) => (v === null || v === undefined ? "–" : `${(Number(v) * 100).toFixed(d)}%`),
  signedPct: (v) => (v === null || v === undefined ? "–"
    : `${v > 0 ? "+" : ""}${Number(v).toFixed(1)}%`),
  date: (v) => (v ? String(v).slice(0, 10) : "–"),
  time: (v) => (v ? String(v).replace("T", " ").slice(0, 19) : "–"),
  bytes: (v) => (v === null || v === undefined ? "–" : v < 1024 ? `${v} B`
    : v < 1 << 20 ? `${(v / 1024).toFixed(1)} kB` : `${(v / (1 << 20)).toFixed(1)} MB`),
};

const STORE_REVENUE_HINT = "Store sales as the stores' POS uploads report them: every order "
  + "but cancelled ones, a return counting on the day it is made. Net sales of every channel "
  + "(returns and refunds left out) are on the Markets page and in the copilot.";

function kpi(label, value, sub = null, testid = null, raw = null, hint = null) {
  return h("div", { class: "kpi", "data-testid": testid, "data-value": raw, title: hint },
    h("div", { class: "label" }, label), h("div", { class: "value" }, value),
    sub ? h("div", { class: "sub" }, sub) : null);
}

function card(title, ...content) {
  return h("section", { class: "card" }, title ? h("h3", {}, title) : null, ...content);
}

function stateBox(kind, title, text = "") {
  return h("div", { class: `state ${kind}`, role: kind === "error" ? "alert" : null,
    "data-testid": `state-${kind}` }, h("strong", {}, title), text);
}
const empty = (title, text = "") => stateBox("empty", title, text);
const unavailable = (what) => stateBox("unavailable", `${what} is not available on this server yet`,
  "The endpoint behind this panel has not been deployed; the rest of the page still works.");
function failure(err) {
  if (err instanceof ApiError && err.status === 403) {
    return stateBox("error", "Not allowed for your role", err.message);
  }
  return stateBox("error", "The server could not answer", err.message || String(err));
}

/**
 * A panel that loads itself: shows a spinner, runs `load(body)`, and turns errors into
 * an error state with the API's message. Returns the panel element at once.
 */
function panel(title, load, { cls = "" } = {}) {
  const body = h("div", {}, h("div", { class: "loading" }, "Loading…"));
  const section = h("section", { class: `card ${cls}` },
    title ? h("h3", {}, ...[].concat(title)) : null, body);
  const id = renderId;
  Promise.resolve().then(() => load(body)).then((content) => {
    if (id !== renderId) return;
    if (content !== undefined) body.replaceChildren(...[].concat(content).filter(Boolean));
  }).catch((err) => {
    if (id !== renderId) return;
    body.replaceChildren(failure(err));
    if (!(err instanceof ApiError)) console.error(err);
  });
  return section;
}

/**
 * A table. columns: [{key, label, format?(value,row), num?}], rows: [{...}].
 * Cells get data-col so tests and users can find a value by column.
 */
function table(columns, rows, { onRow = null, rowKey = null, emptyText = "Nothing to show",
  testid = null } = {}) {
  if (!rows || !rows.length) return empty(emptyText);
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "" }, c.label)));
  const body = rows.map((row) => {
    const tr = h("tr", { class: onRow ? "clickable" : "",
      "data-key": rowKey ? row[rowKey] : null },
    columns.map((c) => {
      const v = typeof c.key === "function" ? c.key(row) : row[c.key];
      const shown = c.format ? c.format(v, row) : v === null || v === undefined ? "–"
        : typeof v === "object" ? JSON.stringify(v) : v;
      return h("td", { class: c.num ? "num" : "", "data-col": typeof c.key === "string" ? c.key
        : c.label }, shown);
    }));
    if (onRow) {
      tr.addEventListener("click", () => {
        tr.parentElement.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
        tr.classList.add("selected");
        onRow(row);
      });
    }
    return tr;
  });
  return h("div", { class: "table-wrap", "data-testid": testid },
    h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
}

/** Columns for whatever objects an endpoint returned (scalar fields only). */
function autoColumns(rows, max = 9) {
  const keys = [];
  for (const row of rows.slice(0, 20)) {
    for (const [k, v] of Object.entries(row)) {
      if (!keys.includes(k) && (v === null || typeof v !== "object")) keys.push(k);
    }
  }
  return keys.slice(0, max).map((k) => {
    const sample = rows.find((r) => r[k] !== null && r[k] !== undefined)?.[k];
    const numeric = typeof sample === "number";
    return { key: k, label: k.replaceAll("_", " "), num: numeric,
      format: numeric ? (v) => (v === null || v === undefined ? "–" : Number.isInteger(v)
        ? fmt.int(v) : fmt.num(v, Math.abs(v) < 10 ? 3 : 2)) : undefined };
  });
}

/** The first list of objects in a response (the response itself, or one of its fields). */
function firstRows(data, preferred = []) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== "object") return [];
  for (const k of [...preferred, "items", "rows", "results", "data", "customers", "segments",
    "products", "predictions", "recommendations", "forecast"]) {
    if (Array.isArray(data[k]) && (!data[k].length || typeof data[k][0] === "object")) return data[k];
  }
  for (const v of Object.values(data)) {
    if (Array.isArray(v) && v.length && typeof v[0] === "object" && !Array.isArray(v[0])) return v;
  }
  return [];
}

/** Scalar fields of a response as a definition list. */
function summary(data, skip = []) {
  if (!data || typeof data !== "object" || Array.isArray(data)) return null;
  const pairs = Object.entries(data).filter(([k, v]) => !skip.includes(k)
    && (v === null || typeof v !== "object"));
  if (!pairs.length) return null;
  return h("dl", { class: "kv" }, pairs.map(([k, v]) => [h("dt", {}, k.replaceAll("_", " ")),
    h("dd", {}, typeof v === "number" ? (Number.isInteger(v) ? fmt.int(v)
      : fmt.num(v, Math.abs(v) >= 100 ? 2 : 3))
      : String(v))]));
}

const pick = (obj, names) => names.find((n) => obj && obj[n] !== undefined && obj[n] !== null);

function pageHead(title, subtitle, ...controls) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h2", {}, title), subtitle ? h("p", {}, subtitle) : null),
    h("div", { class: "controls" }, ...controls));
}

function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { page: path || null, params: new URLSearchParams(query) };
}

function go(page, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const target = `#/${page}${q.toString() ? "?" + q : ""}`;
  if (location.hash === target) render(); else location.hash = target;
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** The business date pages start on: the last one uploaded here, else the latest report. */
async function defaultDate() {
  const remembered = sessionStorage.getItem(LAST_DATE);
  if (remembered) return remembered;
  try {
    const reports = await optional("/sales/reports?limit=1");
    if (Array.isArray(reports) && reports.length) return fmt.date(reports[0].business_date);
  } catch { /* fall through to today */ }
  return today();
}

// ---------------------------------------------------------------- forecast parsing

const DATE_KEYS = ["date", "ds", "day", "business_date", "timestamp"];
const VALUE_KEYS = ["yhat", "forecast", "predicted", "prediction", "mean", "value", "y",
  "revenue", "units", "demand", "quantity"];
const LOW_KEYS = ["low", "lower", "yhat_lower", "lo", "lower_bound", "p10", "low_80", "lower_80"];
const HIGH_KEYS = ["high", "upper", "yhat_upper", "hi", "upper_bound", "p90", "high_80", "upper_80"];

/** {history: [[d, y]], forecast: [[d, y]], band: [[d, lo, hi]], label} from any forecast shape. */
function parseForecast(data) {
  const rows = firstRows(data, ["forecast", "predictions", "points"]);
  const series = (list) => list.map((r) => {
    const dk = pick(r, DATE_KEYS), vk = pick(r, VALUE_KEYS);
    return dk && vk ? [r[dk], Number(r[vk])] : null;
  }).filter(Boolean);
  const band = rows.map((r) => {
    const dk = pick(r, DATE_KEYS), lo = pick(r, LOW_KEYS), hi = pick(r, HIGH_KEYS);
    return dk && lo && hi ? [r[dk], Number(r[lo]), Number(r[hi])] : null;
  }).filter(Boolean);
  const hist = data && !Array.isArray(data) ? firstRows({ h: data.history || data.actuals || [] },
    ["h"]) : [];
  const unit = rows.length && rows[0].units !== undefined ? "units" : "";
  const metric = (data && (data.metric || unit || data.target)) || "";
  const scope = data && data.level ? `${data.level}${data.target && data.target !== data.level
    ? " " + data.target : ""}` : "";
  return { forecast: series(rows), band, history: series(hist), metric: String(metric), scope };
}

// ---------------------------------------------------------------- pages

async function latestReport(date) {
  let target = date;
  if (!target) {
    const reports = await optional("/sales/reports?limit=1");
    if (reports === null) return { missing: true };
    if (!reports.length) return { none: true };
    target = fmt.date(reports[0].business_date);
  }
  try {
    const insights = await api(`/sales/reports/${target}`);
    return { insights, date: target };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      return err.missingEndpoint ? { missing: true } : { none: true, message: err.message };
    }
    throw err;
  }
}

const NO_REPORT = "No daily report yet — upload store files or run the daily analysis";

function revenueChangeText(insights) {
  const change = (insights.changes || []).find((c) => c.change_pct !== null
    && c.change_pct !== undefined);
  if (!change) return null;
  const cls = change.change_pct >= 0 ? "up" : "down";
  return h("span", { class: cls }, `${fmt.signedPct(change.change_pct)} ${change.label}`);
}

async function pageOverview(view, params) {
  const result = await latestReport(params.get("date"));
  const date = result.date;
  view.append(pageHead("Overview", date ? `Business day ${date}` : "Today's sales at a glance",
    h("a", { href: date ? `#/reports?date=${date}` : "#/reports" }, "Reports archive")));
  if (result.missing) {
    view.append(unavailable("The daily report"));
  } else if (result.none) {
    view.append(empty(NO_REPORT, result.message || ""));
  }
  const ins = result.insights;
  const c = ins?.currency || "USD";
  if (ins) {
    const expected = (ins.stores_reported || []).length + (ins.stores_missing || []).length;
    view.append(h("div", { class: "kpis" },
      kpi("Store revenue", fmt.short(ins.revenue, c), revenueChangeText(ins), "kpi-revenue",
        ins.revenue, STORE_REVENUE_HINT),
      kpi("Transactions", fmt.int(ins.transactions), null, "kpi-transactions", ins.transactions),
      kpi("Units", fmt.int(ins.units), null, "kpi-units", ins.units),
      kpi("Average basket", fmt.money(ins.average_basket, c), null, "kpi-basket",
        ins.average_basket),
      kpi("Stores reported", `${(ins.stores_reported || []).length} / ${expected}`,
        (ins.stores_missing || []).length ? `missing ${ins.stores_missing.join(", ")}` : "all in",
        "kpi-stores"),
      kpi("Anomalies", fmt.int((ins.anomalies || []).length), null, "kpi-anomalies")));
  }
  const grid = h("div", { class: "grid cols-2" });
  view.append(grid);
  // One forecast request feeds both charts: a revenue forecast overlays the revenue
  // trend; a demand (units) forecast gets its own chart, never a mixed axis.
  const forecast = optional("/demand-insights/forecast", { method: "POST",
    body: { forecast_days: 14 } }).then((data) => (data ? parseForecast(data) : null));
  forecast.catch(() => {}); // each panel reports the error itself
  // The trend is the stores' revenue, so its band is the store channel's revenue forecast
  // from Market Intelligence (same level, same currency).
  const revenueForecast = optional(
    "/market-intelligence/forecast?level=channel&key=store&metric=revenue&horizon_days=14")
    .then((data) => (data ? parseForecast(data) : null));
  revenueForecast.catch(() => {});
  const isRevenue = (fc) => /revenue|sales/i.test(fc.metric);
  grid.append(panel(["Store revenue trend", h("span", { class: "muted" },
    "hover for values · click the legend to hide a series")], async (body) => {
    const history = ins?.revenue_history || [];
    if (!history.length) {
      return empty(NO_REPORT, "The trend appears once a daily analysis has run.");
    }
    const fc = (await revenueForecast.catch(() => null)) || (await forecast.catch(() => null));
    const series = [{ name: `Revenue (${c})`, points: history }];
    const overlay = fc && fc.forecast.length && isRevenue(fc);
    if (overlay) {
      series.push({ name: "Forecast", points: fc.forecast, dashed: true, color: "#7c3aed" });
    }
    const markers = [];
    if ((ins.anomalies || []).length) {
      const at = history.find(([d]) => fmt.date(d) === fmt.date(ins.business_date));
      markers.push({ x: ins.business_date, y: at ? at[1] : ins.revenue,
        severity: ins.anomalies.some((a) => a.severity === "high") ? "high" : "low",
        label: ins.anomalies.slice(0, 6).map((a) => `store ${a.store_id}: ${a.description}`)
          .join("\n") });
    }
    const trend = h("div", { "data-testid": "revenue-trend" });
    body.replaceChildren(trend);
    lineChart(trend, { series, markers, height: 280, markerName: "anomalies",
      band: overlay && fc.band.length
        ? { name: "Forecast interval", points: fc.band, color: "#c4b5fd" } : null });
    return undefined;
  }));
  grid.append(panel(["Demand forecast", h("span", { class: "muted" }, "next 14 days")],
    async (body) => {
      let fc;
      try {
        fc = await forecast;
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          return empty("Not enough history to forecast yet", err.message);
        }
        throw err;
      }
      if (fc === null) return unavailable("Demand forecasting");
      if (!fc.forecast.length) return empty("No forecast for this selection");
      const chart = h("div", { "data-testid": "demand-forecast" });
      body.replaceChildren(chart);
      lineChart(chart, { height: 280,
        series: [...(fc.history.length ? [{ name: "Actual", points: fc.history }] : []),
          { name: `Forecast (${fc.metric || "value"}${fc.scope ? ", " + fc.scope : ""})`,
            points: fc.forecast, dashed: true, color: "#7c3aed" }],
        band: fc.band.length ? { name: "Forecast interval", points: fc.band,
          color: "#c4b5fd" } : null });
      return undefined;
    }));
  grid.append(panel("Anomalies", async () => {
    if (!ins) return empty("No anomalies to show", NO_REPORT);
    return table([
      { key: "store_id", label: "Store" },
      { key: "product_id", label: "Product" },
      { key: "kind", label: "Kind" },
      { key: "severity", label: "Severity", format: (v) => h("span", { class: `badge ${v}` }, v) },
      { key: "observed", label: "Observed", num: true, format: (v) => fmt.num(v) },
      { key: "expected", label: "Expected", num: true, format: (v, r) =>
        `${fmt.num(v)} (${fmt.num(r.low)}–${fmt.num(r.high)})` },
      { key: "description", label: "What happened" },
    ], ins.anomalies, { emptyText: "No anomalies on this day", testid: "anomalies" });
  }));
  if (!ins) return;
  grid.append(panel(["What moved revenue", h("span", { class: "muted small",
    "data-testid": "drivers-period" }, ins.drivers_period || "")], async () => table([
    { key: "dimension", label: "By" }, { key: "name", label: "Name" },
    { key: "change", label: `Change (${c})`, num: true, format: (v) => fmt.money(v) },
    { key: "contribution_pct", label: "Share of change", num: true, format: fmt.signedPct },
  ], ins.drivers, { emptyText: "No drivers computed for this day" })));
  grid.append(panel("Recommendations", async () => {
    const recs = ins.recommendations || [];
    if (!recs.length) return empty("No recommendations for this day");
    return h("ul", { class: "plain" }, recs.map((r) => h("li", {},
      h("strong", {}, r.title), " ", h("span", { class: "badge" }, r.kind),
      h("div", { class: "muted small" }, r.evidence),
      h("div", { class: "small" }, `At stake: ${fmt.money(r.money_at_stake, c)}`))));
  }));
  grid.append(panel("Changes", async () => table([
    { key: "label", label: "Compared with" },
    { key: (r) => (r.current_start ? `${r.current_start} – ${r.current_end} vs `
      + `${r.previous_start} – ${r.previous_end}` : "–"), label: "Days compared" },
    { key: "current", label: "Now", num: true, format: (v) => fmt.money(v) },
    { key: "previous", label: "Then", num: true, format: (v) => fmt.money(v) },
    { key: "change_pct", label: "Change", num: true, format: fmt.signedPct },
  ], ins.changes, { emptyText: "No comparison periods yet" })));
  grid.append(panel("Top products", async () => productTable(ins.top_products, c)));
}

function productTable(rows, c, testid = null) {
  return table([
    { key: "product_id", label: "Product" }, { key: "name", label: "Name" },
    { key: "category", label: "Category" },
    { key: "units", label: "Units", num: true, format: fmt.int },
    { key: "revenue", label: `Revenue (${c})`, num: true, format: (v) => fmt.money(v) },
  ], rows, { emptyText: "No products on this day", testid });
}

async function pageStores(view, params) {
  const date = params.get("date") || await defaultDate();
  const picker = h("input", { type: "date", value: date, "aria-label": "Business date",
    onchange: (e) => go("stores", { date: e.target.value }) });
  view.append(pageHead("Stores", `Who reported for business day ${date}`, picker));
  const status = await api(`/sales/stores-status?business_date=${date}`);
  view.append(h("div", { class: "kpis" },
    kpi("Reported", `${status.reported.length} / ${status.expected.length}`,
      status.missing.length ? `${status.missing.length} missing` : "all stores in",
      "kpi-reported", status.reported.length),
    kpi("Missing", fmt.int(status.missing.length), null, "kpi-missing", status.missing.length)));
  const grid = h("div", { class: "grid cols-2" });
  view.append(grid);
  grid.append(card("Reported",
    status.reported.length ? h("ul", { class: "store-list reported", "data-testid": "reported-list" },
      status.reported.map((s) => h("li", { "data-store": s }, s)))
      : empty("No store has reported yet", "Stores upload their POS file on the Uploads page.")));
  grid.append(card("Missing",
    status.missing.length ? h("ul", { class: "store-list missing", "data-testid": "missing-list" },
      status.missing.map((s) => h("li", { "data-store": s }, s)))
      : empty("Every expected store has reported")));
  view.append(h("div", { style: "height:16px" }));
  view.append(panel("Per-store metrics", async (body) => {
    let rows = null, c = "USD", source = "";
    const report = await latestReport(date).catch(() => ({}));
    if (report.insights && (report.insights.stores || []).length) {
      rows = report.insights.stores;
      c = report.insights.currency || c;
      source = "from the daily report";
    } else {
      const analytics = await optional(
        `/sales/analytics?start=${date}&end=${date}&level=store`).catch(() => null);
      if (analytics && (analytics.rows || []).length) {
        rows = analytics.rows.filter((r) => r.store_id !== "company");
        source = "from the stores' uploads";
      }
    }
    if (!rows || !rows.length) {
      return empty("No store metrics for this day yet",
        status.reported.length ? "They appear once the daily analysis has run."
          : "Upload store files on the Uploads page.");
    }
    const chart = h("div");
    body.replaceChildren(h("p", { class: "muted small" }, source), chart,
      table([{ key: "store_id", label: "Store" },
        { key: "revenue", label: `Revenue (${c})`, num: true, format: (v) => fmt.money(v) },
        { key: "transactions", label: "Transactions", num: true, format: fmt.int },
        { key: "units", label: "Units", num: true, format: fmt.int },
        { key: "average_basket", label: "Avg basket", num: true, format: (v) => fmt.money(v) },
        { key: "margin_rate", label: "Margin", num: true, format: (v) => fmt.pct(v) }],
      rows, { rowKey: "store_id", testid: "store-metrics" }));
    barChart(chart, { categories: rows.map((r) => r.store_id), height: 220,
      series: [{ name: `Revenue (${c})`, values: rows.map((r) => r.revenue) }] });
    return undefined;
  }));
}

async function pageProducts(view, params) {
  view.append(pageHead("Products & pricing", "Best and worst sellers, stock and prices"));
  const result = await latestReport(params.get("date")).catch((err) => ({ error: err }));
  const ins = result.insights;
  const c = ins?.currency || "USD";
  const grid = h("div", { class: "grid cols-2" });
  view.append(grid);
  const sellers = (title, rows, testid) => panel([title, ins ? h("span", { class: "muted" },
    fmt.date(ins.business_date)) : null], async (body) => {
    if (result.error) throw result.error;
    if (result.missing) return unavailable("The daily report");
    if (!ins) return empty(NO_REPORT);
    const chart = h("div");
    body.replaceChildren(chart, productTable(rows, c, testid));
    barChart(chart, { categories: rows.map((r) => r.name || r.product_id), height: 200,
      series: [{ name: `Revenue (${c})`, values: rows.map((r) => r.revenue) }] });
    return undefined;
  });
  grid.append(sellers("Top sellers", ins?.top_products || [], "top-products"));
  grid.append(sellers("Bottom sellers", ins?.bottom_products || [], "bottom-products"));
  grid.append(panel("Low stock", async () => {
    const stockouts = (ins?.anomalies || []).filter((a) => a.kind === "stockout");
    // the stock of the day on show (the latest snapshot on or before it), as the
    // stock-outs above are of that day
    const day = ins?.business_date ? fmt.date(ins.business_date) : null;
    const answer = await optional("/copilot/ask", { method: "POST",
      body: { question: day ? `Show me low stock products on ${day}`
        : "Show me low stock products", page_size: 50 } }).catch(() => null);
    if (answer?.conversation_id) {
      // a lookup, not a chat: keep it out of the user's conversation history
      api(`/copilot/conversations/${encodeURIComponent(answer.conversation_id)}`,
        { method: "DELETE" }).catch(() => {});
    }
    const rows = answer ? (answer.rows || answer.data?.rows || []) : [];
    const out = [];
    if (stockouts.length) {
      out.push(h("p", { class: "muted small" }, "Stock-outs found by the daily analysis"),
        table([{ key: "store_id", label: "Store" }, { key: "product_id", label: "Product" },
          { key: "description", label: "What happened" }], stockouts));
    }
    if (rows.length) {
      const columns = answer.columns || answer.data?.columns;
      const total = answer.data?.total ?? rows.length;
      const shown = Math.min(rows.length, 50);
      out.push(h("p", { class: "muted small", "data-testid": "low-stock-count" },
        `Below the reorder point or out of stock in the snapshot of ${rows[0].snapshot_date}: `
        + (total > shown ? `the ${shown} largest shortfalls of ${fmt.int(total)}`
          : `${fmt.int(total)}`) + " (ask the copilot for the rest)"),
        table(columns ? columns.map((k) => autoColumns(rows, 99).find((c2) => c2.key === k)
          || { key: k, label: k }) : autoColumns(rows), rows.slice(0, 50),
        { testid: "low-stock" }));
    }
    if (!out.length) {
      if (answer === null && !stockouts.length) return unavailable("Inventory levels");
      const answered = !answer || !answer.metadata
        || ["data_query", "tool_call"].includes(answer.metadata.query_type);
      return answered ? empty("No product is low on stock")
        : empty("Stock levels could not be looked up", answer.answer || "");
    }
    return out;
  }));
  const category = h("input", { placeholder: "category (optional)", "aria-label": "Category",
    value: params.get("category") || "" });
  const elasticity = panel(["Price elasticity", h("form", { class: "controls",
    onsubmit: (e) => { e.preventDefault(); go("products", { category: category.value }); } },
  category, h("button", { type: "submit" }, "Estimate"))], async (body) => {
    const data = await optional("/demand-insights/price-elasticity", { method: "POST",
      body: category.value ? { category: category.value } : {} });
    if (data === null) return unavailable("Price elasticity");
    const rows = firstRows(data, ["estimates", "elasticities"]);
    body.replaceChildren();
    if (data.interpretation || data.summary) {
      body.append(h("p", {}, data.interpretation || data.summary));
    }
    const kv = summary(data, ["interpretation", "summary"]);
    if (kv) body.append(kv);
    if (rows.length && rows[0].elasticity !== undefined) {
      const chart = h("div", { "data-testid": "elasticity-chart" });
      body.append(chart);
      barChart(chart, { categories: rows.map((r) => r.target ?? r.product_id ?? r.category),
        height: 200, series: [{ name: "elasticity (% units per % price)",
          values: rows.map((r) => r.elasticity), color: "#0891b2" }],
        yFormat: (v) => fmt.num(v, 1) });
    }
    if (rows.length) {
      const wanted = ["target", "elasticity", "ci_low", "ci_high", "n_observations", "n_products",
        "r_squared"];
      const cols = autoColumns(rows, 99);
      const chosen = cols.filter((c2) => wanted.includes(c2.key));
      body.append(table(chosen.length >= 3 ? chosen : cols.slice(0, 9), rows.slice(0, 100),
        { testid: "elasticity" }));
    }
    if (!kv && !rows.length) body.append(empty("No elasticity estimate for this selection"));
    return undefined;
  });
  grid.append(elasticity);
  grid.append(pricePanel(ins));
}

/** Price optimization needs a product's price, volume and cost: a small form. */
function pricePanel(ins) {
  const top = (ins?.top_products || []).find((p) => p.units > 0);
  const field = (name, label, value, attrs = {}) => h("div", { class: "field" },
    h("label", { for: `price-${name}` }, label),
    h("input", { id: `price-${name}`, name, value: value ?? "", required: true, ...attrs }));
  const num = { type: "number", min: 0, step: "any" };
  const out = h("div", { "data-testid": "price-result" });
  const form = h("form", { class: "grid cols-2", onsubmit: async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    out.replaceChildren(h("div", { class: "loading" }, "Optimizing…"));
    try {
      const r = await optional("/demand-insights/price-optimization", { method: "POST",
        body: { product_id: data.product_id, current_price: Number(data.current_price),
          current_quantity: Number(data.current_quantity),
          cost_per_unit: Number(data.cost_per_unit) } });
      if (r === null) { out.replaceChildren(unavailable("Price optimization")); return; }
      const scen = (label, sc) => sc ? [h("dt", {}, label), h("dd", {},
        `${fmt.money(sc.price)} → ${fmt.num(sc.quantity, 0)} units, revenue `
        + `${fmt.money(sc.revenue)}, profit ${fmt.money(sc.profit)}`)] : null;
      out.replaceChildren(h("div", { class: "result processed" },
        h("div", {}, h("span", { class: "badge" }, r.direction || r.status), " ",
          r.message || ""),
        h("dl", { class: "kv", style: "margin-top:8px" },
          scen("current", r.current), scen("recommended", r.recommended),
          h("dt", {}, "elasticity"), h("dd", {}, `${fmt.num(r.elasticity, 2)} `
            + `(${r.elasticity_source || "?"})`),
          h("dt", {}, "profit change"), h("dd", {}, fmt.money(r.profit_change)))));
    } catch (err) {
      out.replaceChildren(failure(err));
    }
  } },
  field("product_id", "Product", top?.product_id, { placeholder: "SKU" }),
  field("current_price", "Current price", top ? (top.revenue / top.units).toFixed(2) : "", num),
  field("current_quantity", "Units per period", top?.units, num),
  field("cost_per_unit", "Unit cost", "", { ...num, placeholder: "cost" }),
  h("div", {}, h("button", { type: "submit", class: "primary" }, "Recommend a price")));
  return card(["Recommended price", h("span", { class: "muted" },
    "profit-maximising price within ±20%")], form, out);
}

async function pageCustomers(view, params) {
  const threshold = params.get("threshold") || "0.6";
  const select = h("select", { "aria-label": "Churn threshold",
    onchange: (e) => go("customers", { threshold: e.target.value }) },
  ["0.4", "0.5", "0.6", "0.7", "0.8"].map((t) => h("option", { value: t,
    selected: t === threshold }, `churn ≥ ${t}`)));
  view.append(pageHead("Customers", "Segments, lifetime value and who may leave", select));
  const grid = h("div", { class: "grid cols-2" });
  view.append(grid);
  grid.append(panel(["Segments (RFM)", h("span", { class: "muted small" },
    "groups by how recently, how often and how much customers buy; the \"At risk\" group "
    + "is a buying pattern, not the churn model below")], async (body) => {
    const clusters = params.get("n_clusters");
    const data = await optional(`/demand-insights/segments${clusters
      ? "?n_clusters=" + clusters : ""}`);
    if (data === null) return unavailable("Customer segmentation");
    const rows = firstRows(data, ["segments"]);
    if (!rows.length) return empty("No segments yet", "Segments need customers with orders.");
    const nameKey = pick(rows[0], ["name", "segment", "label", "segment_name", "cluster"]);
    const sizeKey = pick(rows[0], ["customers", "size", "count", "n_customers", "customer_count"]);
    const chart = h("div");
    body.replaceChildren(summary(data, ["model_trained_now"]) || "", chart,
      table(autoColumns(rows), rows, { testid: "segments" }));
    if (nameKey && sizeKey) {
      barChart(chart, { categories: rows.map((r) => r[nameKey]), height: 200,
        series: [{ name: "Customers", values: rows.map((r) => r[sizeKey]) }] });
    }
    return undefined;
  }));
  grid.append(panel("Customer lifetime value", async (body) => {
    const data = await optional("/demand-insights/clv", { method: "POST", body: {} });
    if (data === null) return unavailable("CLV prediction");
    const rows = firstRows(data, ["customers", "predictions"]);
    const valueKey = rows.length ? pick(rows[0], ["clv", "predicted_clv", "value",
      "expected_value", "clv_12m"]) : null;
    const sorted = valueKey ? [...rows].sort((a, b) => b[valueKey] - a[valueKey]) : rows;
    body.replaceChildren();
    const kv = summary(data);
    if (kv) body.append(kv);
    body.append(table(autoColumns(sorted), sorted.slice(0, 50),
      { emptyText: "No CLV predictions", testid: "clv" }));
    return undefined;
  }));
  grid.append(panel(["Churn risk", h("span", { class: "muted" },
    `the churn model: probability of no order in the next 90 days ≥ ${threshold}`)],
    async (body) => {
      const data = await optional(`/demand-insights/at-risk-customers?threshold=${threshold}`
        + "&limit=100");
      if (data === null) return unavailable("Churn prediction");
      const rows = firstRows(data, ["customers"]);
      body.replaceChildren();
      const kv = summary(data);
      if (kv) body.append(kv);
      body.append(table(autoColumns(rows), rows, { emptyText: "No customer above this risk",
        testid: "at-risk" }));
      return undefined;
    }, { cls: "span-2" }));
}

async function pageCompliance(view, params) {
  const minScore = params.get("min_score") || "70";
  const page = Math.max(1, Number(params.get("page") || 1));
  const limit = 25;
  const select = h("select", { "aria-label": "Minimum risk score",
    onchange: (e) => go("compliance", { min_score: e.target.value }) },
  ["40", "50", "60", "70", "80", "90"].map((s) => h("option", { value: s,
    selected: s === minScore }, `risk ≥ ${s}`)));
  view.append(pageHead("Compliance", "Payments that look like fraud, and the PCI scan", select));
  const flagged = await api(`/compliance/flagged?min_score=${minScore}&limit=${limit}`
    + `&offset=${(page - 1) * limit}`);
  const levels = { high: 0, medium: 0, low: 0 };
  for (const item of flagged.items) levels[item.risk_level] = (levels[item.risk_level] || 0) + 1;
  view.append(h("div", { class: "kpis" },
    kpi("Flagged payments", fmt.int(flagged.total), `risk score ≥ ${minScore}`, "flagged-total",
      flagged.total),
    kpi("Highest score", flagged.items.length ? fmt.num(flagged.items[0].risk_score, 1) : "–",
      null, "kpi-highest")));
  const detail = h("div", {}, empty("Select a payment", "Its reasons and features show here."));
  const grid = h("div", { class: "grid cols-3" });
  view.append(grid);
  const pages = Math.max(1, Math.ceil(flagged.total / limit));
  grid.append(h("section", { class: "card span-2" }, h("h3", {}, "Flagged payments",
    h("span", { class: "muted" }, "click a row for its reasons")),
  table([
    { key: "payment_id", label: "Payment" },
    { key: "paid_at", label: "Paid at", format: fmt.time },
    { key: "amount", label: "Paid", num: true, format: (v, r) => fmt.money(v, r.currency || "") },
    { key: "amount_reporting", label: "Amount (USD)", num: true, format: (v) => fmt.money(v) },
    { key: "method", label: "Method" },
    { key: "risk_score", label: "Score", num: true, format: (v) => fmt.num(v, 1) },
    { key: "risk_level", label: "Level", format: (v) => h("span", { class: `badge ${v}` }, v) },
    { key: "reasons", label: "Main reason", format: (v) => (v && v.length ? v[0] : "–") },
  ], flagged.items, { rowKey: "payment_id", testid: "flagged",
    emptyText: `No payment has a risk score of ${minScore} or more`,
    onRow: (row) => showRisk(detail, row.payment_id) }),
  h("div", { class: "pager" }, `page ${page} of ${pages}`,
    h("button", { disabled: page <= 1, onclick: () => go("compliance",
      { min_score: minScore, page: page - 1 }) }, "‹ Previous"),
    h("button", { disabled: page >= pages, onclick: () => go("compliance",
      { min_score: minScore, page: page + 1 }) }, "Next ›"))));
  grid.append(card("Why it was flagged", detail));
  view.append(h("div", { style: "height:16px" }));
  view.append(panel("PCI scan", (body) => loadScan(body)));
}

async function showRisk(target, paymentId) {
  target.replaceChildren(h("div", { class: "loading" }, "Loading…"));
  try {
    const risk = await api(`/compliance/transactions/${encodeURIComponent(paymentId)}/risk`);
    target.replaceChildren(
      h("dl", { class: "kv", "data-testid": "risk-detail" },
        h("dt", {}, "payment"), h("dd", {}, risk.payment_id),
        h("dt", {}, "order"), h("dd", {}, risk.order_id || "–"),
        h("dt", {}, "customer"), h("dd", {}, risk.customer_id || "–"),
        h("dt", {}, "amount"), h("dd", {}, fmt.money(risk.amount, risk.currency || "")),
        h("dt", {}, "score"), h("dd", {}, `${fmt.num(risk.risk_score, 1)} (${risk.risk_level}, `
          + `${risk.scoring_method})`)),
      h("h3", { style: "margin:12px 0 6px" }, "Reasons"),
      h("ol", {}, (risk.reasons || []).map((r) => h("li", {}, r))),
      h("details", {}, h("summary", {}, "features"), summary(risk.features || {})));
  } catch (err) {
    target.replaceChildren(failure(err));
  }
}

async function loadScan(body) {
  const role = session.info?.role;
  let report = null;
  try {
    report = await api("/compliance/scan");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 403) {
      return stateBox("unavailable", "PCI scan results are for admins",
        "Ask an admin for the latest scan status.");
    }
    if (err.status !== 404) throw err;
    if (err.missingEndpoint) return unavailable("The PCI scan");
  }
  const run = role === "admin" ? h("button", { class: "primary", onclick: async (e) => {
    e.target.disabled = true;
    e.target.textContent = "Scanning the lake…";
    try {
      await api("/compliance/scan", { method: "POST" });
      body.replaceChildren(...[].concat(await loadScan(body)).filter(Boolean));
    } catch (err2) {
      body.replaceChildren(failure(err2));
    }
  } }, "Run a scan now") : null;
  if (!report) return [empty("No PCI scan has run yet"), run];
  const clean = !report.findings.length;
  return [
    h("div", { class: "kpis" },
      kpi("Status", clean ? "Clean" : "Findings", `finished ${fmt.time(report.finished_at)}`,
        "scan-status"),
      kpi("Findings", fmt.int(report.findings.length), null, "scan-findings",
        report.findings.length),
      kpi("Tables scanned", fmt.int(report.tables_scanned)),
      kpi("Files scanned", fmt.int(report.files_scanned)),
      kpi("Rows scanned", fmt.short(report.rows_scanned))),
    clean ? null : table([{ key: "kind", label: "Kind" }, { key: "location", label: "Where" },
      { key: "row", label: "Row", num: true }, { key: "sample", label: "Sample" },
      { key: "detail", label: "What to do" }], report.findings),
    run,
  ];
}

async function pageMarkets(view, params) {
  const by = params.get("by") || "region";
  const days = params.get("days") || "365";
  const region = params.get("region") || "";
  const bySel = h("select", { "aria-label": "Group by",
    onchange: (e) => go("markets", { by: e.target.value, days }) },
  ["region", "country"].map((v) => h("option", { value: v, selected: v === by }, `by ${v}`)));
  const daysSel = h("select", { "aria-label": "Period",
    onchange: (e) => go("markets", { by, days: e.target.value }) },
  [["30", "last 30 days"], ["90", "last 90 days"], ["365", "last 365 days"],
    ["730", "last 2 years"]].map(([v, t]) => h("option", { value: v, selected: v === days }, t)));
  view.append(pageHead("Markets", "Regions, countries and where to grow", bySel, daysSel));
  const report = await api(`/market-pulse/regions?by=${by}&days=${days}`);
  const c = report.reporting_currency;
  view.append(h("div", { class: "kpis" },
    kpi("Company revenue", fmt.short(report.total_revenue, c),
      `${fmt.date(report.period_start)} → ${fmt.date(report.period_end)}`, "markets-total",
      report.total_revenue),
    kpi(by === "region" ? "Regions" : "Countries", fmt.int(report.markets.length)),
    kpi("Largest", report.markets[0]?.market || "–",
      report.markets[0] ? fmt.pct(report.markets[0].share) + " of revenue" : null)));
  const grid = h("div", { class: "grid cols-2" });
  view.append(grid);
  const chart = h("div", { "data-testid": "markets-chart" });
  grid.append(card(["Revenue and growth ", h("span", { class: "muted" },
    by === "region" ? "click a bar to filter opportunities" : "")], chart));
  grid.append(card("Markets", table([
    { key: "market", label: by },
    ...(by === "country" ? [{ key: "region", label: "region" }] : []),
    { key: "revenue", label: `Revenue (${c})`, num: true, format: (v) => fmt.money(v) },
    { key: "orders", label: "Orders", num: true, format: fmt.int },
    { key: "customers", label: "Customers", num: true, format: fmt.int },
    { key: "average_order_value", label: "AOV", num: true, format: (v) => fmt.money(v) },
    { key: "share", label: "Share", num: true, format: (v) => fmt.pct(v) },
    { key: "growth_90d_yoy", label: "90d YoY", num: true, format: (v) => fmt.pct(v) },
  ], report.markets, { rowKey: "market", testid: "markets",
    emptyText: "No orders in this period",
    onRow: by === "region" ? (r) => go("markets", { by, days, region: r.market }) : null })));
  barChart(chart, { categories: report.markets.map((m) => m.market), height: 260,
    series: [{ name: `Revenue (${c})`, values: report.markets.map((m) => m.revenue) }],
    onClick: by === "region" ? (cat) => go("markets", { by, days, region: cat }) : null });
  view.append(h("div", { style: "height:16px" }));
  view.append(panel(["Opportunities", region ? h("span", {}, h("span", { class: "badge" },
    region), " ", h("a", { href: `#/markets?by=${by}&days=${days}` }, "show all")) : null],
  async (body) => {
    const opp = await api("/market-pulse/opportunities?limit=50");
    const items = opp.items.filter((o) => !region || o.region === region);
    if (!items.length) return empty("No opportunities ranked yet");
    const oc = h("div");
    body.replaceChildren(oc, table([
      { key: "rank", label: "#", num: true },
      { key: "region", label: "Region" }, { key: "category", label: "Category" },
      { key: "score", label: "Score", num: true, format: (v) => fmt.num(v, 1) },
      { key: "revenue", label: `Revenue (${opp.reporting_currency})`, num: true,
        format: (v) => fmt.money(v) },
      { key: "growth", label: "Growth", num: true, format: (v) => fmt.pct(v) },
      { key: "margin", label: "Margin", num: true, format: (v) => fmt.pct(v) },
      { key: "penetration_index", label: "Penetration", num: true, format: (v) => fmt.num(v) },
    ], items, { testid: "opportunities" }));
    const top = items.slice(0, 12);
    barChart(oc, { categories: top.map((o) => `${o.category} · ${o.region}`), height: 240,
      series: [
        { name: "size", values: top.map((o) => o.size_score) },
        { name: "growth", values: top.map((o) => o.growth_score) },
        { name: "headroom", values: top.map((o) => o.headroom_score) },
        { name: "margin", values: top.map((o) => o.margin_score) }],
      yFormat: (v) => fmt.num(v, 1) });
    return undefined;
  }));
}

// ---------------------------------------------------------------- copilot

const copilot = { conversationId: null, thread: [] };

async function pageCopilot(view) {
  view.append(pageHead("Copilot", "Ask about sales, products, customers and payments in plain words"));
  const list = h("div", { class: "conversations", "data-testid": "conversations" });
  const messages = h("div", { class: "messages", "data-testid": "messages", "aria-live": "polite" });
  const input = h("input", { name: "question", placeholder: "e.g. What were the top 5 products last month?",
    "aria-label": "Question", autocomplete: "off", maxlength: 2000 });
  const send = h("button", { type: "submit", class: "primary" }, "Ask");
  const form = h("form", { class: "ask-form", onsubmit: (e) => { e.preventDefault(); ask(); } },
    input, send);
  view.append(h("div", { class: "chat" },
    card("Conversations", h("button", { type: "button", onclick: () => {
      copilot.conversationId = null;
      copilot.thread = [];
      messages.replaceChildren(intro());
      list.querySelectorAll("button.on").forEach((b) => b.classList.remove("on"));
    } }, "+ New conversation"), list),
    h("section", { class: "card" }, messages, form)));

  const intro = () => empty("Ask a question to start",
    "Answers come with the rows behind them, a chart when it helps, and the SQL that ran.");
  const renderThread = () => {
    messages.replaceChildren(...(copilot.thread.length ? copilot.thread.map(messageNode)
      : [intro()]));
    messages.scrollTop = messages.scrollHeight;
  };
  const loadList = async () => {
    try {
      const data = await optional("/copilot/conversations");
      if (data === null) {
        list.replaceChildren(h("p", { class: "muted small" }, "History not available"));
        return;
      }
      const rows = firstRows(data, ["conversations", "items"]);
      list.replaceChildren(...(rows.length ? rows.map((c) => h("button", { type: "button",
        class: c.conversation_id === copilot.conversationId ? "on" : "", title: c.title || "",
        onclick: () => openConversation(c.conversation_id) }, c.title || c.conversation_id))
        : [h("p", { class: "muted small" }, "No conversations yet")]));
    } catch (err) {
      list.replaceChildren(h("p", { class: "error-text small" }, err.message));
    }
  };
  const openConversation = async (id) => {
    try {
      const conv = await api(`/copilot/conversations/${encodeURIComponent(id)}`);
      copilot.conversationId = id;
      copilot.thread = (conv.messages || []).map((m) => (m.role === "user"
        ? { role: "user", text: m.content }
        : { role: "assistant", answer: { answer: m.content, ...(m.metadata || {}) } }));
      renderThread();
      loadList();
    } catch (err) {
      messages.replaceChildren(failure(err));
    }
  };
  const ask = async (question = input.value.trim()) => {
    if (!question) return;
    input.value = "";
    send.disabled = true;
    copilot.thread.push({ role: "user", text: question });
    renderThread();
    const pending = h("div", { class: "msg assistant loading" }, "Thinking…");
    messages.append(pending);
    try {
      const answer = await api("/copilot/ask", { method: "POST",
        body: { question, ...(copilot.conversationId
          ? { conversation_id: copilot.conversationId } : {}) } });
      copilot.conversationId = answer.conversation_id || copilot.conversationId;
      copilot.thread.push({ role: "assistant", answer });
      loadList();
    } catch (err) {
      copilot.thread.push({ role: "error", error: err.missingEndpoint
        ? new Error("The copilot is not available on this server yet.") : err });
    }
    send.disabled = false;
    renderThread();
    input.focus();
  };
  const messageNode = (m) => {
    if (m.role === "user") return h("div", { class: "msg user" }, m.text);
    if (m.role === "error") return failure(m.error);
    const a = m.answer;
    const rows = a.rows || a.data?.rows || [];
    const columns = a.columns || a.data?.columns || (rows.length ? Object.keys(rows[0]) : []);
    const chartEl = h("div", { class: "answer-chart" });
    const node = h("div", { class: "msg assistant", "data-testid": "answer" },
      h("div", { class: "answer-text" }, a.answer || ""),
      chartEl,
      rows.length ? table(columns.map((k) => {
        const numeric = typeof rows.find((r) => r[k] !== null)?.[k] === "number";
        return { key: k, label: k.replaceAll("_", " "), num: numeric,
          format: numeric ? (v) => (Number.isInteger(v) ? fmt.int(v) : fmt.num(v)) : undefined };
      }), rows.slice(0, 200), { testid: "answer-rows" }) : null,
      a.sql ? h("details", {}, h("summary", {}, "SQL"), h("pre", {}, a.sql)) : null,
      a.system_call ? h("details", {}, h("summary", {}, "tool call"),
        h("pre", {}, a.system_call)) : null);
    const follow = a.follow_ups || a.suggestions || [];
    if (follow.length) {
      node.append(h("div", { class: "suggestions" }, follow.map((s) =>
        h("button", { type: "button", class: "chip", onclick: () => ask(s) }, s))));
    }
    if (a.chart && rows.length) requestAnimationFrame(() => drawAnswerChart(chartEl, a.chart, rows));
    return node;
  };
  renderThread();
  loadList();
}

/** Draw a copilot ChartSpec {mark, x, y, series?, title} over the answer's rows. */
function drawAnswerChart(el, spec, rows) {
  const { x, y, series: by, mark, title } = spec;
  if (!x || !y || !rows.some((r) => r[y] !== undefined)) return;
  const groups = new Map();
  for (const r of rows) {
    const key = by ? String(r[by]) : y;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const isDate = rows.every((r) => /^\d{4}-\d{2}-\d{2}/.test(String(r[x])));
  if (mark === "line" && (isDate || rows.every((r) => typeof r[x] === "number"))) {
    lineChart(el, { title, height: 220, xType: isDate ? "date" : "number",
      series: [...groups].map(([name, rs]) => ({ name,
        points: rs.map((r) => [r[x], r[y]]).sort((a, b) => (a[0] < b[0] ? -1 : 1)) })) });
  } else {
    const cats = [...new Set(rows.map((r) => String(r[x])))];
    barChart(el, { title, height: 220, categories: cats,
      series: [...groups].map(([name, rs]) => ({ name, values: cats.map((cat) => {
        const hit = rs.find((r) => String(r[x]) === cat);
        return hit ? hit[y] : null;
      }) })) });
  }
}

// ---------------------------------------------------------------- uploads

const uploadLog = [];

function contentTypeOf(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".parquet")) return "application/vnd.apache.parquet";
  if (name.endsWith(".csv") || file.type === "text/csv") return "text/csv";
  return file.type || "application/octet-stream";
}

/** PUT a file to a signed URL with XMLHttpRequest, reporting progress (0..1). */
function putWithProgress(url, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = xhr.responseText; }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => reject(new Error("the upload was interrupted "
      + "(network error); try again")));
    xhr.send(file);
  });
}

async function pageUploads(view, params) {
  const role = session.info?.role;
  const stores = session.info?.store_ids || [];
  view.append(pageHead("Uploads", "Send a store's POS file for a business day; see what was "
    + "processed and what was rejected, and why"));
  const storeInput = stores.length
    ? h("select", { id: "upload-store", name: "store_id" }, stores.map((s) => h("option",
      { value: s }, s)))
    : h("input", { id: "upload-store", name: "store_id", placeholder: "0001",
      pattern: "[0-9]{4}", required: true, maxlength: 4 });
  const dateInput = h("input", { id: "upload-date", name: "business_date", type: "date",
    required: true, value: sessionStorage.getItem(LAST_DATE) || today() });
  const fileInput = h("input", { id: "upload-file", name: "file", type: "file",
    accept: ".csv,.parquet,text/csv", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Upload");
  const bar = h("progress", { max: 100, value: 0, "data-testid": "upload-progress" });
  const pct = h("span", { class: "muted", "data-testid": "upload-percent" }, "");
  const progress = h("div", { class: "progress-row", hidden: true }, bar, pct);
  const result = h("div", { "data-testid": "upload-result" });
  const sessionList = h("div");

  const form = h("form", { class: "upload-form", "data-testid": "upload-form",
    onsubmit: async (e) => {
      e.preventDefault();
      const file = fileInput.files[0];
      if (!file) return;
      const storeId = storeInput.value.trim();
      const date = dateInput.value;
      const contentType = contentTypeOf(file);
      submit.disabled = true;
      progress.hidden = false;
      bar.value = 0;
      pct.textContent = "asking for an upload URL…";
      result.replaceChildren();
      try {
        const ticket = await api("/sales/upload-url", { method: "POST",
          body: { store_id: storeId, business_date: date, content_type: contentType } });
        pct.textContent = "0%";
        const res = await putWithProgress(ticket.url, file, contentType, (f) => {
          bar.value = Math.round(f * 100);
          pct.textContent = `${Math.round(f * 100)}% of ${fmt.bytes(file.size)}`;
        });
        bar.value = 100;
        pct.textContent = `100% of ${fmt.bytes(file.size)} — processed by the server`;
        const outcome = typeof res.body === "object" && res.body && res.body.status ? res.body
          : { status: "rejected", message: errorMessage(res.status, res.body, "upload failed"),
            problems: [] };
        sessionStorage.setItem(LAST_DATE, date);
        uploadLog.unshift({ file: file.name, store_id: storeId, business_date: date, ...outcome });
        result.replaceChildren(uploadResult(outcome));
        sessionList.replaceChildren(sessionTable());
        refreshFiles();
      } catch (err) {
        pct.textContent = "failed";
        result.replaceChildren(failure(err));
      } finally {
        submit.disabled = false;
        fileInput.value = "";
      }
    } },
  h("div", { class: "field" }, h("label", { for: "upload-store" }, "Store"), storeInput),
  h("div", { class: "field" }, h("label", { for: "upload-date" }, "Business date"), dateInput),
  h("div", { class: "field" }, h("label", { for: "upload-file" }, "File (CSV or Parquet)"),
    fileInput),
  submit);
  view.append(card("Upload a file", form, progress, result));

  const sessionTable = () => table([
    { key: "file", label: "File" }, { key: "store_id", label: "Store" },
    { key: "business_date", label: "Date" },
    { key: "status", label: "Status", format: (v) => h("span", { class: `badge ${v}` }, v) },
    { key: "rows", label: "Lines", num: true, format: fmt.int },
    { key: "message", label: "Message" },
  ], uploadLog, { emptyText: "Nothing uploaded from this tab yet", testid: "session-uploads" });
  sessionList.replaceChildren(sessionTable());
  view.append(h("div", { style: "height:16px" }), card("Uploaded from this tab", sessionList));

  const prefix = params.get("prefix") || "uploads/";
  const status = params.get("status") || "";
  const page = Math.max(1, Number(params.get("page") || 1));
  const filesBody = h("div", {}, h("div", { class: "loading" }, "Loading…"));
  const chips = ["uploads/", "processed/", "rejected/", "reports/"].map((p) =>
    h("button", { type: "button", class: `chip${p === prefix ? " on" : ""}`,
      onclick: () => go("uploads", { prefix: p }) }, p));
  const statusChips = ["", "processed", "rejected"].map((s) =>
    h("button", { type: "button", class: `chip${s === status ? " on" : ""}`,
      onclick: () => go("uploads", { prefix, status: s }) }, s || "all"));
  view.append(h("div", { style: "height:16px" }), h("section", { class: "card" },
    h("h3", {}, "Files", h("span", { class: "controls" }, chips, " ", statusChips)), filesBody));

  async function refreshFiles() {
    try {
      const data = await optional(`/sales/files?prefix=${encodeURIComponent(prefix)}`
        + `&page=${page}`);
      if (data === null) { filesBody.replaceChildren(unavailable("The file list")); return; }
      const items = (data.items || []).filter((f) => !status || f.status === status);
      const pages = Math.max(1, Math.ceil((data.total || 0) / (data.page_size || 50)));
      filesBody.replaceChildren(table([
        { key: "key", label: "Key" },
        { key: "store_id", label: "Store" },
        { key: "business_date", label: "Date", format: fmt.date },
        { key: "size", label: "Size", num: true, format: fmt.bytes },
        { key: "modified", label: "Modified", format: fmt.time },
        { key: "status", label: "Status", format: (v) => (v ? h("span",
          { class: `badge ${v}` }, v) : "–") },
        { key: "reason", label: "Reason" },
      ], items, { rowKey: "key", testid: "files",
        emptyText: role === "store" ? "No files of your stores here yet" : "No files here yet" }),
      h("div", { class: "pager" }, `${fmt.int(data.total)} files · page ${page} of ${pages}`,
        h("button", { disabled: page <= 1, onclick: () => go("uploads",
          { prefix, status, page: page - 1 }) }, "‹ Previous"),
        h("button", { disabled: page >= pages, onclick: () => go("uploads",
          { prefix, status, page: page + 1 }) }, "Next ›")));
    } catch (err) {
      filesBody.replaceChildren(failure(err));
    }
  }
  refreshFiles();
}

function uploadResult(r) {
  const ok = r.status === "processed";
  const m = r.metrics;
  return h("div", { class: `result ${ok ? "processed" : "rejected"}`, "data-status": r.status },
    h("div", {}, h("span", { class: `badge ${r.status}` }, r.status), " ", r.message || ""),
    ok && m ? h("div", { class: "kpis", style: "margin:10px 0 0" },
      kpi("Revenue", fmt.money(m.revenue, m.currency), m.currency !== "USD"
        ? `${fmt.money(m.revenue_reporting)} in reporting currency` : null, "upload-revenue",
      m.revenue),
      kpi("Transactions", fmt.int(m.transactions), null, "upload-transactions", m.transactions),
      kpi("Units", fmt.int(m.units)),
      kpi("Average basket", fmt.money(m.average_basket, m.currency))) : null,
    (r.problems || []).length ? h("div", {}, h("strong", {}, "Problems to fix"),
      h("ol", {}, r.problems.map((p) => h("li", {}, p)))) : null);
}

// ---------------------------------------------------------------- reports

async function pageReports(view, params) {
  const chosen = params.get("date");
  view.append(pageHead("Reports", "The daily analysis, day by day"));
  const reports = await optional("/sales/reports?limit=60");
  if (reports === null) {
    view.append(unavailable("The reports archive"));
    return;
  }
  if (!reports.length) {
    view.append(empty(NO_REPORT));
    return;
  }
  const date = chosen || fmt.date(reports[0].business_date);
  const grid = h("div", { class: "grid cols-3" });
  view.append(grid);
  grid.append(card("Archive", table([
    { key: "business_date", label: "Day", format: fmt.date },
    { key: "status", label: "Status", format: (v) => h("span", { class: `badge ${v}` }, v) },
    { key: "missing_stores", label: "Missing", format: (v) => (Array.isArray(v)
      ? (v.length ? v.join(", ") : "none") : v ?? "–") },
  ], reports, { rowKey: "business_date", testid: "reports",
    onRow: (r) => go("reports", { date: fmt.date(r.business_date) }) })));
  const viewer = h("section", { class: "card span-2" }, h("h3", {}, `Report of ${date}`,
    h("a", { href: `#/overview?date=${date}` }, "open as overview")),
  h("div", { class: "loading" }, "Loading…"));
  grid.append(viewer);
  try {
    const page = await api(`/sales/reports/${date}/html`, { text: true });
    const frame = h("iframe", { class: "report", sandbox: "", title: `Daily report ${date}`,
      "data-testid": "report-frame" });
    frame.srcdoc = page;
    viewer.lastChild.replaceWith(frame);
  } catch (err) {
    viewer.lastChild.replaceWith(err.status === 404 && !err.missingEndpoint
      ? empty(`No report for ${date}`, err.message) : failure(err));
  }
}

// ---------------------------------------------------------------- shell

const PAGES = [
  { id: "overview", title: "Overview", render: pageOverview, roles: ["admin", "analyst"] },
  { id: "stores", title: "Stores", render: pageStores, roles: ["admin", "analyst"] },
  { id: "products", title: "Products & pricing", render: pageProducts, roles: ["admin", "analyst"] },
  { id: "customers", title: "Customers", render: pageCustomers, roles: ["admin", "analyst"] },
  { id: "compliance", title: "Compliance", render: pageCompliance, roles: ["admin", "analyst"] },
  { id: "markets", title: "Markets", render: pageMarkets, roles: ["admin", "analyst"] },
  { id: "copilot", title: "Copilot", render: pageCopilot, roles: ["admin", "analyst"] },
  { id: "uploads", title: "Uploads", render: pageUploads, roles: ["admin", "analyst", "store"] },
  { id: "reports", title: "Reports", render: pageReports, roles: ["admin", "analyst"] },
];

function allowedPages() {
  const role = session.info?.role;
  return PAGES.filter((p) => !role || p.roles.includes(role));
}

async function render() {
  if (!session.key) { showLogin(); return; }
  const pages = allowedPages();
  const { page, params } = route();
  const current = pages.find((p) => p.id === page);
  if (!current) { location.replace(`#/${pages[0].id}`); return; }
  document.getElementById("nav").replaceChildren(...pages.map((p) => h("a",
    { href: `#/${p.id}`, class: p.id === current.id ? "active" : "",
      "aria-current": p.id === current.id ? "page" : null }, p.title)));
  document.title = `${current.title} · shopsight`;
  const view = document.getElementById("view");
  const id = ++renderId;
  view.replaceChildren();
  view.dataset.page = current.id;
  view.dataset.ready = "false";
  const stage = h("div");
  view.append(stage);
  try {
    await current.render(stage, params);
  } catch (err) {
    if (id !== renderId) return;
    if (err instanceof ApiError && err.status === 401) return;
    stage.append(err instanceof ApiError && err.missingEndpoint
      ? unavailable(current.title) : failure(err));
    if (!(err instanceof ApiError)) console.error(err);
  }
  if (id === renderId) view.dataset.ready = "true";
}

function showLogin(message = "") {
  document.getElementById("shell").hidden = true;
  document.getElementById("login").hidden = false;
  const error = document.getElementById("login-error");
  error.textContent = message;
  error.hidden = !message;
  document.getElementById("api-key").focus();
}

function showShell() {
  document.getElementById("login").hidden = true;
  document.getElementById("shell").hidden = false;
  const info = session.info || {};
  document.getElementById("who-role").textContent = info.role || "signed in";
  document.getElementById("who-name").textContent = [info.user_id,
    (info.store_ids || []).length ? `stores ${info.store_ids.join(", ")}` : ""]
    .filter(Boolean).join(" · ");
}

function signOut(message = "") {
  session.key = null;
  session.info = null;
  sessionStorage.removeItem(KEY_STORAGE);
  showLogin(message);
}

/** Check a key and learn its role; null when the key is refused. */
async function identify(key) {
  const res = await fetch("/app/session", { headers: { "X-API-Key": key } });
  if (res.ok) return res.json();
  if (res.status === 401) return null;
  if (res.status === 404) {
    // An older server without /app/session: the key is good if the API accepts it.
    const probe = await fetch("/sales/stores-status?business_date=" + today(),
      { headers: { "X-API-Key": key } });
    if (probe.status === 401) return null;
    return { role: probe.ok ? "analyst" : "store", user_id: "", store_ids: [] };
  }
  const body = await res.json().catch(() => null);
  throw new Error(errorMessage(res.status, body, "the server could not check the key"));
}

async function start() {
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const key = document.getElementById("api-key").value.trim();
    try {
      const info = await identify(key);
      if (!info) { showLogin("That key was not accepted (unknown or revoked)."); return; }
      session.key = key;
      session.info = info;
      sessionStorage.setItem(KEY_STORAGE, key);
      document.getElementById("api-key").value = "";
      showShell();
      render();
    } catch (err) {
      showLogin(err.message);
    }
  });
  document.getElementById("logout").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => { if (session.key) render(); });
  if (session.key) {
    try {
      session.info = await identify(session.key);
    } catch (err) {
      showLogin(err.message);
      return;
    }
    if (!session.info) { signOut("Your key is no longer valid; sign in again."); return; }
    showShell();
    render();
  } else {
    showLogin();
  }
}

start();
