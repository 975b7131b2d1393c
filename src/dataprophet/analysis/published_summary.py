"""Stage ``published_summary``: Table 1 recomputed from the paper's printed matrices, beside
the printed Table 1, every difference marked.

The published study's rank stage ranks with the paper's own Figure 2 (Delta) and metric
figure (M); this page sets each of its numbers beside the one the paper prints: the mean
tau per target and per source and the two-way tau, then every target's and every source's
tau, then the baselines the two matrices allow (task family, own source first, the source
main effect). A number is marked as different when it is further from the printed one than
the printing's rounding (``tolerance``); none is left out.
Reproduce: ``snakemake --configfile config/published.yaml results/published/report/summary.md``
(the rule ``published_summary`` calls ``dataprophet published-summary``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet import paper
from dataprophet.analysis.ablations import FAMILY_BASELINE, MAIN_EFFECT_BASELINE, OWN_SOURCE_BASELINE
from dataprophet.io.atomic import atomic_path
from dataprophet.settings import PublishedSummarySettings


def mark(recomputed: float, printed: float | None, tolerance: float) -> tuple[str, str, str]:
    """(printed, difference, verdict) as text: "same" within the printing's rounding,
    else "**differs**"; "-" where the paper prints nothing."""
    if printed is None or recomputed is None or np.isnan(recomputed):
        return ("-" if printed is None else f"{printed:.3f}"), "-", "not printed" if printed is None else "-"
    difference = recomputed - printed
    verdict = "same" if abs(difference) <= tolerance else "**differs**"
    return f"{printed:.3f}", f"{difference:+.3f}", verdict


def _rows(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]


def _interval(summary: dict, key: str) -> str:
    return f"{summary[key]:.3f} [{summary[key + '_low']:.3f}, {summary[key + '_high']:.3f}]"


def item_rows(per_item: pd.DataFrame, axis: str, printed: dict, mirrors: dict, tolerance: float) -> list[list[str]]:
    rows = []
    part = per_item[per_item["axis"] == axis].copy()
    order = {name: k for k, name in enumerate(printed)}  # Table 1's order
    part["_order"] = [order.get(paper.paper_name(mirrors.get(n, n)), len(order)) for n in part["name"]]
    for rec in part.sort_values("_order", kind="stable").itertuples():
        name = paper.paper_name(mirrors.get(rec.name, rec.name))
        shown, difference, verdict = mark(float(rec.tau), printed.get(name), tolerance)
        rows.append([name, shown, f"{rec.tau:.3f}", difference, verdict])
    return rows


def published_summary(tau_summary: Path, tau: Path, ablations: Path, out: Path, settings: PublishedSummarySettings):
    """The Markdown page ``out`` from the rank stage's ``tau_summary`` and ``tau`` and the
    ablation stage's table."""
    summary = json.loads(Path(tau_summary).read_text())
    per_item = pd.read_csv(tau)
    table = pd.read_csv(ablations).set_index("variant")
    mirrors = {name: info["mirrors"] for name, info in settings.datasets.items()}
    tol = settings.tolerance
    printed_rows_tgt = float(np.mean(list(paper.TAU_TGT.values())))
    printed_rows_src = float(np.mean(list(paper.TAU_SRC.values())))
    lines = [
        "# Table 1 from the paper's own matrices",
        "",
        "Kendall's tau recomputed with this project's rank stage from the two matrices the paper",
        "prints cell by cell: Delta(s->t) of Figure 2 and M(s->t) of the metric figure",
        "(`data/published/`). No model is trained or scored. Printed: the paper's Table 1.",
        f"Tau variant {summary['variant']}, diagonal {'left out' if summary['exclude_diagonal'] else 'included'},",
        f"{summary['n_boot']} bootstrap resamples of the items for the {summary['level']:.0%} intervals (seed",
        f"{summary['seed']}). A recomputed number more than {tol:g} from the printed one (the printing's",
        "rounding) is marked **differs**.",
        "",
        "## Averages",
        "",
    ]
    averages = []
    for label, key, printed in (
        ("tau_Tgt: mean over targets (sources ranked per target), as printed", "tau_tgt", paper.TAU_SUMMARY["tau_tgt"]),
        ("tau_Tgt: mean of Table 1's 14 printed per-target values", "tau_tgt", printed_rows_tgt),
        ("tau_Src: mean over sources (targets ranked per source), as printed", "tau_src", paper.TAU_SUMMARY["tau_src"]),
        ("tau_Src: mean of Table 1's 14 printed per-source values", "tau_src", printed_rows_src),
    ):
        shown, difference, verdict = mark(summary[key], printed, tol)
        averages.append([label, shown, _interval(summary, key), difference, verdict])
    shown, difference, verdict = mark(summary["tau"], paper.TAU_SUMMARY["tau"], tol)
    averages.append(
        ["two-way tau (tau_Tgt + tau_Src) / 2, as printed", shown, f"{summary['tau']:.3f}", difference, verdict]
    )
    lines += _rows(["quantity", "printed", "recomputed [95% interval]", "difference", ""], averages)
    for axis, printed, what in (
        ("target", paper.TAU_TGT, "Table 1, tau_Tgt per target (the 14 sources ranked)"),
        ("source", paper.TAU_SRC, "Table 1, tau_Src per source (the 14 targets ranked)"),
    ):
        rows = item_rows(per_item, axis, printed, mirrors, tol)
        differing = sum(r[-1] == "**differs**" for r in rows)
        lines += [f"## {what}", "", f"{differing} of {len(rows)} differ from the printed value.", ""]
        lines += _rows([axis, "printed", "recomputed", "difference", ""], rows)
    lines += [
        "## Baselines from the same matrices",
        "",
        "What ranks as well without DataProphet. The task family ranks the sources of the",
        "target's family first, the own source ranks only the target's own dataset first, and the",
        "source main effect ranks a source by its mean Delta on the other targets (read from the",
        "ground truth itself; its tau_Src is not defined). The paper prints none of these; its",
        "component ablation (Table 2) needs the metric's factors, which it does not publish.",
        "",
    ]
    rows = []
    for variant, label in (
        ("full", "DataProphet M (the printed metric figure)"),
        (FAMILY_BASELINE, "task family (same family = 1)"),
        (OWN_SOURCE_BASELINE, "own source first, the rest tied"),
        (MAIN_EFFECT_BASELINE, "source main effect (mean Delta on the other targets)"),
    ):
        rec = table.loc[variant]
        tgt = f"{rec.tau_tgt:.3f} [{rec.tau_tgt_low:.3f}, {rec.tau_tgt_high:.3f}]"
        src = "-" if pd.isna(rec.tau_src) else f"{rec.tau_src:.3f} [{rec.tau_src_low:.3f}, {rec.tau_src_high:.3f}]"
        both = "-" if pd.isna(rec.tau) else f"{rec.tau:.3f}"
        printed = paper.ABLATION_TAU.get(variant) if variant == "full" else None
        rows.append([label, tgt, src, both, "-" if printed is None else f"{printed:.3f} (two-way)"])
    lines += _rows(["ranking", "tau_Tgt [95%]", "tau_Src [95%]", "two-way tau", "printed"], rows)
    with atomic_path(out) as tmp:
        Path(tmp).write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("## Table 1, tau_Tgt per target (the 14 sources ranked)")]))
