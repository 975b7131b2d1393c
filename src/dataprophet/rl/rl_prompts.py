"""Stage ``rl_prompts``: the prompt set of every RL run (the paper's Table 4).

A budget of ``budget`` prompts (the paper: 300 x 14) for one model that is then scored on
every dataset:

* ``equal``: the budget split equally over the datasets (largest remainder), drawn from each
  dataset's train table;
* ``dataprophet``: split by one weight per source, each target's column of M turned into
  shares and averaged over the targets (``selection.budget.pooled_weights``; the paper
  does not state its rule), then Algorithm 1's rounding and pool caps;
* ``random_synthetic``: a seeded random draw from the synthetic pool;
* ``dataprophet_synthetic``: the pool pairs with the highest per-sample score pooled over
  every target (each target's m(u) over its pool mean, averaged;
  ``selection.budget.pooled_sample_scores``).

Draws from a train table are seeded per source as the selection mixtures' are
(``selection.mixture``). Writes ``out``/<run>.parquet (contract rows, the prompts and their
reference answers, with ``source``) and <run>.ids.csv, and ``allocation`` (counts per
source of the real runs and the weights behind them).
Reproduce: ``snakemake results/mini/rl/prompts/dataprophet.parquet`` (the rule
``rl_prompts`` calls ``dataprophet rl-prompts``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.io.contract import read_rows, read_table, table_columns, write_table
from dataprophet.io.matrices import read_matrix
from dataprophet.selection.budget import allocate, pooled_sample_scores, pooled_weights, select_top_k
from dataprophet.selection.mixture import draw_mixture
from dataprophet.settings import RlPromptsSettings


def write_prompts(rows: pd.DataFrame, out: Path) -> None:
    write_table(rows[table_columns(rows)].to_dict("records"), out, validate=False)
    write_csv(rows[["id", "source"]], out.with_suffix(".ids.csv"), index=False)


def real_counts(metric: pd.DataFrame, sizes: pd.Series, budget: int) -> pd.DataFrame:
    """Sources x (equal, dataprophet) prompt counts, with the DataProphet weight per source."""
    weights = pooled_weights(metric.loc[sizes.index])
    return pd.DataFrame(
        {
            "equal": allocate(pd.Series(1.0, index=sizes.index), budget, "uniform", sizes),
            "dataprophet": allocate(weights, budget, "dataprophet", sizes),
            "dataprophet_weight": weights,
            "train_size": sizes,
        }
    ).rename_axis("source")


def rl_prompts(
    train: list[Path],
    metric: Path,
    out: Path,
    allocation: Path,
    settings: RlPromptsSettings,
    synthetic: list[Path] = (),
    synthetic_scores: Path | None = None,
) -> dict[str, int]:
    """Every configured run's prompts under ``out``/; returns the prompt count per run."""
    tables = {Path(p).stem: read_table(p) for p in train}
    sizes = pd.Series({name: len(frame) for name, frame in tables.items()})
    if settings.budget > sizes.sum():
        raise ValueError(f"RL budget {settings.budget} is more than the train tables hold ({sizes.sum()})")
    counts = real_counts(read_matrix(metric), sizes, settings.budget)
    written = {}
    empty = {name: frame.iloc[:0] for name, frame in tables.items()}
    for run in ("equal", "dataprophet"):
        if run in settings.runs:
            rows = draw_mixture(counts[run], {s: (tables[s], empty[s]) for s in tables}, settings.seed)
            write_prompts(rows, out / f"{run}.parquet")
            written[run] = len(rows)
    synthetic_runs = [r for r in settings.runs if r.endswith("_synthetic")]
    if synthetic_runs:
        if not synthetic or synthetic_scores is None:
            raise ValueError(f"runs {synthetic_runs} need --synthetic tables and --synthetic-scores")
        # the pool's ids only; the chosen prompts are read whole afterwards (read_rows)
        pool = pd.concat(
            [read_table(p, columns=["id"]).assign(source=Path(p).stem) for p in synthetic], ignore_index=True
        )
        if settings.budget > len(pool):
            raise ValueError(f"RL budget {settings.budget} is more than the synthetic pool holds ({len(pool)})")
        source_of = pool.set_index(pool["id"].astype(str))["source"]
        if "random_synthetic" in synthetic_runs:
            pick = np.sort(np.random.default_rng(settings.seed).choice(len(pool), size=settings.budget, replace=False))
            write_prompts(read_rows(synthetic, source_of, pool["id"].iloc[pick]), out / "random_synthetic.parquet")
            written["random_synthetic"] = settings.budget
        if "dataprophet_synthetic" in synthetic_runs:
            scores = pd.read_parquet(synthetic_scores)
            targets = [c for c in scores.columns if c in tables]
            missing = [t for t in tables if t not in targets]
            if missing:
                raise ValueError(f"{synthetic_scores}: no per-sample score for target(s) {missing}")
            ids = select_top_k(pooled_sample_scores(scores[targets]), settings.budget)
            write_prompts(read_rows(synthetic, source_of, ids), out / "dataprophet_synthetic.parquet")
            written["dataprophet_synthetic"] = settings.budget
    write_csv(counts, allocation, float_format="%.6g")
    print(counts.to_string())
    print(f"prompts per run: {written} -> {out}")
    return written
