"""Data selection under a fixed budget (docs/method.md, section 6), as pure functions.

Two uses of the DataProphet score once it has been computed:

* **Source reweighting** (section 5, the paper's Algorithm 1): for one target, split a budget
  of N samples over the sources in proportion to a weight per source: equal weights
  ("uniform"), the DataProphet score M(source -> target) ("dataprophet"), or the observed
  gain Delta(source -> target) ("oracle"). ``allocate`` does one target, ``allocation_table``
  every column of a sources x targets matrix.
* **Per-sample selection** from a synthetic pool (section 6): score each sample u against a
  target with m(u) = QSim * ASim * ISim * PPL({u}) / PPL(T) (``per_sample_scores``) and keep the
  top K (``select_top_k``).

Choices made where the paper is silent (each also stated at the function concerned):

* **Rounding.** Algorithm 1 writes N_i = round(N * m_i / sum_j m_j), whose counts need not sum
  to N (e.g. four equal weights and N = 10 give 2.5 each: 8 with round-half-even, 12 with
  round-half-up). We use the largest-remainder method instead: every source gets the floor
  of its exact quota, and the leftover samples go one each to the largest fractional parts,
  ties broken by source name (ascending, compared as ``str``). The counts then sum to N
  exactly, each is within 1 of its quota, and whenever plain rounding does sum to N the two
  agree. Quotas are computed with exact rational arithmetic (``fractions.Fraction``) so that
  equal weights give exactly equal fractional parts and the tie rule, not float noise,
  decides.
* **Budget below the number of sources** is an error for every method: the uniform
  baseline must be able to give every source at least one sample, and the weighted
  methods are only comparable with uniform at budgets where it can. (Weighted methods may
  still give a source 0 samples when its weight is small or zero.)
* **Oracle and negative Delta.** A source that hurt the target (Delta < 0) is clipped to
  weight 0: a negative sample count is meaningless and "less than nothing" cannot be
  expressed by a proportional rule. If no source has Delta > 0 there is nothing to
  reweight by, so the oracle falls back to uniform and emits an ``AllocationWarning``
  saying so.
* **Negative DataProphet scores are errors.** The paper's M is meant to be a product of
  non-negative terms; ``prophet.factors.metric_matrix`` does not clip, so a negative M means a
  negative mean cosine or Sil + H < 0 upstream, and Algorithm 1 is undefined for it.
* **Pool caps.** With ``pool_sizes`` a source never gets more than its pool; the excess is
  redistributed over the uncapped sources in proportion to their weights (water-filling,
  repeated until no quota exceeds its pool), then rounded as above. If every source with
  capacity left has weight 0, the rest is spread evenly over them (with a warning) so that
  the budget is still met. A budget larger than the total pool is an error.
* **Non-finite weights are errors for every method**, uniform included (where values are
  otherwise unused): a NaN in a score or gain matrix signals a broken upstream stage.
"""

from __future__ import annotations

import math
import numbers
import warnings
from fractions import Fraction
from typing import get_args

import numpy as np
import pandas as pd

from dataprophet.prophet.factors import UNIT_NORM_TOL
from dataprophet.settings import AllocationMethod

__all__ = [
    "METHODS",
    "AllocationError",
    "AllocationWarning",
    "SelectionError",
    "allocate",
    "allocation_table",
    "per_sample_scores",
    "select_top_k",
]

METHODS = get_args(AllocationMethod)

# A per-sample similarity is a mean cosine, so in [-1, 1]; embeddings are unit-norm only
# within UNIT_NORM_TOL (prophet/factors.py), so a cosine can exceed 1 by about twice that.
_SIM_SLACK = 3 * UNIT_NORM_TOL


class AllocationError(ValueError):
    """A budget allocation that cannot be made; the message names the source or value."""


class SelectionError(ValueError):
    """Per-sample scores or a top-K request that cannot be used; the message says which."""


class AllocationWarning(UserWarning):
    """An allocation that fell back to a documented default (e.g. oracle -> uniform)."""


