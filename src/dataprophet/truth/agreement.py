"""Stage ``agreement``: seed-to-seed agreement of the ground truth, the testbed's noise ceiling.

Any predictor's tau on the testbed is bounded by how well two fine-tuning seeds agree.
Reproduce: ``snakemake results/mini/tables/noise_ceiling.csv`` (the rule ``agreement`` calls
``dataprophet agreement``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from dataprophet.analysis.ranking import matrix_spearman, per_source_tau, per_target_tau
from dataprophet.io.atomic import write_csv, write_json
from dataprophet.settings import AgreementSettings


def seed_agreement(delta_a: pd.DataFrame, delta_b: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Agreement of two fine-tuning seeds: the noise ceiling of any predictor on this testbed.

    Targets whose Delta is undefined in either seed (zero base score) are left out.
    """
    undefined = [t for t in delta_a.columns if delta_a[t].isna().any() or delta_b[t].isna().any()]
    delta_a, delta_b = delta_a.drop(columns=undefined), delta_b.drop(columns=undefined)
    tgt = per_target_tau(delta_a, delta_b)
    src = per_source_tau(delta_a, delta_b)
    table = pd.concat(
        [
            pd.DataFrame({"axis": "target", "name": tgt.index, "tau": tgt.values}),
            pd.DataFrame({"axis": "source", "name": src.index, "tau": src.values}),
        ],
        ignore_index=True,
    )
    summary = {
        "tau_tgt_mean": float(tgt.mean()),
        "tau_src_mean": float(src.mean()),
        "matrix_spearman": matrix_spearman(delta_a, delta_b),
    }
    return table, summary


def agreement(deltas: list[Path], table: Path, summary: Path, settings: AgreementSettings) -> list[dict]:
    """Agreement of every pair of Delta tables (labelled by ``settings.labels``): per-item
    tau to ``table`` (CSV), the per-pair means and whole-matrix Spearman to ``summary`` (JSON)."""
    if len(settings.labels) != len(deltas):
        raise ValueError(f"{len(deltas)} delta tables but {len(settings.labels)} labels")
    frames = {label: pd.read_csv(p, index_col=0) for label, p in zip(settings.labels, deltas)}
    tables, summaries = [], []
    for a, b in itertools.combinations(frames, 2):
        pair_table, pair_summary = seed_agreement(frames[a], frames[b])
        tables.append(pair_table.assign(pair=f"{a}-{b}"))
        summaries.append({"pair": f"{a}-{b}", **pair_summary})
    write_csv(pd.concat(tables, ignore_index=True), table, index=False, float_format="%.4f")
    write_json({"pairs": summaries}, summary)
    for s in summaries:
        print(
            f"{s['pair']}: tau_tgt {s['tau_tgt_mean']:.3f}, tau_src {s['tau_src_mean']:.3f}, "
            f"spearman {s['matrix_spearman']:.3f}"
        )
    return summaries
