"""Document family: forms with labelled fields (DocVQA stand-in) and number tables (FinanceQA stand-in)."""

from __future__ import annotations

import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import COLOURS, INK, PALETTE, PAPER, WHITE, Canvas
from dataprophet.data.suite.font import draw_text, draw_text_centered, text_size

TEXT_BAR = (165, 165, 165)

# Label glyph -> field name used in the question.
FIELDS = {"T": "total", "D": "date", "P": "price", "C": "code"}
FORM_Q = (
    "what is the {f}?",
    "what is the {f} written on the form?",
    "what number is in the {f} field?",
)


def _text_lines(c: Canvas, rng: random.Random, x: float, y: float, width: int, rows: int) -> None:
    for r in range(rows):
        c.rect(x, y + r * 5, rng.randint(width // 2, width), 2, fill=TEXT_BAR)


def make_form(rng: random.Random, size: int, *, amount_min: int = 10, amount_max: int = 99) -> dict:
    """A page with a header strip, grey text lines and two labelled fields holding two-digit
    amounts in large glyphs (readable at 64 px); one field is asked."""
    c = Canvas(size, background=PAPER)
    c.rect(3, 2, rng.randint(14, 30), 4, fill=(90, 90, 100))  # letterhead
    labels = rng.sample(sorted(FIELDS), 2)
    values = [str(rng.randint(amount_min, amount_max)) for _ in labels]
    fields_on_top = rng.random() < 0.5
    field_y = 8 if fields_on_top else 22
    text_y = 50 if fields_on_top else 9
    _text_lines(c, rng, 4, text_y, 56, 3 if fields_on_top else 2)
    fx = rng.randint(2, 14)
    for k, (lab, val) in enumerate(zip(labels, values)):
        y = field_y + k * 21
        draw_text(c, lab, fx, y + 5)
        c.rect(fx + 9, y, 27, 19, fill=WHITE, outline=INK)
        w, _ = text_size(val, scale=3)
        draw_text(c, val, fx + 9 + 27 - 2 - w, y + 2, scale=3)  # right-aligned like an amount
    k = rng.randrange(2)
    return sample(c, pick(rng, FORM_Q, f=FIELDS[labels[k]]), values[k])


TABLE_CELL_Q = (
    "what is in row {r} column {k}?",
    "what number is at row {r}, column {k}?",
    "what is the value in row {r} and column {k}?",
)
TABLE_SUM_Q = (
    "what is the sum of row {r}?",
    "what is the total of row {r}?",
    "add up the numbers in row {r}.",
)


def make_table(rng: random.Random, size: int, *, max_digit: int = 9) -> dict:
    """A 2x3 or 3x3 grid of digits 0..max_digit under a coloured header row (rows count from the first data row)."""
    rows, cols = rng.choice((2, 3)), 3
    cell_w, cell_h, head_h = 18, 13, 7
    values = [[rng.randint(0, max_digit) for _ in range(cols)] for _ in range(rows)]
    c = Canvas(size, background=PAPER)
    height = head_h + rows * cell_h
    x0 = 5
    y0 = rng.randint(9, 62 - height)
    c.rect(x0, y0 - 7, rng.randint(16, 40), 3, fill=(110, 110, 120))  # table title
    c.rect(x0, y0, cols * cell_w, head_h, fill=PALETTE[rng.choice(COLOURS)])
    c.rect(x0, y0 + head_h, cols * cell_w, rows * cell_h, fill=WHITE)
    for r in range(rows):
        for k in range(cols):
            cx = x0 + k * cell_w + cell_w / 2
            cy = y0 + head_h + r * cell_h + cell_h / 2
            draw_text_centered(c, str(values[r][k]), cx, cy)
    for k in range(cols + 1):
        c.rect(x0 + k * cell_w, y0, 1, height, fill=INK)
    for r in range(rows + 1):
        c.rect(x0, y0 + head_h + r * cell_h, cols * cell_w, 1, fill=INK)
    c.rect(x0, y0, cols * cell_w + 1, 1, fill=INK)

    r = rng.randrange(rows)
    if rng.random() < 0.5:
        k = rng.randrange(cols)
        return sample(c, pick(rng, TABLE_CELL_Q, r=r + 1, k=k + 1), str(values[r][k]))
    return sample(c, pick(rng, TABLE_SUM_Q, r=r + 1), str(sum(values[r])))
