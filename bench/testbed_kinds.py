"""Accuracy by question kind of one evaluated model: which skills a testbed model has.

Splits each target's items by what the question asks (colour, shape, count, text, number,
...; read from the question's words) and prints the mean score per kind, so a capacity check
says whether the tiny model sees colour, shape, glyphs or counts (docs/testbed.md, gate 0).

Reproduce: ``python bench/testbed_kinds.py results/testbed_probe_A`` (any study folder whose
``eval/base/predictions.parquet`` and ``data/<split>/`` tables exist; ``--split dev``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

KINDS = (
    ("colour", r"colou?r"),
    ("shape", r"shape"),
    ("count", r"how many|count|number of"),
    ("title", r"title"),
    ("extreme", r"tallest|shortest|highest|lowest"),
    ("number", r"number|value|sum|total|perimeter|area|distance|apart|price|date|code"),
)


def kind_of(question: str) -> str:
    for name, pattern in KINDS:
        if re.search(pattern, question):
            return name
    return "other"


def by_kind(study: Path, model: str = "base", split: str = "dev") -> pd.DataFrame:
    predictions = pd.read_parquet(study / "eval" / model / "predictions.parquet", columns=["target", "id", "score"])
    frames = []
    for target in sorted(predictions["target"].unique()):
        table = pd.read_parquet(study / "data" / split / f"{target}.parquet", columns=["id", "question"])
        frames.append(predictions[predictions["target"] == target].merge(table, on="id"))
    items = pd.concat(frames, ignore_index=True)
    items["kind"] = items["question"].map(kind_of)
    return items.groupby(["target", "kind"])["score"].agg(["mean", "size"]).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--model", default="base")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    print(by_kind(args.study, args.model, args.split).to_string())


if __name__ == "__main__":
    main()
