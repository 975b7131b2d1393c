"""Small helpers shared by the family modules."""

from __future__ import annotations

import random

from dataprophet.data.suite.draw import Canvas

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def pick(rng: random.Random, templates: tuple[str, ...] | list[str], **fields) -> str:
    """One of ``templates`` at random, filled with ``fields``."""
    return rng.choice(templates).format(**fields)


def sample(c: Canvas, question: str, answers, choices=None) -> dict:
    if isinstance(answers, str):
        answers = [answers]
    return {"image": c.img, "question": question, "answers": list(answers), "choices": choices}
