"""Stage ``groundtruth``: evaluation scores collected into the score and Delta(s->t) tables.

Reproduce: ``snakemake results/mini/tables/seed0/delta.csv`` (the rule ``groundtruth`` calls
``dataprophet groundtruth`` once per fine-tuning seed; the stage ``agreement`` averages the
seeds into ``tables/delta.csv``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv, write_json
from dataprophet.settings import GroundTruthSettings


def score_table(per_model: dict[str, dict[str, float]], sources: list[str], targets: list[str]) -> pd.DataFrame:
    """Models as rows (base first, then one per source), targets as columns."""
    missing = [m for m in ["base", *sources] if m not in per_model]
    if missing:
        raise ValueError(f"no evaluation scores for model(s) {missing}")
    frame = pd.DataFrame({m: per_model[m] for m in ["base", *sources]}).T
    lacking = [t for t in targets if t not in frame.columns]
    if lacking:
        raise ValueError(f"evaluation scores lack target(s) {lacking}")
    frame = frame[targets]
    frame.index.name = "model"
    return frame


def delta_matrix(scores: pd.DataFrame) -> pd.DataFrame:
    """Delta(s->t) = (A_t^s - A_t) / A_t with A_t the base score; sources rows, targets columns."""
    base = scores.loc["base"]
    # Delta is a ratio over the base score: undefined (NaN) where the base scores zero.
    # Such targets are listed by transfer_summary and left out of rankings explicitly.
    delta = (scores.drop(index="base") - base) / base.where(base > 0)
    delta.index.name = "source"
    return delta


def transfer_summary(delta: pd.DataFrame) -> dict:
    """Diagonal vs off-diagonal transfer and the sign of off-diagonal effects."""
    degenerate = [t for t in delta.columns if delta[t].isna().any()]
    delta = delta.drop(columns=degenerate, index=[d for d in degenerate if d in delta.index])
    # Sources may be a subset of the targets (testbed pilots fine-tune a few probe sources).
    values = delta.to_numpy()
    own = np.array([[s == t for t in delta.columns] for s in delta.index], dtype=bool).reshape(values.shape)
    diag = values[own]
    off = values[~own]
    if off.size == 0:  # a single dataset: there is no off-diagonal transfer to summarise
        off = np.array([np.nan])
    sourced = [t for t in delta.columns if t in delta.index]
    return {
        "zero_base_targets": degenerate,
        "diagonal_mean": float(diag.mean()) if diag.size else float("nan"),
        "off_diagonal_mean": float(off.mean()),
        "off_diagonal_positive_fraction": float((off > 0).mean()),
        "diagonal_is_column_max_fraction": float(np.mean([delta[t].idxmax() == t for t in sourced]))
        if sourced
        else float("nan"),
    }


def groundtruth(
    evaluations: list[Path], scores: Path, delta: Path, summary: Path, settings: GroundTruthSettings
) -> pd.DataFrame:
    """Read each model's ``scores.json`` (the base's included) and write the score table,
    the Delta table and the transfer summary to the three given paths."""
    per_model = {}
    for path in evaluations:
        payload = json.loads(Path(path).read_text())
        per_model[payload["model"]] = payload["scores"]
    table = score_table(per_model, list(settings.sources), list(settings.targets))
    matrix = delta_matrix(table)
    write_csv(table, scores, float_format="%.10g")
    write_csv(matrix, delta, float_format="%.10g")
    write_json(transfer_summary(matrix), summary)
    return matrix
