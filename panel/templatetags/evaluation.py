"""The Evaluation section's drawings: the training curve as SVG and word diffs as marked-up text.

Both are built on the server. The Content-Security-Policy allows no inline style, so the
SVG is drawn with presentation attributes (stroke=, fill=), which it does allow, and the
diffs carry classes that panel.css colours.
"""

import math
from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 52, 16, 36  # room for the axes' labels
GRID_LINES = 4
LOSS, VALID_LOSS, VALID_WER = "#2563eb", "#93c5fd", "#ea580c"  # panel.css's .swatch-* match


@register.simple_tag
def curve_chart(curve: Sequence[dict]) -> SafeString:
    """Training and validation loss (left axis) and validation WER (right axis) per epoch."""
    points = sorted(curve, key=lambda point: point["epoch"])
    if not points:
        return mark_safe("")
    epochs = [point["epoch"] for point in points]
    losses = [v for point in points for v in (point.get("loss"), point.get("valid_loss")) if v is not None]
    wers = [point["valid_wer"] for point in points if point.get("valid_wer") is not None]
    loss_top = _nice_ceiling(max(losses, default=1.0))
    wer_top = _nice_ceiling(max(wers, default=100.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(epoch: int) -> float:
        first, last = epochs[0], epochs[-1]
        return LEFT + (plot_w / 2 if last == first else (epoch - first) / (last - first) * plot_w)

    def y(value: float, top: float) -> float:
        return TOP + plot_h - min(value, top) / top * plot_h

    parts = [_grid(loss_top, wer_top, plot_w, plot_h), _epoch_ticks(epochs, x)]
    series = [
        ("loss", "Training loss", LOSS, "", loss_top, "{:.3f}"),
        ("valid_loss", "Validation loss", VALID_LOSS, "5 4", loss_top, "{:.3f}"),
        ("valid_wer", "Validation WER", VALID_WER, "", wer_top, "{:.1f}%"),
    ]
    for key, label, colour, dashes, top, shown in series:
        values = [(point["epoch"], point[key]) for point in points if point.get(key) is not None]
        if values:
            parts.append(_series(key, label, colour, dashes, values, x, lambda v, t=top: y(v, t), shown))
    first, last = points[0], points[-1]
    description = (
        f"{len(points)} epoch{'s' if len(points) != 1 else ''}: "
        f"training loss {first['loss']:.3f} to {last['loss']:.3f}"
    )
    if wers:
        description += f"; validation WER {wers[0]:.1f}% to {wers[-1]:.1f}%"
    return format_html(
        '<svg class="curve-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="curve-title curve-desc"'
        ' data-testid="training-curve" xmlns="http://www.w3.org/2000/svg">'
        '<title id="curve-title">Training curve</title><desc id="curve-desc">{desc}.</desc>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        desc=description,
        body=mark_safe("".join(parts)),
    )


def _nice_ceiling(value: float) -> float:
    """The axis top: the next of 1, 2, 4, 8 × 10^n at or above the value (round quarters)."""
    if value <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 8, 10):
        if value <= step * scale:
            return step * scale
    return 10 * scale


def _grid(loss_top: float, wer_top: float, plot_w: float, plot_h: float) -> str:
    rows = []
    for i in range(GRID_LINES + 1):
        y = TOP + plot_h - i / GRID_LINES * plot_h
        rows.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="#e5e7eb" stroke-width="1"/>'
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="11" fill="#6b7280">{loss}</text>'
                '<text x="{rx}" y="{ty}" text-anchor="start" font-size="11" fill="#6b7280">{wer}%</text>',
                LEFT,
                LEFT + plot_w,
                y=f"{y:.1f}",
                ty=f"{y + 4:.1f}",
                lx=LEFT - 6,
                rx=LEFT + plot_w + 6,
                loss=_short(loss_top * i / GRID_LINES),
                wer=_short(wer_top * i / GRID_LINES),
            )
        )
    axis_y = TOP + plot_h / 2
    rows.append(
        format_html(
            '<text x="12" y="{y}" font-size="11" fill="#6b7280" text-anchor="middle"'
            ' transform="rotate(-90 12 {y})">Loss</text>'
            '<text x="{rx}" y="{y}" font-size="11" fill="#6b7280" text-anchor="middle"'
            ' transform="rotate(90 {rx} {y})">Validation WER</text>',
            y=f"{axis_y:.1f}",
            rx=WIDTH - 8,
        )
    )
    return "".join(rows)


def _epoch_ticks(epochs: list[int], x) -> str:
    step = max(1, -(-len(epochs) // 12))  # at most a dozen labels
    baseline = HEIGHT - BOTTOM
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#6b7280">{}</text>',
        ((f"{x(epoch):.1f}", baseline + 16, epoch) for epoch in epochs[::step]),
    )
    return format_html(
        '{}<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#6b7280">Epoch</text>',
        ticks,
        LEFT + (WIDTH - LEFT - RIGHT) / 2,
        HEIGHT - 4,
    )


def _series(key, label, colour, dashes, values, x, y, shown) -> str:
    line = " ".join(f"{x(epoch):.1f},{y(value):.1f}" for epoch, value in values)
    name = label[0].lower() + label[1:]  # "validation WER" keeps its capitals
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"><title>Epoch {}: {} {}</title></circle>',
        (
            (f"{x(epoch):.1f}", f"{y(value):.1f}", colour, epoch, name, shown.format(value))
            for epoch, value in values
        ),
    )
    return format_html(
        '<g class="series series-{}" aria-label="{}"><polyline points="{}" fill="none" stroke="{}"'
        ' stroke-width="2" stroke-dasharray="{}" stroke-linejoin="round"/>{}</g>',
        key.replace("_", "-"),
        label,
        line,
        colour,
        dashes or "none",
        dots,
    )


def _short(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


OP_MARKUP = {
    "equal": '<span class="w">{hyp}</span>',
    "substitute": '<span class="w w-sub" title="said: {ref}">{hyp}</span>',
    "insert": '<ins class="w w-ins" title="not said">{hyp}</ins>',
    "delete": '<del class="w w-del" title="missed">{ref}</del>',
}


@register.filter
def word_diff(ops: Sequence[dict] | None) -> SafeString:
    """A model's words against the reference (after normalisation): substitutions,
    insertions and deletions marked with classes, the reference word in a title."""
    return format_html_join(
        " ",
        "{}",
        (
            (format_html(OP_MARKUP[op["op"]], ref=op.get("ref") or "", hyp=op.get("hyp") or ""),)
            for op in ops or []
            if op.get("op") in OP_MARKUP
        ),
    )


@register.filter
def points(value: float | None) -> str:
    """A change in percentage points, signed: +1.2, −0.5, ±0."""
    if value is None:
        return "—"
    if round(value, 1) == 0:
        return "±0"
    return f"+{value:.1f}" if value > 0 else f"−{abs(value):.1f}"
