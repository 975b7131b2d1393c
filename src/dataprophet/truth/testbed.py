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
import pyarrow.parquet as pq

from dataprophet.io.atomic import write_csv, write_json
from dataprophet.io.contract import read_table
from dataprophet.settings import TestbedSettings
from dataprophet.stats.baselines import source_main_effect
from dataprophet.stats.kendall import per_target_tau
from dataprophet.truth.groundtruth import transfer_summary

# The paper's own heatmap (Figure 2 of the paper, see docs/paper.md, section 2.2): every
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


# The stage-1 pilot gates of testbed v2 (docs/testbed.md).
GATES = {
    "own_delta_beyond_noise_min_share": 5 / 6,
    "off_diagonal_positive_share": 0.80,
    "own_source_best_min_share": 5 / 6,
    "constant_share_gap_max": 0.15,
    "seed_noise_to_spread_max": 0.5,
}


def item_statistics(items: pd.DataFrame, sources: list[str], z: float) -> dict:
    """Item-level noise of the diagonal, from per-item scores (``items``: model, target, id,
    score; models ``base`` and ``seed<k>/<source>``), the seeds' items averaged first.

    Per target that is also a source: its own Delta and that Delta's standard error over items
    (paired with the base's items), and whether its own source is best within z paired
    standard errors of the best source's items."""
    wide = items.pivot_table(index=["target", "id"], columns="model", values="score")
    models = [m for m in wide.columns if m != "base"]
    per_source = {s: [m for m in models if m.split("/", 1)[1] == s] for s in sources}
    out = {}
    for target in sorted({t for t, _ in wide.index}):
        if target not in sources:
            continue
        frame = wide.loc[target]
        base = frame["base"].to_numpy(dtype=float)
        base_score = base.mean()
        mean_of = {s: frame[ms].to_numpy(dtype=float).mean(axis=1) for s, ms in per_source.items() if ms}
        n = len(base)
        own = mean_of[target] - base
        own_delta = own.mean() / base_score if base_score > 0 else float("nan")
        own_se = own.std(ddof=1) / np.sqrt(n) / base_score if base_score > 0 else float("nan")
        best = max(mean_of, key=lambda s: mean_of[s].mean())
        gap = mean_of[best] - mean_of[target]
        gap_se = gap.std(ddof=1) / np.sqrt(n)
        out[target] = {
            "own_delta": float(own_delta),
            "own_delta_se_items": float(own_se),
            "own_delta_beyond_noise": bool(own_delta > z * own_se),
            "best_source": best,
            "own_best_within_noise_items": bool(gap.mean() <= z * gap_se) if best != target else True,
        }
    return out


def seed_noise_ratio(delta: pd.DataFrame, se: pd.DataFrame, seeds: int) -> float | None:
    """Seed noise against the spread of sources: the root mean per-cell seed variance (from the
    seed-mean's standard error) over the mean across targets of the sources' spread."""
    if seeds < 2:
        return None
    noise = float(np.sqrt(np.nanmean((se.to_numpy(dtype=float) * np.sqrt(seeds)) ** 2)))
    spread = float(np.nanmean(delta.std(axis=0, ddof=1).to_numpy(dtype=float)))
    return noise / spread if spread > 0 else None


def gates(stats: dict, items: dict, ratio: float | None) -> dict:
    """The stage-1 go/no-go of docs/testbed.md, from the regime statistics and item noise."""
    probes = list(items)
    beyond = sum(v["own_delta_beyond_noise"] for v in items.values())
    best = sum(v["own_best_within_noise_items"] for v in items.values())
    gap_ok = all(v <= GATES["constant_share_gap_max"] for v in stats["constant_share_gap_max"].values())
    checks = {
        "own_delta_beyond_noise": f"{beyond} of {len(probes)}",
        "own_delta_beyond_noise_ok": bool(probes) and beyond >= GATES["own_delta_beyond_noise_min_share"] * len(probes),
        "off_diagonal_positive_share_ok": stats["off_diagonal_positive_share"] >= GATES["off_diagonal_positive_share"],
        "own_source_best_items": f"{best} of {len(probes)}",
        "own_source_best_ok": bool(probes) and best >= GATES["own_source_best_min_share"] * len(probes),
        "constant_share_gap_ok": bool(gap_ok),
        "seed_noise_to_spread": ratio,
        "seed_noise_to_spread_ok": ratio is not None and ratio <= GATES["seed_noise_to_spread_max"],
    }
    checks["go"] = all(v for k, v in checks.items() if k.endswith("_ok"))
    return checks


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
    items = []
    for path in predictions:
        columns = set(pq.read_schema(path).names)
        per_item = {"id", "score"} <= columns  # evaluation writes both; older files may lack them
        frame = pd.read_parquet(path, columns=["target", "prediction", *(["id", "score"] if per_item else [])])
        rows[model_label(path)] = {t: constant_share(g["prediction"]) for t, g in frame.groupby("target")}
        if per_item:
            items.append(frame[["target", "id", "score"]].assign(model=model_label(path)))
    share_table = pd.DataFrame(rows).T[list(mean.columns)]
    share_table.index.name = "model"
    stats = regime(
        mean, error, score_table.loc["base"], share_table, json.loads(Path(ceiling).read_text()), settings.noise_z
    )
    seeds = len({m.split("/")[0] for m in rows if m.startswith("seed")})
    whole = len(items) == len(predictions)  # item noise needs every model's items
    per_item = item_statistics(pd.concat(items, ignore_index=True), list(mean.index), settings.noise_z) if whole else {}
    stats["items"] = per_item
    stats["gates"] = gates(stats, per_item, seed_noise_ratio(mean, error, seeds))
    write_csv(share_table, shares, float_format="%.4f")
    write_json(stats, out)
    print(json.dumps({k: v for k, v in stats.items() if not isinstance(v, dict)} | {"aims": stats["aims"]}, indent=1))
    return stats