# --------------------------------------------------------------------------- validation


def _check_budget(budget) -> int:
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral):
        raise AllocationError(f"budget must be a positive integer, got {budget!r} ({type(budget).__name__})")
    if budget <= 0:
        raise AllocationError(f"budget must be a positive integer, got {budget}")
    return int(budget)


def _check_weights(weights: pd.Series) -> np.ndarray:
    if not isinstance(weights, pd.Series):
        raise AllocationError(f"weights must be a pandas Series indexed by source, got {type(weights).__name__}")
    if len(weights) == 0:
        raise AllocationError("weights are empty: no sources to allocate over")
    if weights.index.has_duplicates:
        dup = sorted({str(s) for s in weights.index[weights.index.duplicated()]})
        raise AllocationError(f"duplicate source label(s) in weights: {dup}")
    try:
        values = np.asarray(weights.to_numpy(), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise AllocationError(f"weights must be numeric: {err}") from None
    bad = [f"{s!r} ({v})" for s, v in zip(weights.index, values) if not math.isfinite(v)]
    if bad:
        raise AllocationError(f"non-finite weight for source(s) {', '.join(bad)}")
    return values


def _check_pools(pool_sizes: pd.Series, sources: pd.Index) -> list[int]:
    if not isinstance(pool_sizes, pd.Series):
        raise AllocationError(f"pool_sizes must be a pandas Series indexed by source, got {type(pool_sizes).__name__}")
    if pool_sizes.index.has_duplicates:
        dup = sorted({str(s) for s in pool_sizes.index[pool_sizes.index.duplicated()]})
        raise AllocationError(f"duplicate source label(s) in pool_sizes: {dup}")
    missing = [s for s in sources if s not in pool_sizes.index]
    if missing:
        raise AllocationError(f"pool_sizes has no entry for source(s) {missing}")
    pools = []
    for s in sources:
        v = pool_sizes.loc[s]
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise AllocationError(f"pool size of source {s!r} is not a number: {v!r}") from None
        if not math.isfinite(f) or f < 0 or not f.is_integer():
            raise AllocationError(f"pool size of source {s!r} must be a non-negative integer, got {v!r}")
        pools.append(int(f))
    return pools


# --------------------------------------------------------------------------- allocation


def _largest_remainder(quotas: list[Fraction], names: list[str], total: int) -> list[int]:
    """Integers summing to ``total``: floors of the exact quotas, plus one for the largest
    fractional parts (ties: name ascending). ``quotas`` must sum to ``total``."""
    floors = [q.numerator // q.denominator for q in quotas]
    left = total - sum(floors)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), names[i]))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _water_fill(
    weights: list[Fraction], pools: list[int] | None, budget: int, names: list[str], context: str
) -> list[int]:
    """Counts proportional to ``weights`` summing to ``budget``, none above its pool."""
    n = len(weights)
    counts: list[int | None] = [None] * n
    free = list(range(n))
    remaining = budget
    w = list(weights)
    while True:
        total_w = sum(w[i] for i in free)
        if total_w == 0:
            # Only reachable after caps: every source with capacity left has weight 0.
            warnings.warn(
                f"{context}every source with pool left has weight 0 after capping; spreading the "
                f"remaining {remaining} samples evenly over {[names[i] for i in free]} to meet the budget",
                AllocationWarning,
                stacklevel=5,
            )
            for i in free:
                w[i] = Fraction(1)
            total_w = Fraction(len(free))
        quotas = {i: remaining * w[i] / total_w for i in free}
        over = [i for i in free if pools is not None and quotas[i] > pools[i]]
        if not over:
            break
        for i in over:
            counts[i] = pools[i]
            remaining -= pools[i]
        free = [i for i in free if i not in over]
        if not free:
            break
    rounded = _largest_remainder([quotas[i] for i in free], [names[i] for i in free], remaining) if free else []
    for i, c in zip(free, rounded):
        counts[i] = c
    out = [int(c) for c in counts]
    assert sum(out) == budget and all(c >= 0 for c in out), (out, budget)
    assert pools is None or all(c <= p for c, p in zip(out, pools)), (out, pools)
    return out


