"""Kendall's tau between two source-by-target matrices, per target and per source.

Pure functions over labelled matrices (sources as rows, targets as columns) so the same
code judges the DataProphet score against the ground truth and measures the testbed's own
seed-to-seed agreement (the noise ceiling of any predictor's tau).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from dataprophet.io.matrices import MatrixError


def format_summary(summary: dict) -> str:
    """The two-way tau summary as a few printable lines."""
    lines = []
    for key in ("tau_tgt", "tau_src"):
        lines.append(f"{key}: {summary[key]:.3f} [{summary[key + '_low']:.3f}, {summary[key + '_high']:.3f}]")
    lines.append(f"tau (overall): {summary['tau']:.3f}")
    for key, axis in (("tau_tgt", "target"), ("tau_src", "source")):
        for name, why in summary.get(f"{key}_undefined", {}).items():
            lines.append(f"undefined for {axis} {name}: {why}; left out of the {key} mean")
    if "noise_ceiling_tau_tgt" in summary:
        lines.append(
            f"noise ceiling (one seed vs the mean of the others) tau_tgt: {summary['noise_ceiling_tau_tgt']:.3f}"
        )
    return "\n".join(lines)


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


def per_target_tau(
    truth: pd.DataFrame, scores: pd.DataFrame, variant: str = "b", exclude_diagonal: bool = False
) -> pd.Series:
    """For each target (column), tau between the two rankings of sources."""
    scores = align(truth, scores)
    out = {}
    for target in truth.columns:
        rows = [s for s in truth.index if not (exclude_diagonal and s == target)]
        out[target] = _tau(truth.loc[rows, target], scores.loc[rows, target], variant)
    return pd.Series(out, name="tau_tgt")


def per_source_tau(
    truth: pd.DataFrame, scores: pd.DataFrame, variant: str = "b", exclude_diagonal: bool = False
) -> pd.Series:
    """For each source (row), tau between the two rankings of targets."""
    return per_target_tau(truth.T, align(truth, scores).T, variant, exclude_diagonal).rename("tau_src")


def matrix_spearman(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Spearman correlation over all cells (main effects included)."""
    b = align(a, b, ("first", "second"))
    return float(spearmanr(a.to_numpy().ravel(), b.to_numpy().ravel()).statistic)


def bootstrap_ci(values: pd.Series, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of ``values`` (per-target or per-source taus).

    Resamples the items (targets or sources) with replacement ``n_boot`` times and takes the
    (1 - level)/2 and (1 + level)/2 quantiles of the resampled means. NaN values are left out
    before resampling (callers report how many). Deterministic given ``seed``. The taus of
    different targets share the same source scores, so they are not independent and the
    interval is an approximation that ignores that dependence.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one non-NaN value")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _square_labels(frame: pd.DataFrame, name: str) -> None:
    if len(frame.index) != len(frame.columns) or set(frame.index) != set(frame.columns) or frame.index.has_duplicates:
        raise MatrixError(
            f"{name}: excluding the diagonal needs a square matrix with identical row and column labels; "
            f"rows {list(frame.index)}, columns {list(frame.columns)}"
        )


def undefined_items(truth: pd.DataFrame, scores: pd.DataFrame, exclude_diagonal: bool = False) -> dict:
    """Why a per-target or per-source tau is undefined: a ranking in which every item ties.

    Returns ``{"tau_tgt": {target: reason}, "tau_src": {source: reason}}``."""
    scores = align(truth, scores)
    out: dict[str, dict[str, str]] = {"tau_tgt": {}, "tau_src": {}}
    for key, t, s, other in (
        ("tau_tgt", truth, scores, "source"),
        ("tau_src", truth.T, scores.T, "target"),
    ):
        for name in t.columns:
            rows = [r for r in t.index if not (exclude_diagonal and r == name)]
            if len(rows) < 2:
                out[key][name] = f"fewer than two {other}s to rank"
            elif t.loc[rows, name].nunique() < 2:
                out[key][name] = f"the truth ties every {other}"
            elif s.loc[rows, name].nunique() < 2:
                out[key][name] = f"the scores tie every {other}"
    return out


def tau_report(
    truth: pd.DataFrame,
    scores: pd.DataFrame,
    variant: str = "b",
    exclude_diagonal: bool = False,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[pd.DataFrame, dict]:
    """Per-target and per-source Kendall taus with bootstrap intervals for their means.

    Returns ``(per_item, summary)``. ``per_item`` has columns axis ('target' or 'source'),
    name, tau; a tau that is NaN (a constant ranking on either side) stays NaN there.
    ``summary`` holds, for ax in (tgt, src): tau_<ax> (mean over non-NaN items),
    tau_<ax>_low / tau_<ax>_high (``bootstrap_ci``), tau_<ax>_n (items used),
    tau_<ax>_nan (items left out as NaN) and tau_<ax>_undefined (each left-out item with
    why, from ``undefined_items``); tau = (tau_tgt + tau_src) / 2; and the settings.
    If every item of an axis is NaN its mean and interval are NaN.
    """
    if exclude_diagonal:
        _square_labels(truth, "truth")
        _square_labels(scores, "scores")
    per_tgt = per_target_tau(truth, scores, variant, exclude_diagonal)
    per_src = per_source_tau(truth, scores, variant, exclude_diagonal)
    reasons = undefined_items(truth, scores, exclude_diagonal)
    per_item = pd.concat(
        [
            pd.DataFrame({"axis": "target", "name": per_tgt.index, "tau": per_tgt.to_numpy(dtype=float)}),
            pd.DataFrame({"axis": "source", "name": per_src.index, "tau": per_src.to_numpy(dtype=float)}),
        ],
        ignore_index=True,
    )
    summary: dict = {
        "variant": variant,
        "exclude_diagonal": exclude_diagonal,
        "n_boot": n_boot,
        "seed": seed,
        "level": level,
    }
    for key, series in (("tau_tgt", per_tgt), ("tau_src", per_src)):
        x = series.to_numpy(dtype=float)
        finite = x[~np.isnan(x)]
        summary[f"{key}_n"] = int(finite.size)
        summary[f"{key}_nan"] = int(np.isnan(x).sum())
        summary[f"{key}_undefined"] = {
            name: reasons[key].get(name, "tau is undefined") for name in series.index[np.isnan(x)]
        }
        if finite.size:
            summary[key] = float(finite.mean())
            summary[f"{key}_low"], summary[f"{key}_high"] = bootstrap_ci(series, n_boot, level, seed)
        else:
            summary[key] = summary[f"{key}_low"] = summary[f"{key}_high"] = float("nan")
    summary["tau"] = (summary["tau_tgt"] + summary["tau_src"]) / 2
    return per_item, summary
