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
