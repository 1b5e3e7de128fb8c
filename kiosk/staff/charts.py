"""Charts drawn on the server as inline SVG: readable without JavaScript, printed as they are shown,
and nothing inline that the page's Content-Security-Policy forbids (presentation attributes only)."""
from __future__ import annotations

from markupsafe import Markup, escape


def sparkline(values: list[int], label: str, *, width: int = 160, height: int = 28) -> Markup:
    """A series (oldest first) as a small line, its highest value at the top, its last one marked;
    ``label`` says what it shows to a screen reader and in the tooltip."""
    top = max(values, default=0) or 1
    step = (width - 4) / max(len(values) - 1, 1)
    points = [(2 + index * step, height - 2 - value * (height - 4) / top) for index, value in enumerate(values)]
    if len(points) == 1:
        points.insert(0, (2, points[0][1]))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    title = escape(label)
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="currentColor"/></svg>')


# The larger charts of the Reports page. Colours come from the console's stylesheet (``.chart .s0`` ...,
# each at least 3:1 against the page); every bar and point also carries its number as text, so a chart
# reads without colour and prints, and a table of the same figures follows it on the page.
ROW = 22         # a bar's height with its gap
LABEL_WIDTH = 190
CHART_WIDTH = 640
LEGEND = 22


def _fitted(name: str, room: int = 29) -> str:
    """A label cut to the room beside the bars (the table below the chart has it whole)."""
    return name if len(name) <= room else name[:room - 1].rstrip() + "…"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(kind: str, label: str, height: float, body: str, width: int = CHART_WIDTH) -> Markup:
    title = escape(label)
    return Markup(f'<svg class="chart {kind}" viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
                  f'role="img" aria-label="{title}"><title>{title}</title>{body}</svg>')


def _legend(names: list[str], mark_name: str = "") -> tuple[str, int]:
    """A swatch and name per series (and the marks' line), wrapped to the chart's width; its height."""
    parts, x, y = [], LABEL_WIDTH, 4
    items = [(f'<rect class="s{index}" x="{{x}}" y="{{y}}" width="12" height="12"/>', name)
             for index, name in enumerate(names)]
    if mark_name:
        items.append(('<line class="mark" x1="{x6}" y1="{y}" x2="{x6}" y2="{y12}" stroke-width="2"/>', mark_name))
    for swatch, name in items:
        width = 24 + 7 * len(name)
        if x + width > CHART_WIDTH and x > LABEL_WIDTH:
            x, y = LABEL_WIDTH, y + LEGEND - 4
        parts.append(swatch.format(x=x, y=y, x6=x + 6, y12=y + 12)
                     + f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(name)}</text>')
        x += width
    return "".join(parts), y + LEGEND - 4


def grouped_bars(labels: list[str], series: list[tuple[str, list[float | None]]], label: str, *,
                 marks: list[float | None] | None = None, mark_name: str = "") -> Markup:
    """Horizontal bars, a group per label and a bar per series (a legend above when more than one);
    ``marks``: a vertical line per group (a deadline), named ``mark_name`` in the legend."""
    top = max([v or 0 for _, values in series for v in values] + [m or 0 for m in marks or []], default=0) or 1
    scale = (CHART_WIDTH - LABEL_WIDTH - 70) / top
    y, parts = 4, []
    if len(series) > 1 or marks:
        legend, y = _legend([name for name, _ in series], mark_name if marks else "")
        parts.append(legend)
    top_of_bars = y
    for row, name in enumerate(labels):
        group_top = y
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(_fitted(name))}</text>')
        for index, (_, values) in enumerate(series):
            value = values[row]
            length = (value or 0) * scale
            parts.append(f'<rect class="s{index}" x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="{ROW - 6}"/>'
                         f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 15}" font-size="11">{_number(value)}</text>')
            y += ROW
        if marks and marks[row] is not None:
            x = LABEL_WIDTH + marks[row] * scale
            parts.append(f'<line class="mark" x1="{x:.1f}" y1="{group_top}" x2="{x:.1f}" y2="{y}" stroke-width="2"/>')
        y += 6 if len(series) > 1 else 0
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{top_of_bars}" x2="{LABEL_WIDTH}" y2="{y}"/>')
    return _svg("bars", label, y + 4, "".join(parts))


def bars(labels: list[str], values: list[float | None], label: str) -> Markup:
    """Horizontal bars, one per label, each with its number."""
    return grouped_bars(labels, [("", values)], label)


def lines(labels: list[str], series: list[tuple[str, list[float | None]]], label: str, *,
          top: float | None = None, unit: str = "") -> Markup:
    """A line per series over labels in time order (months), the value axis from 0 to ``top`` (the
    highest value when not given) with three ticks; the x axis names January of each year, or every
    month when there are few. A value None is a gap."""
    height, left, bottom, right = 220, 56, 40, 30
    top = top or max([v or 0 for _, values in series for v in values], default=0) or 1
    plot_w, plot_h = CHART_WIDTH - left - right, height - LEGEND - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def at(index: int, value: float) -> tuple[float, float]:
        return left + index * step, LEGEND + plot_h - value / top * plot_h

    parts = [_legend([name for name, _ in series])[0]] if len(series) > 1 else []
    for tick in (0, top / 2, top):
        _, y = at(0, tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{CHART_WIDTH - right}" y2="{y:.1f}"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_number(tick)}{unit}</text>')
    few = len(labels) <= 14
    for index, name in enumerate(labels):
        if few or name.endswith("-01"):
            x, _ = at(index, 0)
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">'
                         f'{escape(name if few else name[:4])}</text>')
    for number, (_, values) in enumerate(series):
        points = [at(index, value) for index, value in enumerate(values) if value is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="s{number}" fill="none" stroke-width="2" points="{path}"/>')
        if few:
            parts.extend(f'<circle class="s{number}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    return _svg("lines", label, height, "".join(parts))
