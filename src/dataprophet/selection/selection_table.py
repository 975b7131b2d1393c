"""Stage ``selection_table``: the real-data selection table (the paper's Table 3, left half).

Each configured target's score (0-100, the paper's scale) under each method's mixture:
``uniform`` and ``icons_consensus`` are one mixture scored on every target; ``dataprophet``,
``oracle`` and ``icons`` are one mixture per target, scored on that target. Rows: the
targets, ``Average`` and ``Improve over uniform`` (points, as the paper's row); the base
model's score is a column for reference. Beside it, in a long table, the paper's value for
the dataset each target stands in for, and the paper's printed and recomputed averages
(they disagree; ``docs/paper.md``, inconsistency 1). A figure draws the table.
Reproduce: ``snakemake results/mini/selection/table_real.csv`` (the rule ``selection_table``
calls ``dataprophet selection-table``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet import paper
from dataprophet.io.atomic import write_csv
from dataprophet.plots import save_figure
from dataprophet.settings import SelectionTableSettings

SHARED = ("uniform", "icons_consensus")  # one mixture for every target, saved as <method>/all
TITLE = "Real-data selection at a fixed budget (the paper's Table 3, left)"


def read_scores(paths: list[Path]) -> dict[tuple[str, str], dict[str, float]]:
    """(method, mixture) -> {target: score} from eval/mix/<method>/<mixture>/scores.json."""
    out = {}
    for path in paths:
        path = Path(path)
        payload = json.loads(path.read_text())
        if "scores" not in payload:
            raise ValueError(f"{path}: no 'scores' (not an evaluation result)")
        out[(path.parent.parent.name, path.parent.name)] = payload["scores"]
    return out


def real_table(scores: dict, base: dict[str, float], methods, targets) -> pd.DataFrame:
    """Targets x (base + methods), 0-100, with the Average and Improve over uniform rows."""
    table = pd.DataFrame(index=pd.Index(list(targets), name="target"))
    table["base"] = [100 * base[t] for t in targets]
    for method in methods:
        mixture = (lambda t: "all") if method in SHARED else (lambda t: t)
        values = []
        for t in targets:
            key = (method, mixture(t))
            if key not in scores or t not in scores[key]:
                raise ValueError(f"no score of the {method} mixture {key[1]!r} on target {t!r}")
            values.append(100 * scores[key][t])
        table[method] = values
    table.loc["Average"] = table.mean()
    if "uniform" in table.columns:
        table.loc["Improve over uniform"] = table.loc["Average"] - table.loc["Average", "uniform"]
        table.loc["Improve over uniform", "base"] = np.nan
    return table


def paper_side(
    table: pd.DataFrame,
    mirrors: dict[str, str],
    paper_methods: tuple[str, ...] = paper.TABLE3_REAL_METHODS,
    paper_rows: dict = paper.TABLE3_REAL,
    printed: dict = paper.TABLE3_REAL_PRINTED_AVERAGE,
) -> pd.DataFrame:
    """Long table: per target and method ours beside the paper's value for the mirrored
    dataset; then the averages over our targets' mirrors, and the paper's 14-target printed
    and recomputed averages. The paper's columns default to the real-data half of Table 3."""
    rows = []
    methods = [m for m in paper_methods if m in table.columns]
    targets = [t for t in table.index if t not in ("Average", "Improve over uniform")]
    for t in targets:
        name = paper.paper_name(mirrors.get(t, t))
        values = paper_rows.get(name)
        for m in methods:
            paper_value = values[paper_methods.index(m)] if values else np.nan
            rows.append({"row": t, "paper_dataset": name, "method": m, "ours": table.loc[t, m], "paper": paper_value})
    for m in methods:
        i = paper_methods.index(m)
        mirrored = [paper_rows[n][i] for n in (paper.paper_name(mirrors.get(t, t)) for t in targets) if n in paper_rows]
        rows.append(
            {
                "row": "Average over these targets",
                "paper_dataset": "their mirrors",
                "method": m,
                "ours": table.loc["Average", m],
                "paper": float(np.mean(mirrored)) if mirrored else np.nan,
            }
        )
        rows.append(
            {
                "row": "Average, paper printed",
                "paper_dataset": "all 14",
                "method": m,
                "ours": np.nan,
                "paper": printed[m],
            }
        )
        rows.append(
            {
                "row": "Average, paper recomputed from its rows",
                "paper_dataset": "all 14",
                "method": m,
                "ours": np.nan,
                "paper": float(np.mean([v[i] for v in paper_rows.values()])),
            }
        )
    return pd.DataFrame(rows)


def draw(table: pd.DataFrame, pdf: Path, png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = table.drop(index=["Improve over uniform"], errors="ignore")
    long = rows.reset_index().melt(id_vars="target", var_name="method", value_name="score")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(rows)), 4))
    sns.barplot(data=long, x="target", y="score", hue="method", ax=ax)
    ax.set_ylabel("score on the target (0-100)")
    ax.set_xlabel("")
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.legend(fontsize=7, ncols=3)
    save_figure(fig, pdf, png)
    plt.close(fig)


def selection_table(
    scores: list[Path], base: Path, out: Path, paper_out: Path, pdf: Path, png: Path, settings: SelectionTableSettings
) -> pd.DataFrame:
    """The table to ``out``, the paper's values beside it to ``paper_out``, the figure."""
    table = real_table(
        read_scores(scores), json.loads(Path(base).read_text())["scores"], settings.methods, settings.targets
    )
    mirrors = {name: d.get("mirrors", name) for name, d in settings.datasets.items()}
    write_csv(table, out, float_format="%.2f")
    write_csv(paper_side(table, mirrors), paper_out, index=False, float_format="%.2f")
    draw(table, pdf, png, TITLE)
    print(table.round(2).to_string())
    return table
