"""The daily report: HTML with inline SVG charts (no scripts, no CDN), JSON, and a
plain-text summary for alerts. Pure rendering of :class:`DailyInsights`."""

from __future__ import annotations

from html import escape

from shopsight.systems.sales.insights import ChangeLine, DailyInsights

STORE_REVENUE = ("Store revenue is store sales as the stores' POS uploads report them, in "
                 "the reporting currency: every order but cancelled ones, a return counting "
                 "on the day it is made. Net sales of every channel (returns and refunds "
                 "left out) are in Global Market Pulse and the copilot.")


def _windows(change: ChangeLine) -> str:
    """The days a change compares, e.g. "2026-10-24–2026-11-20 vs 2026-09-26–2026-10-23"."""
    if change.current_start is None or change.previous_start is None:
        return ""
    return (f"{change.current_start}–{change.current_end} vs "
            f"{change.previous_start}–{change.previous_end}")


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def text_summary(insights: DailyInsights) -> str:
    """A few lines that stand on their own in an email or chat message."""
    c = insights.currency
    lines = [
        f"Daily sales {insights.business_date}: {_money(insights.revenue, c)} store revenue, "
        f"{insights.transactions:,} transactions, average basket "
        f"{_money(insights.average_basket, c)}.",
        f"Stores reported: {len(insights.stores_reported)} of "
        f"{len(insights.stores_reported) + len(insights.stores_missing)}"
        + (f"; missing: {', '.join(insights.stores_missing)}." if insights.stores_missing
           else "."),
    ]
    for change in insights.changes:
        lines.append(f"{change.label.capitalize()}: {_pct(change.change_pct)}.")
    high = [a for a in insights.anomalies if a.severity == "high"]
    if high:
        lines.append(f"High-severity anomalies ({len(high)}):")
        lines += [f"  - {a.description}" for a in high[:10]]
    if insights.recommendations:
        lines.append("Top recommendations:")
        lines += [f"  - {r.title} ({_money(r.money_at_stake, c)} at stake)"
                  for r in insights.recommendations[:5]]
    return "\n".join(lines)


def _line_chart(points: list[tuple[str, float]], width: int = 640, height: int = 180) -> str:
    if len(points) < 2:
        return "<p>Not enough history for a chart yet.</p>"
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 40) / (len(points) - 1)
    coords = [(20 + i * step, height - 20 - (v - low) / span * (height - 40))
              for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    last_x, last_y = coords[-1]
    return (f'<svg role="img" aria-label="Revenue, last {len(points)} days" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">'
            f'<polyline fill="none" stroke="#2563eb" stroke-width="2" points="{path}"/>'
            f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="4" fill="#dc2626"/>'
            f'<text x="20" y="14" font-size="11">{escape(points[0][0])}</text>'
            f'<text x="{width - 90}" y="14" font-size="11">{escape(points[-1][0])}</text>'
            "</svg>")


def _bar_chart(bars: list[tuple[str, float]], width: int = 640) -> str:
    if not bars:
        return "<p>No store data.</p>"
    top = max(v for _, v in bars) or 1.0
    height = 22 * len(bars) + 10
    rows = []
    for i, (label, value) in enumerate(bars):
        length = value / top * (width - 160)
        rows.append(f'<text x="0" y="{i * 22 + 16}" font-size="12">{escape(label)}</text>'
                    f'<rect x="60" y="{i * 22 + 4}" width="{length:.1f}" height="16" '
                    f'fill="#16a34a"/><text x="{66 + length:.1f}" y="{i * 22 + 16}" '
                    f'font-size="11">{value:,.0f}</text>')
    return (f'<svg role="img" aria-label="Revenue by store" width="{width}" height="{height}">'
            + "".join(rows) + "</svg>")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(insights: DailyInsights) -> str:
    """A self-contained HTML page (charts as inline SVG)."""
    c = insights.currency
    missing = (f'<p class="warn">Missing stores: {escape(", ".join(insights.stores_missing))}'
               "</p>" if insights.stores_missing else "")
    history = [(d.isoformat(), v) for d, v in insights.revenue_history]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>shopsight daily report {insights.business_date}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#111}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ddd;padding:4px 8px;
text-align:left}}.kpi{{display:inline-block;margin-right:2em}}.warn{{color:#b45309}}</style>
</head><body>
<h1>Daily sales report — {insights.business_date}</h1>
{missing}
<div><span class="kpi"><b>Store revenue</b><br>{_money(insights.revenue, c)}</span>
<span class="kpi"><b>Transactions</b><br>{insights.transactions:,}</span>
<span class="kpi"><b>Units</b><br>{insights.units:,}</span>
<span class="kpi"><b>Average basket</b><br>{_money(insights.average_basket, c)}</span></div>
<p>{escape(STORE_REVENUE)}</p>
<h2>Changes</h2>
{_table(["period", "days compared", "current", "previous", "change"], [[
        ch.label, _windows(ch), f"{ch.current:,.0f}",
        "n/a" if ch.previous is None else f"{ch.previous:,.0f}", _pct(ch.change_pct)]
        for ch in insights.changes])}
<h2>Store revenue trend</h2>
{_line_chart(history)}
<h2>Stores</h2>
{_bar_chart([(s.store_id, s.revenue) for s in insights.stores])}
<h2>Anomalies</h2>
{_table(["severity", "store", "product", "kind", "observed", "expected range", "what"],
        [[a.severity, a.store_id, a.product_id or "", a.kind, f"{a.observed:,.0f}",
          f"{a.low:,.0f}–{a.high:,.0f}", a.description] for a in insights.anomalies])}
<h2>What drove the change</h2>
<p>{escape(insights.drivers_period)}</p>
{_table(["dimension", "name", "change", "share of change"],
        [[d.dimension, d.name, f"{d.change:+,.0f}", f"{d.contribution_pct:+.0f}%"]
         for d in insights.drivers])}
<h2>Recommendations</h2>
{_table(["action", "evidence", "at stake"],
        [[r.title, r.evidence, _money(r.money_at_stake, c)] for r in insights.recommendations])}
<h2>Top products</h2>
{_table(["product", "category", "units", "revenue"],
        [[p.product_id + (f" {p.name}" if p.name else ""), p.category, f"{p.units:,}",
          f"{p.revenue:,.0f}"] for p in insights.top_products])}
</body></html>
"""
