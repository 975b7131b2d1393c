"""Kendall's tau between two source-by-target matrices, per target and per source.

Pure functions over labelled matrices (sources as rows, targets as columns) so the same
code judges the DataProphet score against the ground truth and measures the testbed's own
seed-to-seed agreement (the noise ceiling of any predictor's tau).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr


class MatrixError(ValueError):
    """Two matrices that cannot be compared; the message says which labels or cells."""


def align(truth: pd.DataFrame, other: pd.DataFrame, names=("truth", "scores")) -> pd.DataFrame:
    """Reorder ``other`` to ``truth``'s labels; mismatched labels or non-finite cells are errors."""
    for frame, name in ((truth, names[0]), (other, names[1])):
        values = frame.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            bad = [(frame.index[i], frame.columns[j]) for i, j in zip(*np.where(~np.isfinite(values)))]
            raise MatrixError(f"{name}: non-finite value(s) at (source, target) {bad[:5]}")
    for axis, label in (("index", "source (row)"), ("columns", "target (column)")):
        a, b = set(getattr(truth, axis)), set(getattr(other, axis))
        if a != b:
            raise MatrixError(
                f"{label} labels differ: only in {names[0]}: {sorted(a - b)}; only in {names[1]}: {sorted(b - a)}"
            )
    return other.loc[truth.index, truth.columns]


def _tau(x, y, variant: str) -> float:
    if variant == "b":
        value = kendalltau(x, y, variant="b").statistic
    elif variant == "a":
        value = _tau_a(np.asarray(x, float), np.asarray(y, float))
    else:
        raise ValueError(f"tau variant {variant!r} is not 'a' or 'b'")
    return float(value)


def _tau_a(x: np.ndarray, y: np.ndarray) -> float:
    """Tau-a: (concordant - discordant) / (n choose 2); ties count as neither."""
    n = len(x)
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(n, k=1)
    return float((dx[upper] * dy[upper]).sum() / (n * (n - 1) / 2))


def per_target_tau(truth: pd.DataFrame, scores: pd.DataFrame, variant: str = "b", exclude_diagonal: bool = False) -> pd.Series:
    """For each target (column), tau between the two rankings of sources."""
    scores = align(truth, scores)
    out = {}
    for target in truth.columns:
        rows = [s for s in truth.index if not (exclude_diagonal and s == target)]
        out[target] = _tau(truth.loc[rows, target], scores.loc[rows, target], variant)
    return pd.Series(out, name="tau_tgt")


def per_source_tau(truth: pd.DataFrame, scores: pd.DataFrame, variant: str = "b", exclude_diagonal: bool = False) -> pd.Series:
    """For each source (row), tau between the two rankings of targets."""
    return per_target_tau(truth.T, align(truth, scores).T, variant, exclude_diagonal).rename("tau_src")


def matrix_spearman(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Spearman correlation over all cells (main effects included)."""
    b = align(a, b, ("first", "second"))
    return float(spearmanr(a.to_numpy().ravel(), b.to_numpy().ravel()).statistic)
