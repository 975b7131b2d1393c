"""Command ``select-samples``: the pool samples that DataProphet scores highest for one target.

Each sample u of a pool is scored against the target T with the per-sample score
m(u) = QSim(u, T) * ASim(u, T) * ISim(u, T) * PPL({u}) / PPL(T), from feature files written
by ``dataprophet features``; the ``k`` best are written with their factors (docs/method.md,
"Per-sample selection"). Pool features are streamed in chunks (``iter_features``): memory
holds one chunk of embeddings and one row of scalars per pool sample, whatever the pool's size.
Reproduce: ``dataprophet select-samples --pool results/mini/features/train/chart_line.npz
--target results/mini/features/test/chart_bar.npz --out /tmp/top.csv --k 100``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.prophet.factors import CHUNK_ROWS, FeatureSet, iter_features, load_features, perplexity
from dataprophet.selection.budget import per_sample_scores, select_top_k
from dataprophet.settings import SelectSamplesSettings

FACTOR_COLUMNS = ("qsim", "asim", "isim", "ppl_sample", "ppl_target", "m")


@dataclass(frozen=True)
class TargetMeans:
    """What per-sample scoring needs of a target: its mean q, a, i embeddings and PPL(T)."""

    q: np.ndarray
    a: np.ndarray
    i: np.ndarray
    ppl: float

    @classmethod
    def of(cls, target: FeatureSet) -> TargetMeans:
        means = {f: np.asarray(getattr(target, f), dtype=np.float64).mean(axis=0) for f in ("q", "a", "i")}
        return cls(**means, ppl=perplexity(target.nll))


def sample_factors(pool: FeatureSet, target: FeatureSet | TargetMeans) -> pd.DataFrame:
    """One row per pool sample (index = sample id): its similarities to the target, its own
    perplexity, and the score m(u)."""
    means = target if isinstance(target, TargetMeans) else TargetMeans.of(target)
    sims = {f"{f}sim": np.asarray(getattr(pool, f), dtype=np.float64) @ getattr(means, f) for f in ("q", "a", "i")}
    ppl_sample = np.exp(np.asarray(pool.nll, dtype=np.float64))
    m = per_sample_scores(sims["qsim"], sims["asim"], sims["isim"], ppl_sample, means.ppl)
    return pd.DataFrame(
        {**sims, "ppl_sample": ppl_sample, "ppl_target": means.ppl, "m": m}, index=pd.Index(pool.ids, name="id")
    )


def stream_factors(
    pools: list[Path],
    targets: dict[str, FeatureSet],
    columns: tuple[str, ...] = FACTOR_COLUMNS,
    rows: int = CHUNK_ROWS,
) -> dict[str, pd.DataFrame]:
    """``sample_factors`` of every row of the pool feature files (in file order) against each
    target, reading the pool ``rows`` at a time; keeps only ``columns`` per target."""
    means = {name: TargetMeans.of(fs) for name, fs in targets.items()}
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in targets}
    for path in pools:
        for chunk in iter_features(path, f"pool {path}", rows):
            for name, target in means.items():
                parts[name].append(sample_factors(chunk, target)[list(columns)])
    return {name: pd.concat(frames) for name, frames in parts.items()}


def select_samples(
    pool: Path, target: Path, out: Path, settings: SelectSamplesSettings, rows: int = CHUNK_ROWS
) -> pd.DataFrame:
    """The ``settings.k`` best pool samples for the target, best first, to ``out`` (CSV)."""
    name = Path(target).stem
    factors = stream_factors([pool], {name: load_features(target, f"target {target}")}, rows=rows)[name]
    chosen = factors.loc[select_top_k(factors["m"], settings.k)]
    write_csv(chosen, out, float_format="%.8g")
    print(f"kept {len(chosen)} of {len(factors)} pool samples for {name} -> {out}")
    return chosen
