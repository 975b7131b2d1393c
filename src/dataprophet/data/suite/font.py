"""A hand-made 3x5 bitmap font, drawn as scaled rectangles (no system fonts).

At the default scale of 2 a glyph is 6x10 grid pixels. Letters that a 3x5 cell cannot tell
apart from a digit or from each other (I, O, S, Z, M, N, W, Q) are left out on purpose.
"""

from __future__ import annotations

from dataprophet.data.suite.draw import INK, Canvas

_RAW = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
}

GLYPH_W, GLYPH_H = 3, 5
LETTERS = "".join(ch for ch in _RAW if ch.isalpha())

# Per glyph: the runs of lit cells per row, as (row, col, length), so a glyph is a handful of
# rectangles instead of one per pixel.
_RUNS: dict[str, tuple[tuple[int, int, int], ...]] = {}
for _ch, _rows in _RAW.items():
    assert len(_rows) == GLYPH_H and all(len(r) == GLYPH_W for r in _rows), _ch
    runs = []
    for _r, _row in enumerate(_rows):
        _c = 0
        while _c < GLYPH_W:
            if _row[_c] == "#":
                _start = _c
                while _c < GLYPH_W and _row[_c] == "#":
                    _c += 1
                runs.append((_r, _start, _c - _start))
            else:
                _c += 1
    _RUNS[_ch] = tuple(runs)


def text_size(text: str, scale: float = 2) -> tuple[float, float]:
    """Width and height in grid units of ``text`` (one glyph-pixel gap between glyphs)."""
    n = len(text)
    if n == 0:
        return 0.0, 0.0
    return (n * GLYPH_W + (n - 1)) * scale, GLYPH_H * scale


def draw_text(c: Canvas, text: str, x: float, y: float, scale: float = 2, colour=INK) -> None:
    """Draw ``text`` with its top-left corner at grid position (x, y), snapped to whole units."""
    x, y = round(x), round(y)
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        try:
            runs = _RUNS[ch]
        except KeyError:
            raise ValueError(f"glyph {ch!r} is not in the bitmap font; available: {''.join(_RAW)}") from None
        gx = x + i * (GLYPH_W + 1) * scale
        for r, col, length in runs:
            c.rect(gx + col * scale, y + r * scale, length * scale, scale, fill=colour)


def draw_text_centered(c: Canvas, text: str, cx: float, cy: float, scale: float = 2, colour=INK) -> None:
    w, h = text_size(text, scale)
    draw_text(c, text, round(cx - w / 2), round(cy - h / 2), scale, colour)
