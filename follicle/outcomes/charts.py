"""Server-drawn SVG charts: one series over time, its baseline, sessions and checkpoints.

The same markup is used on the pages and in the PDF report (DESIGN.md: no chart library, no
JavaScript). Colours are presentation attributes and classes, never inline styles (strict CSP).
Every chart has a title and a description for screen readers; pages show the numbers as a table
next to it as well.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from follicle.outcomes.progress import Series

LINE = "#2f6f6a"
GRID = "#dee2e6"
TEXT = "#495057"
BASE = "#6c757d"
SESSION = "#b85c00"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    span = high - low
    raw = span / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 6)]
    while ticks[-1] < high:  # up to the first tick at or above `high`, so no point is drawn outside
        ticks.append(round(ticks[-1] + step, 6))
    return ticks


def _el(tag: str, text: str = "", **attrs) -> str:
    """One SVG element; attribute names use _ for - (stroke_width → stroke-width)."""
    rendered = " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(value)}"' for name, value in attrs.items()
    )
    return f"<{tag} {rendered}>{text}</{tag}>" if text else f"<{tag} {rendered}/>"


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.1f}"


def line_chart(
    series: Series,
    *,
    sessions: list[dt.date] | None = None,
    checkpoints: list[tuple[str, dt.date]] | None = None,
    title: str = "",
    description: str = "",
    width: int = 640,
    height: int = 240,
    chart_id: str = "chart",
) -> SafeString:
    """An SVG line chart of `series` (its points' values by date)."""
    sessions = sessions or []
    checkpoints = checkpoints or []
    left, right, top, bottom = 56, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    points = series.points
    dates = [p.when for p in points] + list(sessions) + [d for _l, d in checkpoints]
    if not dates:
        dates = [timezone.localdate()]
    first, last = min(dates), max(dates)
    if first == last:
        first, last = first - dt.timedelta(days=15), last + dt.timedelta(days=15)
    days = (last - first).days or 1

    values = [p.value for p in points] or [0.0]
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 or max(abs(high) * 0.1, 1)
    ticks = _nice_ticks(low - pad, high + pad)
    y_low, y_high = ticks[0], ticks[-1]

    def x(day: dt.date) -> float:
        return left + plot_w * (day - first).days / days

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - y_low) / ((y_high - y_low) or 1))

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        f'<svg class="progress-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title or series.label)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for tick in ticks:
        ty = y(tick)
        out.append(_el("line", x1=left, x2=left + plot_w, y1=f"{ty:.1f}", y2=f"{ty:.1f}", stroke=GRID))
        out.append(
            _el("text", _fmt(tick), x=left - 6, y=f"{ty + 4:.1f}", text_anchor="end", font_size=11, fill=TEXT)
        )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" fill="{TEXT}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(series.unit)}</text>'
    )
    # Month ticks on the time axis.
    month = dt.date(first.year, first.month, 1)
    step = max(1, math.ceil(days / 30 / 8))
    while month <= last:
        if month >= first:
            mx = x(month)
            out.append(
                _el("line", x1=f"{mx:.1f}", x2=f"{mx:.1f}", y1=top + plot_h, y2=top + plot_h + 4, stroke=TEXT)
            )
            out.append(
                _el(
                    "text",
                    f"{month:%m/%y}",
                    x=f"{mx:.1f}",
                    y=top + plot_h + 16,
                    text_anchor="middle",
                    font_size=10,
                    fill=TEXT,
                )
            )
        month = dt.date(month.year + (month.month - 1 + step) // 12, (month.month - 1 + step) % 12 + 1, 1)
    out.append(_el("line", x1=left, x2=left + plot_w, y1=top + plot_h, y2=top + plot_h, stroke=TEXT))
    # Checkpoints (dashed) and sessions (ticks under the axis).
    for label, day in checkpoints:
        cx = x(day)
        out.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{BASE}" '
            f'stroke-dasharray="2 3" stroke-width="1"/>'
        )
        # A label near the right edge goes on the line's left, or it would be cut off.
        end = cx + 6 * len(label) + 3 > left + plot_w
        anchor = ' text-anchor="end"' if end else ""
        out.append(
            f'<text x="{cx - 3 if end else cx + 3:.1f}" y="{top + 10}" font-size="10" fill="{BASE}"'
            f"{anchor}>{escape(label)}</text>"
        )
    for day in sessions:
        sx = x(day)
        out.append(
            f'<path d="M {sx:.1f} {top + plot_h + 22} l -4 8 h 8 z" fill="{SESSION}" class="session-marker"/>'
        )
    if sessions:
        legend = f"▲ = {escape(_sessions_label())}"
        out.append(_el("text", legend, x=left, y=height - 4, font_size=10, fill=SESSION))
    # The baseline and the series.
    if series.baseline is not None:
        by = y(series.baseline.value)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{by:.1f}" y2="{by:.1f}" stroke="{BASE}" '
            f'stroke-dasharray="6 4" stroke-width="1.5"/>'
        )
    trichoscopy = [p for p in points if p.source != "manual"]
    if len(trichoscopy) > 1:
        path = " ".join(f"{x(p.when):.1f},{y(p.value):.1f}" for p in trichoscopy)
        out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for p in points:
        px, py = x(p.when), y(p.value)
        label = f"{p.when:%d/%m/%Y}: {_fmt(p.value)} {series.unit}"
        if p.source == "manual":
            out.append(
                _el(
                    "rect",
                    f"<title>{escape(label)}</title>",
                    x=f"{px - 4:.1f}",
                    y=f"{py - 4:.1f}",
                    width=8,
                    height=8,
                    fill="#ffffff",
                    stroke=LINE,
                    stroke_width=2,
                )
            )
        else:
            fill = "#ffffff" if p.corrected else LINE
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="{fill}" stroke="{LINE}" stroke-width="2">'
                f"<title>{escape(label)}</title></circle>"
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _sessions_label() -> str:
    from django.utils.translation import gettext

    return gettext("session")
