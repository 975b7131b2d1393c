"""Map & math family: labelled geometry figures (GeomVerse stand-in) and choropleth maps with a
legend (MapQA stand-in)."""

from __future__ import annotations

import math
import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import COLOURS, INK, PALETTE, WHITE, Canvas, shade
from dataprophet.data.suite.font import draw_text, draw_text_centered, text_size

GEOM_Q = {
    ("rectangle", "perimeter"): (
        "what is the perimeter of the rectangle?",
        "find the perimeter of this rectangle.",
        "what is the perimeter?",
    ),
    ("rectangle", "area"): ("what is the area of the rectangle?", "find the area of this rectangle."),
    ("triangle", "perimeter"): (
        "what is the perimeter of the triangle?",
        "find the perimeter of this triangle.",
        "what is the perimeter?",
    ),
    ("triangle", "area"): ("what is the area of the right triangle?", "find the area of this triangle."),
}


def make_geom(rng: random.Random, size: int, *, max_side: int = 9, shift: int = 0) -> dict:
    """A rectangle (width and height labelled) or a right triangle (legs, and for perimeter questions
    the hypotenuse, labelled); drawn roughly to scale, moved by up to ``shift`` grid units each way
    (v1: not moved)."""
    figure = rng.choice(("rectangle", "triangle"))
    quantity = rng.choice(("perimeter", "area"))
    while True:
        a, b = rng.randint(1, max_side), rng.randint(1, max_side)
        if figure == "rectangle" or quantity == "perimeter" or (a * b) % 2 == 0:
            break
    c = Canvas(size, background=WHITE)
    fill = shade(PALETTE[rng.choice(COLOURS)], 0.65)
    W, H = 14 + 3.5 * a, 10 + 3 * b
    x0, y1 = 12, 46
    if shift:
        x0 += rng.randint(-shift, min(shift, 63 - int(x0 + W)))
        y1 += rng.randint(-shift, shift)
    y0, x1 = y1 - H, x0 + W
    if figure == "rectangle":
        c.rect(x0, y0, W, H, fill=fill, outline=INK)
        answer = 2 * (a + b) if quantity == "perimeter" else a * b
    else:
        c.polygon([(x0, y0), (x1, y1), (x0, y1)], fill=fill, outline=INK)
        c.rect(x0, y1 - 4, 4, 4, outline=INK)  # right-angle mark
        hyp = math.floor(math.hypot(a, b) + 0.5)
        if quantity == "perimeter":
            # hypotenuse label, pushed outward from the middle of the slanted side
            nx, ny = H, W  # outward normal (up-right) of the hypotenuse
            norm = math.hypot(nx, ny)
            mx, my = (x0 + x1) / 2 + 8 * nx / norm, (y0 + y1) / 2 - 8 * ny / norm
            w, h = text_size(str(hyp))
            mx = min(max(mx, w / 2 + 1), 63 - w / 2)
            my = min(max(my, h / 2 + 1), y1 - h / 2)
            draw_text_centered(c, str(hyp), mx, my)
            answer = a + b + hyp
        else:
            answer = a * b // 2
    draw_text_centered(c, str(a), x0 + W / 2, y1 + 8)  # base, below
    draw_text(c, str(b), x0 - 9, y0 + H / 2 - 5)  # height, left
    return sample(c, pick(rng, GEOM_Q[(figure, quantity)]), str(answer))


REGIONS = ("north west", "north east", "south west", "south east")
SEA = (205, 228, 248)
REGION_OPTIONS = " (north west / north east / south west / south east)"
MAP_MAX_Q = ("which region has the highest value?", "which state has the highest value on the map?")
MAP_MIN_Q = ("which region has the lowest value?", "which state has the lowest value on the map?")
MAP_COLOUR_Q = ("what colour is the {r} region?", "what is the colour of the {r} state?")


def _luminance(rgb) -> float:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def _jagged(rng: random.Random, p0, p1, steps: int, amp: float, vertical: bool) -> list[tuple[float, float]]:
    """Points from p0 to p1 (exclusive of p1) with the cross coordinate jittered by +-amp."""
    pts = [p0]
    for i in range(1, steps):
        t = i / steps
        x, y = p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t
        j = rng.uniform(-amp, amp)
        pts.append((x + j, y) if vertical else (x, y + j))
    return pts


def make_map(rng: random.Random, size: int) -> dict:
    """Four quadrant states with jagged borders, each a legend colour; legend light (low) -> dark (high)."""
    legend = sorted(rng.sample(COLOURS, 4), key=lambda k: -_luminance(PALETTE[k]))  # low -> high
    assign = rng.sample(legend, 4)  # colour of NW, NE, SW, SE
    vx, hy = rng.randint(26, 38), rng.randint(18, 28)
    L, T, R, B = 3, 3, 61, 45
    v_top = _jagged(rng, (vx, T), (vx, hy), 3, 3, True)
    v_bot = _jagged(rng, (vx, hy), (vx, B), 3, 3, True) + [(vx, B)]
    h_left = _jagged(rng, (L, hy), (vx, hy), 3, 3, False)
    h_right = _jagged(rng, (vx, hy), (R, hy), 3, 3, False) + [(R, hy)]
    polys = [
        [(L, T)] + v_top + [(vx, hy)] + h_left[::-1],  # NW
        [(R, T)] + [(R, hy)] + h_right[::-1] + v_top[::-1],  # NE
        h_left + [(vx, hy)] + v_bot + [(L, B)],  # SW
        h_right + [(R, B)] + v_bot[::-1],  # SE
    ]
    c = Canvas(size, background=SEA)
    for poly, colour in zip(polys, assign):
        c.polygon(poly, fill=PALETTE[colour])
    c.line(v_top + v_bot, fill=INK)
    c.line(h_left + h_right, fill=INK)
    c.rect(L, T, R - L + 1, B - T + 1, outline=INK)
    # Coastline bites out of two random corners.
    for corner in rng.sample(range(4), 2):
        cx, cy = (L, R)[corner % 2], (T, B)[corner // 2]
        dx, dy = (6 if corner % 2 == 0 else -6), (6 if corner // 2 == 0 else -6)
        c.polygon([(cx, cy), (cx + dx, cy), (cx, cy + dy)], fill=SEA, outline=INK)
    # Legend: L, four swatches low -> high, H.
    draw_text(c, "L", 2, 51)
    for i, colour in enumerate(legend):
        c.rect(10 + 11 * i, 51, 11, 10, fill=PALETTE[colour], outline=INK)
    draw_text(c, "H", 56, 51)

    kind = rng.choice(("max", "min", "colour"))
    if kind == "colour":
        r = rng.randrange(4)
        return sample(c, pick(rng, MAP_COLOUR_Q, r=REGIONS[r]), assign[r])
    target = assign.index(legend[-1] if kind == "max" else legend[0])
    q = pick(rng, MAP_MAX_Q if kind == "max" else MAP_MIN_Q)
    if rng.random() < 0.5:
        q = q[:-1] + REGION_OPTIONS + "?"
    return sample(c, q, REGIONS[target])