def _allocate(weights: pd.Series, budget, method: str, pool_sizes: pd.Series | None, context: str = "") -> pd.Series:
    """``allocate`` with ``context`` (e.g. "target 'X': ") prefixed to every error and warning."""
    try:
        return _allocate_one(weights, budget, method, pool_sizes, context)
    except AllocationError as err:
        if not context:
            raise
        raise AllocationError(f"{context}{err}") from None


def _allocate_one(weights: pd.Series, budget, method: str, pool_sizes: pd.Series | None, context: str) -> pd.Series:
    if method not in METHODS:
        raise AllocationError(f"unknown method {method!r}; valid: {list(METHODS)}")
    values = _check_weights(weights)
    budget = _check_budget(budget)
    sources = weights.index
    n = len(sources)
    if budget < n:
        raise AllocationError(
            f"budget {budget} is smaller than the number of sources {n}: every source must be "
            f"able to receive at least one sample (uniform baseline and comparability across methods)"
        )
    names = [str(s) for s in sources]
    if method == "uniform":
        w = [Fraction(1)] * n
    elif method == "dataprophet":
        neg = [f"{s!r} ({v})" for s, v in zip(sources, values) if v < 0]
        if neg:
            raise AllocationError(
                f"negative DataProphet score for source(s) {', '.join(neg)}: M is a product of "
                f"non-negative terms in the paper, so a negative one means a negative similarity or "
                f"Sil + H < 0 upstream (see prophet_terms); Algorithm 1 is undefined for it"
            )
        if not (values > 0).any():
            raise AllocationError("all DataProphet scores are zero: no basis for a proportional allocation")
        w = [Fraction(float(v)) for v in values]
    else:  # oracle
        if not (values > 0).any():
            warnings.warn(
                f"{context}oracle: no source has a positive Delta (all <= 0), so there is nothing to "
                f"reweight by; falling back to the uniform allocation",
                AllocationWarning,
                stacklevel=4,
            )
            w = [Fraction(1)] * n
        else:
            w = [Fraction(float(v)) if v > 0 else Fraction(0) for v in values]  # clip Delta < 0 to 0
    pools = None
    if pool_sizes is not None:
        pools = _check_pools(pool_sizes, sources)
        if budget > sum(pools):
            raise AllocationError(
                f"budget {budget} exceeds the total pool {sum(pools)} of the sources ({dict(zip(names, pools))})"
            )
    counts = _water_fill(w, pools, budget, names, context)
    return pd.Series(counts, index=sources.copy(), name=weights.name, dtype=np.int64)


def allocate(weights: pd.Series, budget: int, method: str, pool_sizes: pd.Series | None = None) -> pd.Series:
    """Samples per source for one target, summing exactly to ``budget`` (docs/method.md, section 6).

    ``weights``: one value per source (index = source names) for this target: ignored except
    for its labels under "uniform" (but must be finite); M(source -> target) under
    "dataprophet" (Algorithm 1: N_i ~ N * m_i / sum_j m_j; must be >= 0, not all 0);
    Delta(source -> target) under "oracle" (negatives clipped to 0; if all <= 0, uniform
    with an ``AllocationWarning``). Quotas are rounded by largest remainder (ties by source
    name) so the counts sum to the budget; plain round() may not. ``pool_sizes`` (index =
    sources, extra entries ignored) caps each source, excess going to the others in
    proportion to their weights. Returns int64 counts in ``weights``' order and name.

    Raises ``AllocationError`` (a ValueError) for an unknown method, a budget that is not a
    positive integer or is below the number of sources or above the total pool, empty,
    duplicate or non-finite weights, negative or all-zero DataProphet scores, and
    missing or invalid pool sizes.
    """
    return _allocate(weights, budget, method, pool_sizes)


