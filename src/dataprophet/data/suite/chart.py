"""Chart family: labelled bar charts (ChartQA stand-in) and line-chart captions (Chart2Text stand-in)."""

from __future__ import annotations

import random

from dataprophet.data.suite.common import NUMBER_WORDS, pick, sample
from dataprophet.data.suite.draw import COLOURS, INK, PALETTE, WHITE, Canvas
from dataprophet.data.suite.font import draw_text_centered

GRIDLINE = (218, 218, 218)

BAR_VALUE_Q = (
    "what is the value of the {c} bar?",
    "how high is the {c} bar?",
    "what number does the {c} bar show?",
)
BAR_MAX_Q = ("which bar is the tallest?", "which colour has the highest bar?")
BAR_MIN_Q = ("which bar is the shortest?", "which colour has the lowest bar?")


def make_bar(rng: random.Random, size: int, *, max_value: int = 9) -> dict:
    """3-4 coloured bars, heights 1..max_value on a unit gridline scale, value printed above each bar."""
    n = rng.choice((3, 4))
    colours = rng.sample(COLOURS, n)
    kind = rng.choices(("value", "max", "min"), weights=(2, 1, 1))[0]
    while True:
        values = [rng.randint(1, max_value) for _ in range(n)]
        if kind == "max" and values.count(max(values)) == 1:
            break
        if kind == "min" and values.count(min(values)) == 1:
            break
        if kind == "value":
            break
    c = Canvas(size, background=WHITE)
    base, unit = 58, 5
    for v in range(1, 10):
        c.rect(7, base - unit * v, 55, 1, fill=GRIDLINE)
    slot = 54 / n
    bar_w = 10
    for i, (col, v) in enumerate(zip(colours, values)):
        cx = 8 + slot * (i + 0.5)
        x0 = round(cx - bar_w / 2)
        c.rect(x0, base - unit * v, bar_w, unit * v, fill=PALETTE[col], outline=INK)
        draw_text_centered(c, str(v), x0 + bar_w / 2, base - unit * v - 7)
    c.rect(6, 8, 1, 51, fill=INK)  # y axis
    c.rect(6, base, 57, 1, fill=INK)  # x axis

    if kind == "value":
        i = rng.randrange(n)
        return sample(c, pick(rng, BAR_VALUE_Q, c=colours[i]), str(values[i]))
    target = values.index(max(values) if kind == "max" else min(values))
    return sample(c, pick(rng, BAR_MAX_Q if kind == "max" else BAR_MIN_Q), colours[target])


LINE_Q = (
    "describe the chart.",
    "summarize the line chart.",
    "what trend does the chart show?",
    "give a short caption for this chart.",
)
LINE_COLOURS = tuple(k for k in COLOURS if k != "yellow")  # yellow is too faint on white
LINE_KINDS = ("rise", "fall", "peak", "dip", "flat", "zigzag")


def _line_values(rng: random.Random, kind: str, n: int) -> tuple[list[int], int | None]:
    """Values in 1..8 following ``kind``; also the 0-based turning point for peak/dip."""
    if kind in ("rise", "fall"):
        vals = sorted(rng.sample(range(1, 9), n))
        return (vals if kind == "rise" else vals[::-1]), None
    if kind in ("peak", "dip"):
        k = rng.randint(1, n - 2)
        top = rng.randint(max(k, n - 1 - k) + 1, 8)
        left = sorted(rng.sample(range(1, top), k))
        right = sorted(rng.sample(range(1, top), n - 1 - k), reverse=True)
        vals = left + [top] + right
        return (vals if kind == "peak" else [9 - v for v in vals]), k
    if kind == "flat":
        return [rng.randint(2, 7)] * n, None
    # zigzag: alternate between a low band and a high band, so the direction turns >= twice.
    start_low = rng.random() < 0.5
    vals = []
    for i in range(n):
        low = (i % 2 == 0) == start_low
        vals.append(rng.randint(1, 3) if low else rng.randint(6, 8))
    return vals, None


def _caption(kind: str, k: int | None, colour: str) -> list[str]:
    """Two reference captions that name the line's colour and its shape, so the reference
    varies with the image (a constant caption matches at most the function words)."""
    line = f"{colour} line"
    if kind == "rise":
        return [f"{line} rises steadily", f"{colour} values increase"]
    if kind == "fall":
        return [f"{line} falls steadily", f"{colour} values decrease"]
    if kind == "peak":
        return [f"{line} peaks at point {NUMBER_WORDS[k + 1]}", f"{line} rises then falls"]
    if kind == "dip":
        return [f"{line} dips at point {NUMBER_WORDS[k + 1]}", f"{line} falls then rises"]
    if kind == "flat":
        return [f"{line} stays flat", f"{colour} values do not change"]
    return [f"{line} goes up and down", f"{line} zigzags"]


def make_line(rng: random.Random, size: int) -> dict:
    """A coloured line of 4-5 points over numbered x ticks; the answer is a caption naming its
    colour and shape, from a small grammar."""
    n = rng.choice((4, 5))
    kind = rng.choice(LINE_KINDS)
    values, k = _line_values(rng, kind, n)
    c = Canvas(size, background=WHITE)
    base, unit = 49, 5
    for v in range(1, 9):
        c.rect(5, base - unit * v, 58, 1, fill=GRIDLINE)
    c.rect(4, 4, 1, 46, fill=INK)
    c.rect(4, base, 59, 1, fill=INK)
    step = 48 / (n - 1)
    pts = [(10 + i * step, base - unit * v) for i, v in enumerate(values)]
    colour = rng.choice(LINE_COLOURS)
    c.line(pts, fill=PALETTE[colour], width=2)
    for i, (x, y) in enumerate(pts):
        c.rect(round(x) - 2, y - 2, 4, 4, fill=INK)
        draw_text_centered(c, str(i + 1), x, 57)
    return sample(c, pick(rng, LINE_Q), _caption(kind, k, colour))
