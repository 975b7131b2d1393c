"""Shared drawing primitives: palette, shape names, a scaled canvas and background textures.

All layouts are written on a 64x64 design grid; :class:`Canvas` maps grid units to pixels by
``image_size / 64`` so the same sample renders at 64 or 128 px with the same composition.
Only PIL rectangles/polygons/ellipses are used (no anti-aliasing, no fonts), so the pixels
depend only on the random stream.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

GRID = 64

# Six answer colours, far apart in RGB (and in lightness where possible).
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 35, 35),
    "green": (30, 160, 60),
    "blue": (40, 80, 235),
    "yellow": (245, 215, 30),
    "purple": (135, 45, 175),
    "orange": (250, 135, 20),
}
COLOURS: tuple[str, ...] = tuple(PALETTE)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "cross", "diamond")

INK = (25, 25, 25)
WHITE = (255, 255, 255)
PAPER = (245, 245, 240)
# Light, low-saturation backdrops that none of the answer colours can be mistaken for.
BACKDROPS: tuple[tuple[int, int, int], ...] = (
    (236, 236, 236),
    (228, 232, 240),
    (240, 234, 224),
    (226, 236, 230),
)


class Canvas:
    """An RGB image addressed in 64-grid units (floats allowed), scaled to ``size`` pixels."""

    def __init__(self, size: int, background=(255, 255, 255), image: Image.Image | None = None):
        if size < 16:
            raise ValueError(f"image_size must be at least 16 pixels, got {size}")
        self.size = size
        self.s = size / GRID
        self.img = image if image is not None else Image.new("RGB", (size, size), background)
        self.draw = ImageDraw.Draw(self.img)

    def _px(self, v: float) -> int:
        return math.floor(v * self.s + 0.5)  # round half up, not to even, so spacing stays regular

    def _w(self, width: float) -> int:
        return max(1, math.floor(width * self.s + 0.5))

    def rect(self, x: float, y: float, w: float, h: float, fill=None, outline=None, width: float = 1) -> None:
        """Axis-aligned box covering grid cells [x, x+w) x [y, y+h)."""
        x0, y0 = self._px(x), self._px(y)
        x1, y1 = max(x0, self._px(x + w) - 1), max(y0, self._px(y + h) - 1)
        self.draw.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=self._w(width) if outline else 0)

    def ellipse(self, x: float, y: float, w: float, h: float, fill=None, outline=None, width: float = 1) -> None:
        x0, y0 = self._px(x), self._px(y)
        x1, y1 = max(x0, self._px(x + w) - 1), max(y0, self._px(y + h) - 1)
        self.draw.ellipse((x0, y0, x1, y1), fill=fill, outline=outline, width=self._w(width) if outline else 0)

    def polygon(self, points, fill=None, outline=None, width: float = 1) -> None:
        pts = [(self._px(px), self._px(py)) for px, py in points]
        self.draw.polygon(pts, fill=fill, outline=outline, width=self._w(width) if outline else 0)

    def line(self, points, fill=INK, width: float = 1) -> None:
        pts = [(self._px(px), self._px(py)) for px, py in points]
        self.draw.line(pts, fill=fill, width=self._w(width))


def noise_canvas(rng: random.Random, size: int, base, amplitude: int, block: int = 1) -> Canvas:
    """A canvas whose background is ``base`` plus grey noise of +-amplitude.

    The noise lives on the 64 grid (``block`` grid cells per noise value) so it scales with
    the image instead of turning into sub-pixel speckle at 128 px.
    """
    cells = GRID // block
    raw = np.frombuffer(rng.randbytes(cells * cells), dtype=np.uint8).reshape(cells, cells)
    delta = (raw.astype(np.int16) - 128) * amplitude // 128
    arr = np.clip(np.asarray(base, dtype=np.int16)[None, None, :] + delta[:, :, None], 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.NEAREST)
    return Canvas(size, image=img)


def shade(colour, factor: float) -> tuple[int, int, int]:
    """Mix towards white (factor > 0) or black (factor < 0)."""
    if factor >= 0:
        return tuple(int(round(c + (255 - c) * factor)) for c in colour)
    return tuple(int(round(c * (1 + factor))) for c in colour)


def draw_shape(c: Canvas, shape: str, cx: float, cy: float, size: float, fill, outline=INK) -> None:
    """Draw a filled shape of bounding size ``size`` centred on (cx, cy), with a dark outline."""
    h = size / 2
    x0, y0 = cx - h, cy - h
    if shape == "circle":
        c.ellipse(x0, y0, size, size, fill=fill, outline=outline)
    elif shape == "square":
        inset = size * 0.08
        c.rect(x0 + inset, y0 + inset, size - 2 * inset, size - 2 * inset, fill=fill, outline=outline)
    elif shape == "triangle":
        c.polygon([(cx, y0), (x0 + size, y0 + size - 1), (x0, y0 + size - 1)], fill=fill, outline=outline)
    elif shape == "diamond":
        c.polygon([(cx, y0), (x0 + size - 1, cy), (cx, y0 + size - 1), (x0, cy)], fill=fill, outline=outline)
    elif shape == "cross":
        t = size / 6  # half arm thickness: arms are a third of the size wide
        a, b = cx - t, cx + t
        d, e = cy - t, cy + t
        x1, y1 = x0 + size - 1, y0 + size - 1
        c.polygon(
            [(a, y0), (b, y0), (b, d), (x1, d), (x1, e), (b, e), (b, y1), (a, y1), (a, e), (x0, e), (x0, d), (a, d)],
            fill=fill,
            outline=outline,
        )
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {SHAPES}")


def cell_positions(
    rng: random.Random,
    n: int,
    cols: int,
    rows: int,
    x0: float = 0,
    y0: float = 0,
    w: float = GRID,
    h: float = GRID,
    jitter: float = 0.0,
) -> list[tuple[float, float]]:
    """Centres of ``n`` distinct random cells of a cols x rows layout, each jittered by +-jitter."""
    cw, ch = w / cols, h / rows
    cells = rng.sample(range(cols * rows), n)
    out = []
    for k in cells:
        col, row = k % cols, k // cols
        jx = rng.uniform(-jitter, jitter) if jitter else 0.0
        jy = rng.uniform(-jitter, jitter) if jitter else 0.0
        out.append((x0 + (col + 0.5) * cw + jx, y0 + (row + 0.5) * ch + jy))
    return out
