"""Ground truth from evaluation scores: Delta(s->t) and the testbed's seed agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataprophet.ranking import matrix_spearman, per_source_tau, per_target_tau


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
    values = delta.to_numpy()
    diag = np.diag(values)
    off = values[~np.eye(len(values), dtype=bool)]
    if off.size == 0:  # a single dataset: there is no off-diagonal transfer to summarise
        off = np.array([np.nan])
    return {
        "zero_base_targets": degenerate,
        "diagonal_mean": float(diag.mean()),
        "off_diagonal_mean": float(off.mean()),
        "off_diagonal_positive_fraction": float((off > 0).mean()),
        "diagonal_is_column_max_fraction": float(np.mean([delta[t].idxmax() == t for t in delta.columns])),
    }


def seed_agreement(delta_a: pd.DataFrame, delta_b: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Agreement of two fine-tuning seeds: the noise ceiling of any predictor on this testbed.

    Targets whose Delta is undefined in either seed (zero base score) are left out.
    """
    undefined = [t for t in delta_a.columns if delta_a[t].isna().any() or delta_b[t].isna().any()]
    delta_a, delta_b = delta_a.drop(columns=undefined), delta_b.drop(columns=undefined)
    tgt = per_target_tau(delta_a, delta_b)
    src = per_source_tau(delta_a, delta_b)
    table = pd.concat(
        [
            pd.DataFrame({"axis": "target", "name": tgt.index, "tau": tgt.values}),
            pd.DataFrame({"axis": "source", "name": src.index, "tau": src.values}),
        ],
        ignore_index=True,
    )
    summary = {
        "tau_tgt_mean": float(tgt.mean()),
        "tau_src_mean": float(src.mean()),
        "matrix_spearman": matrix_spearman(delta_a, delta_b),
    }
    return table, summary
