"""Stage ``testbed``: the regime statistics of the ground truth, from ground-truth files only.

Says whether the testbed is in the paper's regime before any predictor is judged on it:
base scores, how often each model gives one constant answer, how much off-diagonal transfer
is positive, how often a target's own source is its best, how much of each target's ranking
the sources' overall effect explains, and the seed ceilings. No predictor is read here.
Reproduce: ``snakemake results/mini/tables/testbed.json`` (the rule ``testbed`` calls
``dataprophet testbed``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.analysis.ranking import per_target_tau
from dataprophet.io.atomic import write_csv, write_json
from dataprophet.io.contract import read_table
from dataprophet.prophet.baselines import source_main_effect
from dataprophet.settings import TestbedSettings
from dataprophet.truth.groundtruth import transfer_summary

# The paper's own heatmap (Figure 2 of the paper, see ../shared/paper/TABLES.md): every
# off-diagonal cell positive, each target's own source best, and a source main effect worth
# 0.50 tau_Tgt off the diagonal.
PAPER_REGIME = {"off_diagonal_positive_share": 1.0, "own_source_best": 14, "source_main_effect_tau_tgt": 0.50}

# What the testbed aims for (issue "A mini testbed in the paper's regime").
AIMS = {
    "constant_share_gap_max": 0.15,
    "base_score_range": (0.2, 0.8),
    "off_diagonal_positive_share": 0.70,
    "own_source_best_within_noise": 10,
    "ceiling_tau_tgt": 0.75,
}


def normalise_answer(text) -> str:
    return str(text).strip().lower().rstrip(".").strip()


def constant_share(answers) -> float:
    """Share of answers equal to the single most common one (after light normalisation)."""
    values = pd.Series([normalise_answer(a) for a in answers])
    if values.empty:
        return float("nan")
    return float(values.value_counts().iloc[0] / len(values))


def model_label(predictions: Path) -> str:
    """``.../eval/base/predictions.parquet`` -> base; ``.../eval/seed1/x/predictions.parquet`` -> seed1/x."""
    folder = Path(predictions).parent
    return f"{folder.parent.name}/{folder.name}" if folder.parent.name.startswith("seed") else folder.name


def own_source_best(delta: pd.DataFrame, se: pd.DataFrame, z: float) -> dict[str, bool]:
    """Per target: is its own source the best source, allowing a gap of z standard errors of
    the difference (sqrt(se_own^2 + se_best^2); no allowance when the SE is unknown)."""
    out = {}
    for target in delta.columns:
        if target not in delta.index:
            continue
        column = delta[target]
        best = column.idxmax()
        gap = column[best] - column[target]
        noise = np.sqrt(se.loc[target, target] ** 2 + se.loc[best, target] ** 2)
        out[target] = bool(gap <= (z * noise if np.isfinite(noise) else 0.0))
    return out


def off_diagonal(frame: pd.DataFrame) -> np.ndarray:
    values = frame.to_numpy(dtype=float)
    mask = np.ones_like(values, dtype=bool)
    for i, s in enumerate(frame.index):
        if s in frame.columns:
            mask[i, frame.columns.get_loc(s)] = False
    return values[mask]


def regime(
    delta: pd.DataFrame,
    se: pd.DataFrame,
    base_scores: pd.Series,
    shares: pd.DataFrame,
    ceiling: dict,
    z: float,
) -> dict:
    """Every statistic of the testbed; ``shares`` has models as rows (``references``, ``base``,
    ``seed<k>/<source>``) and targets as columns."""
    off, off_se = off_diagonal(delta), off_diagonal(se)
    known = np.isfinite(off_se)
    off, off_se = off[known], off_se[known]

    def share(flags: np.ndarray) -> float | None:  # None when no cell has a standard error
        return float(np.mean(flags)) if flags.size else None

    transfer = transfer_summary(delta)
    own = own_source_best(delta, se, z)
    strict = {t: bool(delta[t].idxmax() == t) for t in delta.columns if t in delta.index}
    main = per_target_tau(delta, source_main_effect(delta), "b", exclude_diagonal=True)
    finetuned = shares.drop(index=["references", "base"], errors="ignore")
    gap = (finetuned - shares.loc["references"]).abs().max(axis=0)
    stats = {
        "targets": list(delta.columns),
        "base_score": {t: float(base_scores[t]) for t in delta.columns},
        "constant_share_references": shares.loc["references"].round(4).to_dict(),
        "constant_share_base": shares.loc["base"].round(4).to_dict(),
        "constant_share_finetuned_median": finetuned.median(axis=0).round(4).to_dict(),
        "constant_share_gap_max": gap.round(4).to_dict(),
        "diagonal_mean": transfer["diagonal_mean"],
        "off_diagonal_mean": transfer["off_diagonal_mean"],
        "off_diagonal_positive_share": transfer["off_diagonal_positive_fraction"],
        "off_diagonal_positive_beyond_noise_share": share(off > z * off_se),
        "off_diagonal_negative_beyond_noise_share": share(off < -z * off_se),
        "cells_within_noise_share": share(np.abs(off) <= z * off_se),
        "own_source_best": int(sum(strict.values())),
        "own_source_best_within_noise": int(sum(own.values())),
        "own_source_not_best": sorted(t for t, ok in own.items() if not ok),
        "source_main_effect_tau_tgt": float(main.mean()),
        "noise_z": z,
        "ceiling_tau_tgt": ceiling.get("ceiling_tau_tgt"),
        "ceiling_tau_src": ceiling.get("ceiling_tau_src"),
        "split_half": ceiling.get("split_half"),
        "paper_regime": PAPER_REGIME,
    }
    low, high = AIMS["base_score_range"]
    stats["aims"] = {
        "constant_share_gap_max<=0.15": int((gap <= AIMS["constant_share_gap_max"]).sum()),
        "base_score_in_[0.2,0.8]": int(
            ((base_scores[delta.columns] >= low) & (base_scores[delta.columns] <= high)).sum()
        ),
        "off_diagonal_positive_share>=0.70": stats["off_diagonal_positive_share"]
        >= AIMS["off_diagonal_positive_share"],
        "own_source_best_within_noise>=10": stats["own_source_best_within_noise"]
        >= AIMS["own_source_best_within_noise"],
        "ceiling_tau_tgt>=0.75": (stats["ceiling_tau_tgt"] or 0) >= AIMS["ceiling_tau_tgt"],
        "of_targets": len(delta.columns),
    }
    return stats


def testbed(
    delta: Path,
    se: Path,
    ceiling: Path,
    scores: Path,
    predictions: list[Path],
    references: list[Path],
    out: Path,
    shares: Path,
    settings: TestbedSettings,
) -> dict:
    """Regime statistics to ``out`` (JSON) and the constant-answer share of the references and
    of every model (one ``eval/<model>/predictions.parquet`` each) on every target to ``shares``."""
    mean = pd.read_csv(delta, index_col=0)
    error = pd.read_csv(se, index_col=0).loc[mean.index, mean.columns]
    score_table = pd.read_csv(scores, index_col=0)
    rows = {
        "references": {Path(p).stem: constant_share(read_table(p)["answers"].map(lambda a: a[0])) for p in references}
    }
    for path in predictions:
        frame = pd.read_parquet(path, columns=["target", "prediction"])
        rows[model_label(path)] = {t: constant_share(g["prediction"]) for t, g in frame.groupby("target")}
    share_table = pd.DataFrame(rows).T[list(mean.columns)]
    share_table.index.name = "model"
    stats = regime(
        mean, error, score_table.loc["base"], share_table, json.loads(Path(ceiling).read_text()), settings.noise_z
    )
    write_csv(share_table, shares, float_format="%.4f")
    write_json(stats, out)
    print(json.dumps({k: v for k, v in stats.items() if not isinstance(v, dict)} | {"aims": stats["aims"]}, indent=1))
    return stats
