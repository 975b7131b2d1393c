"""Stage ``figures``: every figure of a study redrawn from its stored tables, nothing else.

Change a plot (colours, labels, the code in ``dataprophet.plots``) and run ``snakemake figures``:
the figures are drawn again from the tables already on disk, with the same titles as the
stages that first drew them, and no table, model or feature is read for writing or touched.
The rule has no outputs, so Snakemake runs it whenever it is asked for and never reruns
anything because of it.
Reproduce: ``snakemake figures`` (the rule ``figures`` calls ``dataprophet figures``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dataprophet.io.matrices import read_matrix
from dataprophet.plots import delta_heatmap, metric_heatmap, tau_by_target
from dataprophet.settings import FiguresSettings


def figures(results: Path, settings: FiguresSettings) -> list[Path]:
    """Redraw the figures under ``results``/figures from ``results``/tables and selection/;
    a figure whose tables are missing (a stage not run yet) is skipped and named."""
    tables, out = results / "tables", results / "figures"
    drawn, skipped = [], []

    def target(name: str) -> tuple[Path, Path]:
        return out / f"{name}.pdf", out / f"{name}.png"

    if (tables / "delta.csv").exists():
        delta = read_matrix(tables / "delta.csv")
        within = None
        if (tables / "delta_se.csv").exists():
            within = (
                delta.abs() <= settings.noise_z * read_matrix(tables / "delta_se.csv").loc[delta.index, delta.columns]
            )
        delta_heatmap(delta, *target("delta_heatmap"), settings.heatmap_title, within)
        drawn.append("delta_heatmap")
    else:
        skipped.append("delta_heatmap")
    if (tables / "metric.csv").exists():
        metric_heatmap(read_matrix(tables / "metric.csv"), *target("metric_heatmap"), settings.metric_title)
        drawn.append("metric_heatmap")
    else:
        skipped.append("metric_heatmap")
    if (tables / "tau.csv").exists() and (tables / "tau_summary.json").exists():
        summary = json.loads((tables / "tau_summary.json").read_text())
        tau_by_target(pd.read_csv(tables / "tau.csv"), summary, *target("tau_by_target"))
        drawn.append("tau_by_target")
    else:
        skipped.append("tau_by_target")
    table_real = results / "selection" / "table_real.csv"
    if table_real.exists():
        from dataprophet.selection.selection_table import TITLE, draw

        draw(pd.read_csv(table_real, index_col=0), *target("selection_real"), TITLE)
        drawn.append("selection_real")
    else:
        skipped.append("selection_real")
    table_synthetic = results / "selection" / "table_synthetic.csv"
    if table_synthetic.exists():  # only studies with a synthetic pool have it; no note otherwise
        from dataprophet.selection.selection_table import draw
        from dataprophet.selection.synthetic_table import TITLE as SYNTHETIC_TITLE

        draw(pd.read_csv(table_synthetic, index_col=0), *target("selection_synthetic"), SYNTHETIC_TITLE)
        drawn.append("selection_synthetic")
    table_rl = results / "rl" / "table_rl.csv"
    if table_rl.exists():  # only studies with the RL stage have it
        from dataprophet.rl.rl_table import draw_curves

        runs = [c for c in pd.read_csv(table_rl, index_col=0).columns if c != "no_rl"]
        draw_curves({r: pd.read_csv(results / "rl" / "curves" / f"{r}.csv") for r in runs}, *target("rl_rewards"))
        drawn.append("rl_rewards")
    print(f"redrew {', '.join(drawn) or 'nothing'} under {out}")
    if skipped:
        print(f"note: no tables yet for {', '.join(skipped)}; run the study first")
    return [out / f"{name}.png" for name in drawn]
