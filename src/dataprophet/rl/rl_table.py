"""Stage ``rl_table``: the RL table (the paper's Table 4) and the reward curves.

Rows: every dataset (each run's one model is scored on all of them) and ``Average``;
columns: ``no_rl`` (the RL model before RL) and each configured run (``equal``,
``dataprophet``, ``random_synthetic``, ``dataprophet_synthetic``), 0-100. Beside it, in a long
table, the paper's value for the dataset each row stands in for, and the paper's printed and
recomputed averages (the real-data DataProphet average disagrees with its rows). The
figure draws each run's mean reward per logged GRPO step.
Reproduce: ``snakemake results/mini/rl/table_rl.csv`` (the rule ``rl_table`` calls
``dataprophet rl-table``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet import paper
from dataprophet.io.atomic import write_csv
from dataprophet.plots import save_figure
from dataprophet.settings import RlTableSettings


def _scores(path: Path) -> dict[str, float]:
    payload = json.loads(Path(path).read_text())
    if "scores" not in payload:
        raise ValueError(f"{path}: no 'scores' (not an evaluation result)")
    return payload["scores"]


def build_table(no_rl: dict, runs: dict[str, dict], datasets: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(index=pd.Index(datasets, name="target"))
    for name, scores in {"no_rl": no_rl, **runs}.items():
        missing = [d for d in datasets if d not in scores]
        if missing:
            raise ValueError(f"the {name} model has no score on {missing}")
        table[name] = [100 * scores[d] for d in datasets]
    table.loc["Average"] = table.mean()
    return table


def paper_side(table: pd.DataFrame, mirrors: dict[str, str]) -> pd.DataFrame:
    rows = []
    targets = [t for t in table.index if t != "Average"]
    for t in targets:
        name = paper.paper_name(mirrors.get(t, t))
        values = paper.TABLE4.get(name)
        for run in table.columns:
            theirs = values[paper.TABLE4_RUNS.index(run)] if values else np.nan
            rows.append({"row": t, "paper_dataset": name, "run": run, "ours": table.loc[t, run], "paper": theirs})
    for run in table.columns:
        i = paper.TABLE4_RUNS.index(run)
        rows.append(
            {"row": "Average", "paper_dataset": "all 14", "run": run, "ours": table.loc["Average", run],
             "paper": paper.TABLE4_PRINTED_AVERAGE[run]}
        )  # fmt: skip
        rows.append(
            {"row": "Average, paper recomputed from its rows", "paper_dataset": "all 14", "run": run, "ours": np.nan,
             "paper": float(np.mean([v[i] for v in paper.TABLE4.values()]))}
        )  # fmt: skip
    return pd.DataFrame(rows)


def draw_curves(curves: dict[str, pd.DataFrame], pdf: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, frame in curves.items():
        ax.plot(frame["step"], frame["reward"], label=name, linewidth=1.2)
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean reward (target scorer, 0-1)")
    ax.set_title("RL reward per step (the paper's Table 4 runs)")
    ax.legend(fontsize=7)
    save_figure(fig, pdf, png)
    plt.close(fig)


def rl_table(
    no_rl: Path,
    scores: list[Path],
    curves: list[Path],
    out: Path,
    paper_out: Path,
    pdf: Path,
    png: Path,
    settings: RlTableSettings,
) -> pd.DataFrame:
    """``scores``/``curves``: one per run, in ``settings.runs`` order (eval/rl/<run>/scores.json,
    rl/curves/<run>.csv)."""
    if len(scores) != len(settings.runs) or len(curves) != len(settings.runs):
        raise ValueError(f"{len(scores)} score and {len(curves)} curve files for runs {list(settings.runs)}")
    datasets = list(settings.targets)
    table = build_table(_scores(no_rl), {r: _scores(p) for r, p in zip(settings.runs, scores)}, datasets)
    mirrors = {name: d.get("mirrors", name) for name, d in settings.datasets.items()}
    write_csv(table, out, float_format="%.2f")
    write_csv(paper_side(table, mirrors), paper_out, index=False, float_format="%.2f")
    draw_curves({r: pd.read_csv(p) for r, p in zip(settings.runs, curves)}, pdf, png)
    print(table.round(2).to_string())
    return table
