"""Stage ``agreement``: how far the fine-tuning seeds agree, the noise ceiling of any
predictor. The mean Delta over the seeds, which the predictors are judged against, is the
stage ``seed_mean`` (``truth.seed_mean``), kept apart because it reads no tau setting.

A predictor is judged against the seed mean, so its ceiling is how well one seed agrees with
the mean of the others (leave-one-seed-out), not how well two single seeds agree; the
split-half reliability says how repeatable the mean itself is.
Reproduce: ``snakemake results/mini/tables/noise_ceiling.json`` (the rule ``agreement`` calls
``dataprophet agreement`` on every seed's ``tables/seed<k>/delta.csv``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv, write_json
from dataprophet.settings import AgreementSettings
from dataprophet.stats.kendall import matrix_spearman, per_source_tau, per_target_tau


def mean_over_seeds(deltas: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cell-wise mean over seeds and its standard error (sample sd / sqrt(seeds); NaN for one seed).

    Every table must have the same source and target labels (order may differ)."""
    first = deltas[0]
    for k, d in enumerate(deltas[1:], start=1):
        if set(d.index) != set(first.index) or set(d.columns) != set(first.columns):
            raise ValueError(f"Delta table {k} has other sources or targets than table 0")
    stack = np.stack([d.loc[first.index, first.columns].to_numpy(dtype=float) for d in deltas])
    mean = pd.DataFrame(stack.mean(axis=0), index=first.index, columns=first.columns)
    if len(deltas) > 1:
        se_values = stack.std(axis=0, ddof=1) / np.sqrt(len(deltas))
    else:
        se_values = np.full(stack.shape[1:], np.nan)
    se = pd.DataFrame(se_values, index=first.index, columns=first.columns)
    mean.index.name = se.index.name = "source"
    return mean, se


def _defined(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Leave out targets whose Delta is undefined (zero base score) in any table."""
    undefined = {t for d in frames for t in d.columns if d[t].isna().any()}
    return [d.drop(columns=sorted(undefined)) for d in frames]


def pair_agreement(a: pd.DataFrame, b: pd.DataFrame, variant: str = "b", exclude_diagonal: bool = False):
    """Per-target and per-source tau of two Delta tables, and their whole-matrix Spearman."""
    a, b = _defined([a, b])
    tgt = per_target_tau(a, b, variant, exclude_diagonal)
    src = per_source_tau(a, b, variant, exclude_diagonal)
    summary = {
        "tau_tgt_mean": float(np.nanmean(tgt)),
        "tau_src_mean": float(np.nanmean(src)),
        "matrix_spearman": matrix_spearman(a, b),
    }
    return tgt, src, summary


def leave_one_out(deltas: dict[str, pd.DataFrame], variant: str = "b", exclude_diagonal: bool = False):
    """Each seed against the mean of the others: the per-item table and one summary per seed."""
    rows, summaries = [], []
    for label, held in deltas.items():
        rest, _ = mean_over_seeds([d for k, d in deltas.items() if k != label])
        tgt, src, summary = pair_agreement(held, rest, variant, exclude_diagonal)
        comparison = f"{label}-vs-rest"
        rows.append(pd.DataFrame({"comparison": comparison, "axis": "target", "name": tgt.index, "tau": tgt.values}))
        rows.append(pd.DataFrame({"comparison": comparison, "axis": "source", "name": src.index, "tau": src.values}))
        summaries.append({"comparison": comparison, **summary})
    return pd.concat(rows, ignore_index=True), summaries


def split_half(deltas: list[pd.DataFrame], variant: str = "b", exclude_diagonal: bool = False) -> dict:
    """Agreement of the means of two disjoint halves of the seeds, over every split, and the
    whole-matrix Spearman stepped up to the full seed count with the Spearman-Brown formula
    r_full = 2 r / (1 + r) (halves of size floor(n/2) and ceil(n/2); with an odd count the
    step-up treats each half as n/2 seeds, the mean half size)."""
    n = len(deltas)
    half = n // 2
    spearman, tau_tgt = [], []
    for group in itertools.combinations(range(n), half):
        other = [i for i in range(n) if i not in group]
        if half == n - half and min(group) != 0:  # equal halves: count each split once
            continue
        mean_a, _ = mean_over_seeds([deltas[i] for i in group])
        mean_b, _ = mean_over_seeds([deltas[i] for i in other])
        tgt, _, summary = pair_agreement(mean_a, mean_b, variant, exclude_diagonal)
        spearman.append(summary["matrix_spearman"])
        tau_tgt.append(summary["tau_tgt_mean"])
    r = float(np.mean(spearman))
    return {
        "splits": len(spearman),
        "matrix_spearman": r,
        "tau_tgt_mean": float(np.mean(tau_tgt)),
        "matrix_spearman_brown": float(2 * r / (1 + r)) if r > -1 else float("nan"),
    }


def read_deltas(deltas: list[Path], labels: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    if len(labels) != len(deltas):
        raise ValueError(f"{len(deltas)} delta tables but {len(labels)} labels")
    return {label: pd.read_csv(p, index_col=0) for label, p in zip(labels, deltas)}


def agreement(deltas: list[Path], table: Path, summary: Path, settings: AgreementSettings) -> dict:
    """With two or more seeds (labelled by ``settings.labels``), leave-one-seed-out taus per
    item to ``table`` and the ceilings (leave-one-out means, every seed pair, split-half) to
    ``summary``; with one seed, an empty table and the seed's name."""
    frames = read_deltas(deltas, settings.labels)
    options = {"variant": settings.variant, "exclude_diagonal": settings.exclude_diagonal}
    result: dict = {"seeds": list(frames), **options}
    if len(frames) > 1:
        per_item, loo = leave_one_out(frames, **options)
        result["leave_one_out"] = loo
        result["ceiling_tau_tgt"] = float(np.mean([s["tau_tgt_mean"] for s in loo]))
        result["ceiling_tau_src"] = float(np.mean([s["tau_src_mean"] for s in loo]))
        result["pairs"] = [
            {"pair": f"{a}-{b}", **pair_agreement(frames[a], frames[b], **options)[2]}
            for a, b in itertools.combinations(frames, 2)
        ]
        result["split_half"] = split_half(list(frames.values()), **options)
    else:
        per_item = pd.DataFrame(columns=["comparison", "axis", "name", "tau"])
    write_csv(per_item, table, index=False, float_format="%.4f")
    write_json(result, summary)
    if len(frames) > 1:
        print(
            f"one seed vs the mean of the others: tau_tgt {result['ceiling_tau_tgt']:.3f}, "
            f"tau_src {result['ceiling_tau_src']:.3f}; split-half Spearman "
            f"{result['split_half']['matrix_spearman']:.3f} "
            f"(stepped up {result['split_half']['matrix_spearman_brown']:.3f})"
        )
    return result
