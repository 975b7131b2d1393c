"""OCR family: book covers (OCR-VQA stand-in) and phone screens (ScreenQA stand-in)."""

from __future__ import annotations

import random

from dataprophet.data.suite.common import pick, sample
from dataprophet.data.suite.draw import COLOURS, INK, PALETTE, SHAPES, WHITE, Canvas, draw_shape, shade
from dataprophet.data.suite.font import LETTERS, draw_text, draw_text_centered, text_size

COVER_TITLE_Q = (
    "what is the title of this book?",
    "what title is printed on the cover?",
    "which title does this book have?",
)
COVER_COLOUR_Q = (
    "what colour is the cover?",
    "what is the colour of this book cover?",
    "which colour is the book?",
)


def make_cover(rng: random.Random, size: int, *, title_len: int = 2) -> dict:
    """A coloured cover with a spine, a white title block of ``title_len`` big glyphs, a byline and
    an emblem."""
    colour = rng.choice(COLOURS)
    base = PALETTE[colour]
    c = Canvas(size, background=base)
    c.rect(0, 0, 6, 64, fill=shade(base, -0.45))  # spine
    title = "".join(rng.choice(LETTERS) for _ in range(title_len))

    block_y = rng.randint(4, 16)
    block_x = rng.randint(10, 16)
    c.rect(block_x, block_y, 42, 21, fill=WHITE, outline=INK)
    draw_text_centered(c, title, block_x + 21, block_y + 10.5, scale=3)

    # Byline: one or two bars in ink or white under the title block.
    bar_colour = rng.choice((INK, WHITE))
    y = block_y + 25
    for _ in range(rng.randint(1, 2)):
        c.rect(rng.randint(10, 16), y, rng.randint(18, 38), 3, fill=bar_colour)
        y += 6
    # Emblem near the bottom edge.
    ex = rng.randint(16, 54)
    draw_shape(c, rng.choice(SHAPES), ex, 56, 9, fill=WHITE)

    if rng.random() < 0.5:
        return sample(c, pick(rng, COVER_TITLE_Q), title)
    return sample(c, pick(rng, COVER_COLOUR_Q), colour)


SCREEN_NUMBER_Q = (
    "what number is next to the {c} icon?",
    "which number is shown beside the {c} icon?",
    "what value is in the row with the {c} icon?",
)
SCREEN_COLOUR_Q = (
    "which icon colour is next to the number {n}?",
    "what colour is the icon beside {n}?",
)


def make_screen(rng: random.Random, size: int, *, one_digit_share: float = 0.3) -> dict:
    """A phone screen: status bar, then three rows, each an icon square, a label bar and a number
    (one digit with probability ``one_digit_share``, else two)."""
    dark = rng.random() < 0.3
    screen_bg = (40, 42, 50) if dark else (250, 250, 250)
    row_bg = (70, 72, 84) if dark else (225, 228, 235)
    text = WHITE if dark else INK
    c = Canvas(size, background=(10, 10, 10))
    c.rect(3, 2, 58, 61, fill=screen_bg)
    # Status bar: clock bars on the left, battery on the right.
    c.rect(6, 3, 8, 3, fill=text)
    c.rect(50, 3, 8, 4, outline=text)
    c.rect(51, 4, rng.randint(2, 6), 2, fill=text)

    colours = rng.sample(COLOURS, 3)
    numbers: list[str] = []
    while len(numbers) < 3:
        n = str(rng.randint(0, 9) if rng.random() < one_digit_share else rng.randint(10, 99))
        if n not in numbers:
            numbers.append(n)
    for k in range(3):
        top = 10 + k * 17
        c.rect(5, top, 54, 15, fill=row_bg)
        c.rect(7, top + 3, 10, 10, fill=PALETTE[colours[k]], outline=INK)
        c.rect(20, top + 6, rng.randint(6, 14), 3, fill=(150, 150, 160))
        w, _ = text_size(numbers[k])
        draw_text(c, numbers[k], 56 - w, top + 3, colour=text)

    k = rng.randrange(3)
    if rng.random() < 0.7:
        return sample(c, pick(rng, SCREEN_NUMBER_Q, c=colours[k]), numbers[k])
    return sample(c, pick(rng, SCREEN_COLOUR_Q, n=numbers[k]), colours[k])
