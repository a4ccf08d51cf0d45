"""Charts drawn on the server as SVG: the one way to draw a chart in Bluebird.

Why SVG from the server rather than a JS chart library: it costs the phone no script
(uPlot is ~22 KB gzipped, Chart.js ~71 KB), it works under the strict CSP (no inline
script or style: colours come from CSS classes in app.css, geometry from SVG attributes),
it prints on A4 exactly as shown, and it renders before any script runs.

Every chart must be shown with its table beside or below it (for print and screen
readers); the SVG itself carries a <title> and is marked role="img".

    line_chart(["1月", "2月"], [("张三", [98, 95.5])], title="近12个月得分")
    bar_chart(["第1周", "第2周"], [12, 7], title="每周投诉")
"""
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 30
SERIES_CLASSES = 6  # .chart-s0 … .chart-s5 in app.css


def _nice_step(span):
    """A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about four bands."""
    import math

    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _scale(values, y_min=None, y_max=None):
    """The axis from lo to hi, widened to whole steps so the grid reads 0, 25, 50, 75, 100."""
    import math

    known = [v for v in values if v is not None]
    lo = min(known + [0]) if y_min is None else y_min
    hi = max(known + [1]) if y_max is None else y_max
    if hi <= lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    if y_min is None:
        lo = math.floor(lo / step) * step
    if y_max is None:
        hi = lo + math.ceil((hi - lo) / step - 1e-9) * step
    if hi - lo > 4 * step:  # four bands of the grid: widen the step to fit them
        step = (hi - lo) / 4
    return lo, hi


def _nice(x):
    return f"{x:g}" if abs(x) < 1000 else f"{x:,.0f}"


class Chart(Markup):
    """The SVG markup, carrying its title as `.caption` for a visible <figcaption>."""

    __slots__ = ("caption",)


def _frame(title, lo, hi, labels, body):
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'preserveAspectRatio="xMidYMid meet" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):  # four bands of grid with their values
        value = lo + (hi - lo) * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_nice(value)}</text>')
    step = max(1, -(-len(labels) // 12))  # at most ~12 labels on the axis
    n = max(len(labels), 1)
    for i, label in enumerate(labels):
        if i % step:
            continue
        x = LEFT + plot_w * (i + 0.5) / n
        parts.append(f'<text class="chart-axis" x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">{escape(label)}</text>')
    parts.extend(body)
    parts.append("</svg>")
    chart = Chart("".join(parts))
    chart.caption = title
    return chart


def line_chart(labels, series, *, title, y_min=None, y_max=None):
    """One polyline per (name, values) series; None values leave a gap in the line."""
    labels = [str(label) for label in labels]
    lo, hi = _scale([v for _name, values in series for v in values], y_min, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    body = []
    for s, (name, values) in enumerate(series):
        css = f"chart-s{s % SERIES_CLASSES}"
        runs, run = [], []
        for i, v in enumerate(values):
            if v is None:
                runs.append(run)
                run = []
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h - plot_h * (v - lo) / (hi - lo)
            run.append((x, y, v, labels[i] if i < len(labels) else ""))
        runs.append(run)
        body.append(f'<g class="{css}"><title>{escape(name)}</title>')
        for r in runs:
            if len(r) > 1:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, _v, _l in r)
                body.append(f'<polyline class="chart-line" points="{pts}"/>')
            for x, y, v, label in r:
                body.append(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                            f"<title>{escape(name)} {escape(label)}: {_nice(v)}</title></circle>")
        body.append("</g>")
    return _frame(title, lo, hi, labels, body)


def bar_chart(labels, values, *, title, y_max=None):
    """One bar per label (None draws nothing)."""
    labels = [str(label) for label in labels]
    lo, hi = _scale(values, 0, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    slot = plot_w / n
    body = ['<g class="chart-s0">']
    for i, v in enumerate(values):
        if v is None:
            continue
        h = plot_h * (v - lo) / (hi - lo)
        x = LEFT + slot * i + slot * 0.15
        body.append(f'<rect class="chart-bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{h:.1f}"><title>{escape(labels[i])}: {_nice(v)}</title></rect>')
    body.append("</g>")
    return _frame(title, lo, hi, labels, body)
