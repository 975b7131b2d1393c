"""The "web" generator: the v2 testbed base's pretraining data, not a benchmark.

Collages of 1-5 elements (glyph strings, shapes, bar groups, lines, digit grids, framed
shapes) drawn with the suite's own primitives, asked about in generic templates and answered
in conventions no benchmark of the suite uses: short sentences, number words, "yes"/"no",
"the <colour> one". A base pretrained on it learns to see glyphs, colours, shapes, counts and
positions without ever seeing a benchmark's layout, template or answer form, as a broadly
pretrained model meets a new benchmark (docs/testbed.md).
"""

from __future__ import annotations

import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import BACKDROPS, COLOURS, INK, PALETTE, SHAPES, Canvas, draw_shape, shade
from dataprophet.data.suite.font import LETTERS, draw_text_centered

WORDS = tuple(
    [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
    ]
)
KINDS = ("glyphs", "shape", "bars", "line", "grid", "frame")
# The collage's 3x3 layout: cell centres on the 64 grid.
CELL = 64 / 3
POSITIONS = {
    (0, 0): "top left",
    (0, 1): "top",
    (0, 2): "top right",
    (1, 0): "left",
    (1, 1): "middle",
    (1, 2): "right",
    (2, 0): "bottom left",
    (2, 1): "bottom",
    (2, 2): "bottom right",
}

CAPTION_Q = ("describe the picture.", "what can you see here?", "tell me what this image shows.")
COUNT_Q = ("how many things are in the picture?", "how many items can you see?")
TEXT_Q = ("what does the writing say?", "read the text in the picture.", "what is written here?")
COLOUR_Q = ("tell me the colour of the {s}.", "the {s} has which colour?")
WHERE_Q = ("where is the {d}?", "in which part of the picture is the {d}?")
TALL_Q = ("among the bars, which one is highest?", "which bar reaches the top?")
LINE_Q = ("does the line go up or down?", "is the line going up or down?")
GRID_Q = ("what is the sum of the numbers in the little grid?", "add the numbers in the grid together.")
FRAME_Q = ("what is inside the frame?", "what does the frame hold?")
ABOVE_Q = ("is the {a} higher up than the {b}?", "is the {a} above the {b}?")


def _glyphs(rng: random.Random) -> str:
    n = rng.randint(1, 2)
    pool = LETTERS if rng.random() < 0.5 else "0123456789"
    return "".join(rng.choice(pool) for _ in range(n))


def _element(rng: random.Random, kind: str) -> dict:
    colour = rng.choice(COLOURS)
    if kind == "glyphs":
        return {"kind": kind, "text": _glyphs(rng), "colour": colour}
    if kind in ("shape", "frame"):
        return {"kind": kind, "shape": rng.choice(SHAPES), "colour": colour}
    if kind == "bars":
        colours = rng.sample(COLOURS, 3)
        heights = rng.sample(range(2, 8), 3)
        return {"kind": kind, "colours": colours, "heights": heights}
    if kind == "line":
        return {"kind": kind, "up": rng.random() < 0.5, "colour": colour}
    return {"kind": "grid", "digits": [rng.randint(0, 4) for _ in range(4)]}