def allocation_table(
    weights: pd.DataFrame, budget: int, method: str, pool_sizes: pd.Series | None = None
) -> pd.DataFrame:
    """Sources x targets counts: each column is ``allocate`` on that target's column.

    ``weights`` is the DataProphet matrix for "dataprophet", the Delta matrix for "oracle",
    and any matrix with the right labels for "uniform". The same ``pool_sizes`` (per
    source) cap every column; each target gets its own full budget. Errors and warnings
    name the target.
    """
    if not isinstance(weights, pd.DataFrame):
        raise AllocationError(f"weights must be a pandas DataFrame (sources x targets), got {type(weights).__name__}")
    if weights.shape[0] == 0 or weights.shape[1] == 0:
        raise AllocationError(f"weights matrix is empty (shape {weights.shape})")
    for axis, label in ((weights.index, "source (row)"), (weights.columns, "target (column)")):
        if axis.has_duplicates:
            dup = sorted({str(s) for s in axis[axis.duplicated()]})
            raise AllocationError(f"duplicate {label} label(s) in weights: {dup}")
    columns = {}
    for target in weights.columns:
        columns[target] = _allocate(weights[target], budget, method, pool_sizes, context=f"target {target!r}: ")
    out = pd.DataFrame(columns, index=weights.index.copy(), columns=weights.columns.copy()).astype(np.int64)
    out.index.name, out.columns.name = "source", "target"
    return out


# --------------------------------------------------------------------------- per-sample selection


