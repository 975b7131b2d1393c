"""Baseline predictors beside DataProphet: how much of a tau the diagonal alone, or the
sources' overall strength, already gives. Pure functions over labelled matrices.

``family_baseline`` (same task family = 1) lives in ``factors`` with the metric.
"""

from __future__ import annotations

import pandas as pd


def own_source_first(sources, targets) -> pd.DataFrame:
    """1 where the source is the target itself, 0 elsewhere: each target's own source ranked
    first and every other source tied (judge it with tau-b, which handles the ties)."""
    sources, targets = list(sources), list(targets)
    data = [[int(s == t) for t in targets] for s in sources]
    return pd.DataFrame(data, index=pd.Index(sources, name="source"), columns=pd.Index(targets, name="target"))


def source_main_effect(delta: pd.DataFrame) -> pd.DataFrame:
    """The predictor that knows only how much each source helps elsewhere: for target t,
    source s scores its mean Delta over every target except t and s itself. It reads the
    ground truth, but never the column being ranked."""
    out = pd.DataFrame(index=delta.index, columns=delta.columns, dtype=float)
    for t in delta.columns:
        for s in delta.index:
            others = [c for c in delta.columns if c not in (t, s)]
            out.loc[s, t] = delta.loc[s, others].mean() if others else 0.0
    out.index.name, out.columns.name = "source", "target"
    return out