def _draw(c: Canvas, e: dict, cx: float, cy: float) -> None:
    half = CELL / 2 - 1.5
    kind = e["kind"]
    if kind == "glyphs":
        c.rect(cx - half, cy - 7, 2 * half, 14, fill=shade(PALETTE[e["colour"]], 0.7))
        draw_text_centered(c, e["text"], cx, cy, scale=2, colour=INK)
    elif kind == "shape":
        draw_shape(c, e["shape"], cx, cy, 15, fill=PALETTE[e["colour"]])
    elif kind == "frame":
        c.rect(cx - half, cy - half, 2 * half, 2 * half, outline=INK, width=1)
        draw_shape(c, e["shape"], cx, cy, 11, fill=PALETTE[e["colour"]])
    elif kind == "bars":
        for i, (col, h) in enumerate(zip(e["colours"], e["heights"])):
            c.rect(cx - 8 + 6 * i, cy + 8 - 2 * h, 5, 2 * h, fill=PALETTE[col], outline=INK)
    elif kind == "line":
        y0, y1 = (cy + 7, cy - 7) if e["up"] else (cy - 7, cy + 7)
        c.line([(cx - 8, y0), (cx, (y0 + y1) / 2 + 2), (cx + 8, y1)], fill=PALETTE[e["colour"]], width=2)
    else:  # a 2x2 grid of small digits
        for k, d in enumerate(e["digits"]):
            x, y = cx - 9 + 9 * (k % 2), cy - 9 + 9 * (k // 2)
            c.rect(x, y, 9, 9, fill=(255, 255, 255), outline=INK)
            draw_text_centered(c, str(d), x + 4.5, y + 4.5, scale=1.2)


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _name(e: dict) -> str:
    """The element in a caption: "a red circle", "the word AB", "a bar chart"."""
    kind = e["kind"]
    if kind == "glyphs":
        return f"the text {e['text']}"
    if kind == "shape":
        return _a(f"{e['colour']} {e['shape']}")
    if kind == "frame":
        return f"a frame around {_a(e['colour'])} {e['shape']}"
    if kind == "bars":
        return "a small bar chart"
    if kind == "line":
        return f"{_a(e['colour'])} line"
    return "a grid of numbers"


def _sentence(parts: list[str]) -> str:
    if len(parts) == 1:
        return f"there is {parts[0]}."
    return f"there is {', '.join(parts[:-1])} and {parts[-1]}."


def make_web(rng: random.Random, size: int) -> dict:
    """One collage and one generic question about it, answered in a web convention."""
    n = rng.randint(1, 5)
    cells = rng.sample(sorted(POSITIONS), n)
    elements = [_element(rng, rng.choice(KINDS)) for _ in range(n)]
    c = Canvas(size, background=rng.choice(BACKDROPS))
    for e, (r, k) in zip(elements, cells):
        _draw(c, e, CELL * (k + 0.5), CELL * (r + 0.5))
    order = sorted(range(n), key=lambda i: cells[i])  # reading order

    asks = ["caption", "count"]
    by_kind = {e["kind"] for e in elements}
    if "glyphs" in by_kind:
        asks += ["text", "text"]
    if "shape" in by_kind:
        asks += ["colour", "where"]
    if "bars" in by_kind:
        asks.append("tall")
    if "line" in by_kind:
        asks.append("line")
    if "grid" in by_kind:
        asks.append("grid")
    if "frame" in by_kind:
        asks.append("frame")
    shapes = [i for i in range(n) if elements[i]["kind"] == "shape"]
    distinct = len({elements[i]["shape"] for i in shapes}) == len(shapes)
    if len(shapes) >= 2 and distinct:
        asks.append("above")
    ask = rng.choice(asks)

    def first(kind: str) -> dict:
        return next(elements[i] for i in order if elements[i]["kind"] == kind)

    if ask == "caption":
        return sample(c, pick(rng, CAPTION_Q), _sentence([_name(elements[i]) for i in order]))
    if ask == "count":
        return sample(c, pick(rng, COUNT_Q), f"I can see {WORDS[n]}.")
    if ask == "text":
        return sample(c, pick(rng, TEXT_Q), f"it says {first('glyphs')['text']}.")
    if ask in ("colour", "where"):
        i = rng.choice(shapes)
        e = elements[i]
        if ask == "colour":
            return sample(c, pick(rng, COLOUR_Q, s=e["shape"]), f"it is {e['colour']}.")
        return sample(c, pick(rng, WHERE_Q, d=f"{e['colour']} {e['shape']}"), f"at the {POSITIONS[cells[i]]}.")
    if ask == "tall":
        e = first("bars")
        return sample(c, pick(rng, TALL_Q), f"the {e['colours'][e['heights'].index(max(e['heights']))]} one.")
    if ask == "line":
        return sample(c, pick(rng, LINE_Q), "it goes up." if first("line")["up"] else "it goes down.")
    if ask == "grid":
        return sample(c, pick(rng, GRID_Q), f"they add up to {WORDS[sum(first('grid')['digits'])]}.")
    if ask == "frame":
        e = first("frame")
        return sample(c, pick(rng, FRAME_Q), f"{_a(e['colour'])} {e['shape']}.")
    a, b = rng.sample(shapes, 2)
    above = cells[a][0] < cells[b][0]
    question = pick(rng, ABOVE_Q, a=elements[a]["shape"], b=elements[b]["shape"])
    return sample(c, question, "yes." if above else "no.")
