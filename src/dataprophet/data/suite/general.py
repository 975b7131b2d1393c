"""General VQA family: multiple-choice scenes (A-OKVQA stand-in) and a boxed object in clutter with
ten annotator answers (Visual-CoT general VQA stand-in)."""

from __future__ import annotations

import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import COLOURS, INK, PALETTE, SHAPES, cell_positions, draw_shape, noise_canvas

SKIES = ((170, 210, 245), (190, 220, 240), (200, 225, 250))
GROUNDS = ((190, 170, 130), (140, 140, 135), (150, 115, 85))

SCENE_SHAPE_Q = (
    "which shape is in the scene? options: {o}.",
    "what is the shape of the object? choose from: {o}.",
)
SCENE_COLOUR_Q = (
    "what colour is the main object? options: {o}.",
    "which colour does the object have? choices: {o}.",
)


def make_scene(rng: random.Random, size: int) -> dict:
    """Sky over textured ground with a cloud or two and one main object standing on the ground."""
    horizon = rng.randint(22, 32)
    c = noise_canvas(rng, size, rng.choice(GROUNDS), amplitude=28, block=2)
    c.rect(0, 0, 64, horizon, fill=rng.choice(SKIES))
    for _ in range(rng.randint(0, 2)):
        x, y = rng.randint(2, 44), rng.randint(2, max(3, horizon - 10))
        c.ellipse(x, y, 14, 6, fill=(250, 250, 250))
        c.ellipse(x + 4, y - 2, 8, 6, fill=(250, 250, 250))
    shape, colour = rng.choice(SHAPES), rng.choice(COLOURS)
    s = rng.randint(16, 22)
    cx = rng.randint(4 + s // 2, 60 - s // 2)
    cy = rng.randint(horizon + s // 2 - 2, 62 - s // 2)
    c.ellipse(cx - s / 2, cy + s / 2 - 2, s, 4, fill=(70, 65, 60))  # shadow
    draw_shape(c, shape, cx, cy, s, fill=PALETTE[colour])

    if rng.random() < 0.5:
        pool, answer, templates = SHAPES, shape, SCENE_SHAPE_Q
    else:
        pool, answer, templates = COLOURS, colour, SCENE_COLOUR_Q
    options = [answer] + rng.sample([p for p in pool if p != answer], 3)
    rng.shuffle(options)
    return sample(c, pick(rng, templates, o=", ".join(options)), answer, choices=options)


SYNONYMS = {
    "red": ("dark red", "crimson"),
    "green": ("dark green", "lime"),
    "blue": ("dark blue", "navy"),
    "yellow": ("gold", "light yellow"),
    "purple": ("violet", "dark purple"),
    "orange": ("dark orange", "amber"),
    "circle": ("ball", "round"),
    "square": ("box", "block"),
    "triangle": ("pyramid", "wedge"),
    "cross": ("plus", "plus sign"),
    "diamond": ("rhombus", "kite"),
}

OBJECT_COLOUR_Q = (
    "what colour is the boxed object?",
    "what is the colour of the object inside the box?",
)
OBJECT_SHAPE_Q = (
    "what shape is in the box?",
    "which shape is marked by the box?",
)


def annotator_answers(rng: random.Random, answer: str) -> list[str]:
    """Ten VQA-style annotations: the canonical answer first and at least 7 times, synonyms for the rest."""
    n_right = rng.randint(7, 10)
    return [answer] * n_right + [rng.choice(SYNONYMS[answer]) for _ in range(10 - n_right)]


def make_boxed(rng: random.Random, size: int) -> dict:
    """5-8 objects on a noisy backdrop, one of them framed by a thin box."""
    c = noise_canvas(rng, size, (200, 200, 195), amplitude=50, block=1)
    n = rng.randint(5, 8)
    centres = cell_positions(rng, n, 4, 4, jitter=1.0)
    objs = [(rng.choice(SHAPES), rng.choice(COLOURS)) for _ in range(n)]
    sizes = [rng.randint(10, 11) for _ in range(n)]
    for (shape, colour), (x, y), s in zip(objs, centres, sizes):
        draw_shape(c, shape, x, y, s, fill=PALETTE[colour])
    t = rng.randrange(n)
    (x, y), s = centres[t], sizes[t]
    half = s / 2 + 2
    c.rect(round(x - half), round(y - half), round(2 * half), round(2 * half), outline=INK)
    shape, colour = objs[t]
    if rng.random() < 0.5:
        return sample(c, pick(rng, OBJECT_COLOUR_Q), annotator_answers(rng, colour))
    return sample(c, pick(rng, OBJECT_SHAPE_Q), annotator_answers(rng, shape))