def select_top_k(scores: pd.Series, k: int) -> pd.Index:
    """Ids of the ``k`` highest-scoring samples, best first (docs/method.md, section 6).

    Ties are broken by id ascending (numeric order for a numeric index, else ``str`` order)
    so that the selection is reproducible regardless of input order. ``scores`` is indexed
    by unique sample id. Raises ``SelectionError`` for k not an integer in [1, len(scores)],
    duplicate ids, or NaN / infinite scores (naming the ids).
    """
    if not isinstance(scores, pd.Series):
        raise SelectionError(f"scores must be a pandas Series indexed by sample id, got {type(scores).__name__}")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise SelectionError(f"k must be a positive integer, got {k!r} ({type(k).__name__})")
    if k <= 0:
        raise SelectionError(f"k must be a positive integer, got {k}")
    if k > len(scores):
        raise SelectionError(f"k={k} exceeds the number of scored samples ({len(scores)})")
    if scores.index.has_duplicates:
        dup = list(dict.fromkeys(scores.index[scores.index.duplicated()]))
        raise SelectionError(f"duplicate sample id(s) in scores: {dup[:5]}")
    try:
        values = np.asarray(scores.to_numpy(), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SelectionError(f"scores must be numeric: {err}") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise SelectionError(
            f"non-finite score(s) for sample id(s) {list(scores.index[bad][:5])} ({int(bad.sum())} in all)"
        )
    ids = scores.index
    id_key = ids.to_numpy() if pd.api.types.is_numeric_dtype(ids.dtype) else ids.astype(str).to_numpy()
    order = np.lexsort((id_key, -values))  # last key is primary: score descending, then id
    return ids[order[: int(k)]]


def _numeric(name: str, x) -> np.ndarray:
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SelectionError(f"{name} must be numeric: {err}") from None


def per_sample_scores(qsim, asim, isim, ppl_sample, ppl_target) -> np.ndarray:
    """m(u) = QSim(u,T) * ASim(u,T) * ISim(u,T) * PPL({u}) / PPL(T) for each sample u (section 6).

    ``qsim``, ``asim``, ``isim``: (n,) expected cosines of each sample's question, answer and
    image embedding with the target's (in [-1, 1] up to the unit-norm tolerance);
    ``ppl_sample``: (n,) each sample's own answer perplexity; ``ppl_target``: the scalar
    PPL(T). No diversity term (a single sample has none). As in ``prophet.factors``,
    similarities are not clipped, so two negative factors multiply to a positive score.
    Raises ``SelectionError`` for mismatched shapes, empty or non-finite input,
    similarities out of range, or perplexities that are not positive.
    """
    arrays = {}
    for name, x in (("qsim", qsim), ("asim", asim), ("isim", isim), ("ppl_sample", ppl_sample)):
        a = _numeric(name, x)
        if a.ndim != 1:
            raise SelectionError(f"{name} must be 1-D (n,), got shape {a.shape}")
        arrays[name] = a
    n = arrays["qsim"].shape[0]
    if n == 0:
        raise SelectionError("no samples to score (qsim is empty)")
    for name, a in arrays.items():
        if a.shape != (n,):
            raise SelectionError(f"{name} has shape {a.shape}, expected {(n,)} like qsim")
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise SelectionError(f"{name} has non-finite values at positions {bad[:5].tolist()}")
    for name in ("qsim", "asim", "isim"):
        out = np.flatnonzero(np.abs(arrays[name]) > 1 + _SIM_SLACK)
        if out.size:
            raise SelectionError(
                f"{name} must be a cosine in [-1, 1]; positions {out[:5].tolist()} have "
                f"{arrays[name][out[:5]].tolist()}"
            )
    bad = np.flatnonzero(arrays["ppl_sample"] <= 0)
    if bad.size:
        raise SelectionError(
            f"ppl_sample must be positive; positions {bad[:5].tolist()} have {arrays['ppl_sample'][bad[:5]].tolist()}"
        )
    t = _numeric("ppl_target", ppl_target)
    if t.ndim != 0:
        raise SelectionError(f"ppl_target must be a scalar (one target's PPL(T)), got shape {t.shape}")
    if not math.isfinite(float(t)) or float(t) <= 0:
        raise SelectionError(f"ppl_target must be a positive finite number, got {float(t)}")
    return arrays["qsim"] * arrays["asim"] * arrays["isim"] * arrays["ppl_sample"] / float(t)


# --------------------------------------------------------------------------- one model for every target


def pooled_weights(matrix: pd.DataFrame) -> pd.Series:
    """One weight per source for a single model that is scored on every target (the RL
    allocation of the paper's Table 4, whose rule the paper does not state).

    Each target's column of ``matrix`` (sources x targets, e.g. M) becomes shares that sum to
    1, and the shares are averaged over the targets: every target counts equally, whatever
    the scale of its column (M's columns differ by PPL(t)). The weights sum to 1. Raises
    ``AllocationError`` for an empty matrix, non-finite or negative values, or a target whose
    column sums to 0."""
    if not isinstance(matrix, pd.DataFrame) or matrix.empty:
        raise AllocationError("weights matrix is empty or not a DataFrame")
    values = matrix.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise AllocationError("weights matrix holds NaN or infinite values")
    if (values < 0).any():
        raise AllocationError("weights matrix holds negative values; M is a product of non-negative factors")
    sums = matrix.sum(axis=0)
    if (sums <= 0).any():
        raise AllocationError(f"target(s) {list(sums.index[sums <= 0])} have no positive weight for any source")
    return (matrix / sums).mean(axis=1).rename("weight")


def pooled_sample_scores(scores: pd.DataFrame) -> pd.Series:
    """One score per sample for a single model scored on every target: each target's m(u)
    divided by its mean over the pool (so no target dominates by scale), averaged over the
    targets. ``scores``: samples (index = id) x targets. Raises ``AllocationError`` for
    non-finite values or a target whose scores average to 0 or less."""
    if not isinstance(scores, pd.DataFrame) or scores.empty:
        raise AllocationError("sample scores are empty or not a DataFrame")
    if not np.isfinite(scores.to_numpy(dtype=np.float64)).all():
        raise AllocationError("sample scores hold NaN or infinite values")
    means = scores.mean(axis=0)
    if (means <= 0).any():
        raise AllocationError(f"target(s) {list(means.index[means <= 0])} have a mean sample score <= 0")
    return (scores / means).mean(axis=1).rename("score")
