"""The mini study's two generators: rule-based stand-ins for the paper's GPT-5 and Gemini 2.5 Pro.

A procedural generator cannot see, so it reads two things a vision model would read off the
image: the image's pixels (colours and where they are) and the one fact the source dataset
annotates for the image (its question and answer). From them it writes ``n`` pairs per
image, one JSON reply, which then goes through the same validation as an API reply:

* one pair restates the image's annotated fact;
* the others ask about the pixels: the background colour, the main colour, whether a colour
  is present, how many of the six palette colours appear, and on which side or half a colour
  mostly is.

The two styles differ in form and in error profile (the rates are config values):

* ``paraphrase`` (the mini study's stand-in for GPT-5): rewords the annotated question in a
  generic frame and asks the pixel questions tersely; few wrong answers, few broken replies.
* ``target_form`` (the stand-in for Gemini 2.5 Pro): keeps the dataset's own question wording
  and answer form, and asks the pixel questions in longer, more specific phrasing; more
  wrong answers and more broken replies.

These profiles were set from the paper's account of its generators (Section 4.3) before any
score was computed on the pool. A wrong answer flips a yes/no or a side, moves a number,
names another colour, or drops a word; a broken reply has prose around the JSON, four items,
an empty or overlong answer, a chat-template token, or is cut off.
"""

from __future__ import annotations

import hashlib
import json
import random
import re

import numpy as np

from dataprophet.data.suite.draw import PALETTE
from dataprophet.settings import GeneratorSettings

COLOURS = tuple(PALETTE)
NEAR = 60.0  # RGB distance within which a pixel counts as a palette colour
MIN_PIXELS = 8  # pixels of a colour before it counts as present

WORDING = {
    "paraphrase": {
        "fact": ("looking at the picture, {q}", "in this image, {q}", "based on the image: {q}"),
        "background": ("what colour is the background?",),
        "main": ("which colour covers the most area?",),
        "present": ("is there any {c} in the image?",),
        "count": ("how many of red, green, blue, yellow, purple and orange appear?",),
        "side": ("is the {c} part mostly on the left or the right?",),
        "half": ("is the {c} part mostly in the top or the bottom half?",),
    },
    "target_form": {
        "fact": ("{q}",),
        "background": ("what is the colour of the background behind everything drawn in the image?",),
        "main": ("apart from the background, which colour fills the largest area of the image?",),
        "present": ("does any shape, bar, line or text in the image use the colour {c}?",),
        "count": ("how many different colours among red, green, blue, yellow, purple and orange are used?",),
        "side": ("where is most of the {c} colour, on the left or on the right side of the image?",),
        "half": ("is most of the {c} colour above or below the middle of the image? answer top or bottom.",),
    },
}
PIXEL_KINDS = ("background", "main", "present", "count", "side", "half")
BROKEN = ("prose", "four_items", "empty_answer", "long_answer", "special_token", "cut_off")
OPPOSITE = {"yes": "no", "no": "yes", "left": "right", "right": "left", "top": "bottom", "bottom": "top"}


