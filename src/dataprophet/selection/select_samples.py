"""Command ``select-samples``: the pool samples that DataProphet scores highest for one target.

Each sample u of a pool is scored against the target T with the per-sample score
m(u) = QSim(u, T) * ASim(u, T) * ISim(u, T) * PPL({u}) / PPL(T), from feature files written
by ``dataprophet features``; the ``k`` best are written with their factors (docs/method.md,
"Per-sample selection").
Reproduce: ``dataprophet select-samples --pool results/mini/features/train/chart_line.npz
--target results/mini/features/test/chart_bar.npz --out /tmp/top.csv --k 100``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.prophet.factors import load_features, perplexity
from dataprophet.selection.allocation import per_sample_scores, select_top_k
from dataprophet.settings import SelectSamplesSettings


def sample_factors(pool, target) -> pd.DataFrame:
    """One row per pool sample (index = sample id): its similarities to the target, its own
    perplexity, and the score m(u)."""
    sims = {
        f"{f}sim": np.asarray(getattr(pool, f), dtype=np.float64)
        @ np.asarray(getattr(target, f), dtype=np.float64).mean(axis=0)
        for f in ("q", "a", "i")
    }
    ppl_sample = np.exp(np.asarray(pool.nll, dtype=np.float64))
    ppl_target = perplexity(target.nll)
    m = per_sample_scores(sims["qsim"], sims["asim"], sims["isim"], ppl_sample, ppl_target)
    frame = pd.DataFrame(
        {**sims, "ppl_sample": ppl_sample, "ppl_target": ppl_target, "m": m}, index=pd.Index(pool.ids, name="id")
    )
    return frame


def select_samples(pool: Path, target: Path, out: Path, settings: SelectSamplesSettings) -> pd.DataFrame:
    """The ``settings.k`` best pool samples for the target, best first, to ``out`` (CSV)."""
    factors = sample_factors(load_features(pool, f"pool {pool}"), load_features(target, f"target {target}"))
    chosen = factors.loc[select_top_k(factors["m"], settings.k)]
    write_csv(chosen, out, float_format="%.8g")
    print(f"kept {len(chosen)} of {len(factors)} pool samples for {Path(target).stem} -> {out}")
    return chosen
