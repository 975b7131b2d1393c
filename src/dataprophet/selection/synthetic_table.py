"""Stage ``synthetic_table``: the synthetic-selection table (the paper's Table 3, right half).

Each configured target's score (0-100) after fine-tuning on each method's choice from the
synthetic pool at the budget: ``uniform`` (one random draw, scored on every target),
``icons`` (ICONS run on the pool, per target) and ``dataprophet`` (the per-sample score's
top-K, per target). Rows: the targets and ``Average``; columns: the methods (the base
model's scores are in ``eval/base`` and beside the real-data table). Beside it, the paper's values for the dataset
each target stands in for and its averages (printed and recomputed, which agree here).
Reproduce: ``snakemake results/mini/selection/table_synthetic.csv`` (the rule
``synthetic_table`` calls ``dataprophet synthetic-table``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dataprophet import paper
from dataprophet.io.atomic import write_csv
from dataprophet.selection.selection_table import draw, paper_side, read_scores, real_table
from dataprophet.settings import SyntheticTableSettings

PREFIX = "synthetic_"  # the mixtures' method folders: synthetic_<method>/<target or all>
TITLE = "Selection from the synthetic pool at a fixed budget (the paper's Table 3, right)"


def synthetic_table(
    scores: list[Path], base: Path, out: Path, paper_out: Path, pdf: Path, png: Path, settings: SyntheticTableSettings
) -> pd.DataFrame:
    """The table to ``out``, the paper's values beside it to ``paper_out``, the figure."""
    found = {}
    for (method, mixture), values in read_scores(scores).items():
        if not method.startswith(PREFIX):
            raise ValueError(f"scores of the mixture {method}/{mixture} are not of a synthetic selection")
        found[(method.removeprefix(PREFIX), mixture)] = values
    table = real_table(found, json.loads(Path(base).read_text())["scores"], settings.methods, settings.targets)
    table = table.drop(columns="base").drop(index="Improve over uniform", errors="ignore")  # the paper's shape
    mirrors = {name: d.get("mirrors", name) for name, d in settings.datasets.items()}
    side = paper_side(
        table,
        mirrors,
        paper.TABLE3_SYNTHETIC_METHODS,
        paper.TABLE3_SYNTHETIC,
        paper.TABLE3_SYNTHETIC_PRINTED_AVERAGE,
    )
    write_csv(table, out, float_format="%.2f")
    write_csv(side, paper_out, index=False, float_format="%.2f")
    draw(table, pdf, png, TITLE)
    print(table.round(2).to_string())
    return table
