"""Counting family: shapes on a plain backdrop (CLEVR-Counting stand-in) and small mixed objects on a
textured backdrop, zero included (TallyQA stand-in)."""

from __future__ import annotations

import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import (
    BACKDROPS,
    COLOURS,
    PALETTE,
    SHAPES,
    Canvas,
    cell_positions,
    draw_shape,
    noise_canvas,
    shade,
)

PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses", "diamond": "diamonds"}
SHAPE_COUNT_Q = ("how many {p} are there?", "count the {p}.")
COLOUR_COUNT_Q = ("how many {c} objects are there?", "what is the number of {c} objects?")
MAX_SHAPES = 8


def make_shapes(rng: random.Random, size: int, *, max_count: int = MAX_SHAPES, max_objects: int = MAX_SHAPES) -> dict:
    """Up to ``max_objects`` shapes; the asked count is uniform over 1..max_count, the rest are
    distractors lacking the attribute."""
    by_shape = rng.random() < 0.5
    k = rng.randint(1, max_count)
    m = rng.randint(0, max_objects - k)
    shape, colour = rng.choice(SHAPES), rng.choice(COLOURS)
    objs = []
    for _ in range(k):
        objs.append((shape, rng.choice(COLOURS)) if by_shape else (rng.choice(SHAPES), colour))
    for _ in range(m):
        if by_shape:
            objs.append((rng.choice([s for s in SHAPES if s != shape]), rng.choice(COLOURS)))
        else:
            objs.append((rng.choice(SHAPES), rng.choice([c for c in COLOURS if c != colour])))
    c = Canvas(size, background=rng.choice(BACKDROPS))
    for (s, col), (x, y) in zip(objs, cell_positions(rng, len(objs), 4, 4, jitter=1.5)):
        draw_shape(c, s, x, y, rng.randint(10, 12), fill=PALETTE[col])
    if by_shape:
        return sample(c, pick(rng, SHAPE_COUNT_Q, p=PLURAL[shape]), str(k))
    return sample(c, pick(rng, COLOUR_COUNT_Q, c=colour), str(k))


TALLY_COLOURS = tuple(k for k in COLOURS if k != "yellow")  # yellow vanishes in the texture
TALLY_KINDS = ("dots", "rings", "sticks", "frames")
TALLY_Q = (
    "how many {k} are there?",
    "how many {k} can you see?",
    "count the number of {k} in the picture.",
)


def _draw_tally(c: Canvas, kind: str, x: float, y: float, colour) -> None:
    if kind == "dots":
        c.ellipse(x - 4, y - 4, 9, 9, fill=colour)
    elif kind == "rings":
        c.ellipse(x - 5, y - 5, 11, 11, outline=colour, width=2)
    elif kind == "sticks":
        c.rect(x - 1.5, y - 5, 3, 11, fill=colour)
    else:  # frames
        c.rect(x - 5, y - 5, 10, 10, outline=colour, width=2)


def make_tally(
    rng: random.Random, size: int, *, max_count: int = 8, max_distractors: int = 4, texture: int = 45
) -> dict:
    """0..max_count objects of the asked kind among up to ``max_distractors`` of other kinds, on
    noise of amplitude ``texture`` with faint streaks."""
    c = noise_canvas(rng, size, (210, 205, 192), amplitude=texture, block=1)
    for _ in range(rng.randint(2, 5)):  # streaks of texture
        y = rng.randint(0, 63)
        c.rect(0, y, 64, 1, fill=(180, 175, 165))
    kind = rng.choice(TALLY_KINDS)
    k = rng.randint(0, max_count)
    m = rng.randint(1 if k == 0 else 0, max_distractors)
    kinds = [kind] * k + [rng.choice([t for t in TALLY_KINDS if t != kind]) for _ in range(m)]
    for t, (x, y) in zip(kinds, cell_positions(rng, len(kinds), 4, 4, jitter=1.5)):
        _draw_tally(c, t, x, y, shade(PALETTE[rng.choice(TALLY_COLOURS)], -0.3))
    return sample(c, pick(rng, TALLY_Q, k=kind), str(k))
