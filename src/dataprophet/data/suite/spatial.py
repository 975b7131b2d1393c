"""Spatial family: distances between labelled regions on an implicit 8x8 grid (Open-Spatial stand-in)
and relational questions among a few shapes (CLEVR-Relation stand-in)."""

from __future__ import annotations

import math
import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import (
    BACKDROPS,
    COLOURS,
    PALETTE,
    SHAPES,
    Canvas,
    draw_shape,
    noise_canvas,
    shade,
)
from dataprophet.data.suite.font import draw_text_centered

CELL = 8  # the implicit grid: 8x8 cells of 8 px, aligned with the vision patches
REGION = 2  # each labelled region covers 2x2 cells

OPEN_H_Q = (
    "how many cells apart are A and B horizontally?",
    "what is the horizontal distance between A and B in cells?",
)
OPEN_V_Q = (
    "how many cells apart are A and B vertically?",
    "what is the vertical distance from A to B in cells?",
)
OPEN_D_Q = (
    "how many cells apart are A and B?",
    "what is the distance between A and B in grid cells?",
)


def _blocks_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] - b[0]) < REGION and abs(a[1] - b[1]) < REGION


def _axis_pair(rng: random.Random, gap: int) -> tuple[int, int]:
    lo = rng.randint(0, 8 - REGION - gap)
    pair = (lo, lo + gap)
    return pair if rng.random() < 0.5 else pair[::-1]


def make_open(rng: random.Random, size: int) -> dict:
    """Two outlined 2x2-cell regions labelled A and B, plus unlabelled distractor shapes."""
    kind = rng.choice(("h", "v", "d"))
    span = 8 - REGION  # top-left cell index runs 0..span
    while True:
        if kind == "d":
            a = (rng.randint(0, span), rng.randint(0, span))
            b = (rng.randint(0, span), rng.randint(0, span))
        else:
            gap = rng.randint(1, span)
            main = _axis_pair(rng, gap)
            other = (rng.randint(0, span), rng.randint(0, span))
            if kind == "h":
                a, b = (main[0], other[0]), (main[1], other[1])
            else:
                a, b = (other[0], main[0]), (other[1], main[1])
        if not _blocks_overlap(a, b):
            break
    dx, dy = abs(a[0] - b[0]), abs(a[1] - b[1])
    if kind == "h":
        answer, templates = dx, OPEN_H_Q
    elif kind == "v":
        answer, templates = dy, OPEN_V_Q
    else:
        answer, templates = math.floor(math.hypot(dx, dy) + 0.5), OPEN_D_Q

    c = noise_canvas(rng, size, rng.choice(BACKDROPS), amplitude=20, block=2)
    taken = [a, b]
    for _ in range(rng.randint(1, 3)):
        for _try in range(10):
            d = (rng.randint(0, span), rng.randint(0, span))
            if not any(_blocks_overlap(d, t) for t in taken):
                taken.append(d)
                draw_shape(
                    c, rng.choice(SHAPES), (d[0] + 1) * CELL, (d[1] + 1) * CELL, 10, fill=PALETTE[rng.choice(COLOURS)]
                )
                break
    for label, (col, row), colour in zip("AB", (a, b), rng.sample(COLOURS, 2)):
        x, y = col * CELL, row * CELL
        c.rect(x, y, REGION * CELL, REGION * CELL, fill=shade(PALETTE[colour], 0.75), outline=PALETTE[colour], width=2)
        draw_text_centered(c, label, x + CELL, y + CELL)
    return sample(c, pick(rng, templates), str(answer))


RELATIONS = {"left": "left of", "right": "right of", "above": "above", "below": "below"}
GRID_COLOUR_Q = (
    "what colour is the object {rel} the {ref}?",
    "which colour is the thing {rel} the {ref}?",
)
GRID_SHAPE_Q = (
    "what shape is {rel} the {ref}?",
    "what kind of shape is {rel} the {ref}?",
)


def _in_direction(rel: str, ref: tuple[int, int], cell: tuple[int, int]) -> bool:
    """Is ``cell`` (row, col) strictly on the ``rel`` side of ``ref`` (in any row/column)?"""
    (rr, rc), (r, k) = ref, cell
    return {"left": k < rc, "right": k > rc, "above": r < rr, "below": r > rr}[rel]


def make_relation(rng: random.Random, size: int) -> dict:
    """3-4 shapes with distinct shapes and colours on a 3x3 layout; exactly one object lies on the
    asked side of the reference, so the question has one answer."""
    rel = rng.choice(tuple(RELATIONS))
    n = rng.randint(3, 4)
    cells = [(r, k) for r in range(3) for k in range(3)]
    while True:
        ref = rng.choice(cells)
        if rel in ("left", "right"):
            targets = [(ref[0], k) for k in range(3) if _in_direction(rel, ref, (ref[0], k))]
        else:
            targets = [(r, ref[1]) for r in range(3) if _in_direction(rel, ref, (r, ref[1]))]
        free = [x for x in cells if x != ref and not _in_direction(rel, ref, x)]
        if targets and len(free) >= n - 2:
            break
    target = rng.choice(targets)
    placed = [ref, target] + rng.sample(free, n - 2)
    shapes = rng.sample(SHAPES, n)
    colours = rng.sample(COLOURS, n)

    c = Canvas(size, background=rng.choice(BACKDROPS))
    for (r, k), shape, colour in zip(placed, shapes, colours):
        cx = 11 + 21 * k + rng.uniform(-2, 2)
        cy = 11 + 21 * r + rng.uniform(-2, 2)
        draw_shape(c, shape, cx, cy, rng.randint(13, 15), fill=PALETTE[colour])

    ref_phrase = shapes[0] if rng.random() < 0.5 else f"{colours[0]} object"
    if rng.random() < 0.5:
        return sample(c, pick(rng, GRID_COLOUR_Q, rel=RELATIONS[rel], ref=ref_phrase), colours[1])
    return sample(c, pick(rng, GRID_SHAPE_Q, rel=RELATIONS[rel], ref=ref_phrase), shapes[1])