def colour_masks(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """Per palette colour, the pixels within ``NEAR`` of it (and nearer to it than to any other)."""
    flat = pixels.reshape(-1, 3).astype(np.float32)
    refs = np.array([PALETTE[c] for c in COLOURS], dtype=np.float32)
    dist = np.linalg.norm(flat[:, None, :] - refs[None, :, :], axis=2)
    nearest = dist.argmin(1)
    close = dist.min(1) <= NEAR
    return {c: (close & (nearest == i)).reshape(pixels.shape[:2]) for i, c in enumerate(COLOURS)}


def background_name(pixels: np.ndarray) -> str:
    corners = np.stack([pixels[0, 0], pixels[0, -1], pixels[-1, 0], pixels[-1, -1]]).astype(np.float32)
    colour = np.median(corners, axis=0)
    if colour.min() >= 250:
        return "white"
    if colour.mean() >= 200:
        return "light grey"
    if colour.mean() <= 80:
        return "black"
    refs = {c: np.array(v, dtype=np.float32) for c, v in PALETTE.items()}
    return min(refs, key=lambda c: float(np.linalg.norm(refs[c] - colour)))


def pixel_facts(pixels: np.ndarray, rng: random.Random) -> dict[str, tuple[str, str] | None]:
    """kind -> (colour or "", answer) read from the pixels; None where the image has no answer."""
    masks = colour_masks(pixels)
    counts = {c: int(m.sum()) for c, m in masks.items()}
    present = [c for c in COLOURS if counts[c] >= MIN_PIXELS]
    absent = [c for c in COLOURS if counts[c] == 0]
    facts: dict[str, tuple[str, str] | None] = {"background": ("", background_name(pixels))}
    facts["main"] = ("", max(present, key=counts.get)) if present else None
    if present and (not absent or rng.random() < 0.5):
        facts["present"] = (rng.choice(present), "yes")
    else:
        facts["present"] = (rng.choice(absent), "no") if absent else None
    facts["count"] = ("", str(len(present)))
    h, w = pixels.shape[:2]
    if present:
        c = rng.choice(present)
        ys, xs = np.nonzero(masks[c])
        facts["side"] = (c, "left" if xs.mean() < (w - 1) / 2 else "right")
        c = rng.choice(present)
        ys, xs = np.nonzero(masks[c])
        facts["half"] = (c, "top" if ys.mean() < (h - 1) / 2 else "bottom")
    else:
        facts["side"] = facts["half"] = None
    return facts


def wrong(answer: str, rng: random.Random) -> str:
    """A plausible wrong answer of the same kind."""
    if answer in OPPOSITE:
        return OPPOSITE[answer]
    if re.fullmatch(r"-?\d+", answer):
        return str(max(0, int(answer) + rng.choice((-2, -1, 1, 2))))
    if answer in COLOURS:
        return rng.choice([c for c in COLOURS if c != answer])
    words = answer.split()
    if len(words) > 1:
        return " ".join(words[:-1])
    return rng.choice(COLOURS)


def _break(pairs: list[dict], kind: str) -> str:
    if kind == "prose":
        return "Here are the question-answer pairs:\n" + json.dumps(pairs)
    if kind == "four_items":
        return json.dumps(pairs[:4])
    if kind == "cut_off":
        text = json.dumps(pairs)
        return text[: len(text) // 2]
    pairs = [dict(p) for p in pairs]
    if kind == "empty_answer":
        pairs[-1]["answer"] = ""
    elif kind == "long_answer":
        pairs[-1]["answer"] = "the answer to this question can be seen in the picture above it"
    else:  # special_token
        pairs[-1]["answer"] = pairs[-1]["answer"] + "<|im_end|>"
    return json.dumps(pairs)


class ProceduralGenerator:
    """``reply(row, pixels, n)``: the JSON text this generator writes for one source row."""

    def __init__(self, settings: GeneratorSettings, seed: int = 0):
        if settings.kind != "procedural":
            raise ValueError(f"generator {settings.name!r} is of kind {settings.kind!r}, not procedural")
        self.settings = settings
        self.seed = seed

    def _rng(self, row_id: str) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}/{self.settings.name}/{row_id}".encode()).digest()
        return random.Random(int.from_bytes(digest[:16], "big"))

    def reply(self, row: dict, pixels: np.ndarray, n: int) -> str:
        s = self.settings
        rng = self._rng(str(row["id"]))
        words = WORDING[s.style]
        facts = pixel_facts(pixels, rng)
        kinds = [k for k in PIXEL_KINDS if facts[k] is not None]
        rng.shuffle(kinds)
        q = str(row["question"]).strip()
        answer = str(row["answers"][0]).strip()
        if s.style == "paraphrase":
            answer = answer.lower()
        pairs = [{"question": rng.choice(words["fact"]).format(q=q), "answer": answer}]
        for kind in kinds[: n - 1]:
            colour, value = facts[kind]
            pairs.append({"question": rng.choice(words[kind]).format(c=colour), "answer": value})
        while len(pairs) < n:  # too few pixel facts: ask the background again, worded anew
            pairs.append({"question": f"what colour is behind item {len(pairs)}?", "answer": facts["background"][1]})
        rng.shuffle(pairs)
        for p in pairs:
            if rng.random() < s.error_rate:
                p["answer"] = wrong(p["answer"], rng)
        if rng.random() < s.malformed_rate:
            return _break(pairs, rng.choice(BROKEN))
        return json.dumps(pairs)
