"""Figures in the paper's style (seaborn), written as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.atomic import atomic_path


def _save(fig, stem: str | Path) -> None:
    for ext in ("pdf", "png"):
        with atomic_path(f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")


def delta_heatmap(delta: pd.DataFrame, stem: str | Path, title: str) -> None:
    """Sources as rows, targets as columns, annotated percentages, diverging colours at 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    size = max(6.0, 0.7 * len(delta.columns) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.8))
    limit = float(abs(delta.to_numpy()).max()) or 1.0
    sns.heatmap(
        delta * 100,
        ax=ax,
        cmap="RdBu_r",
        center=0,
        vmin=-limit * 100,
        vmax=limit * 100,
        annot=True,
        fmt=".1f",
        annot_kws={"size": 7},
        linewidths=0.5,
        cbar_kws={"label": "relative improvement Delta (%)"},
    )
    ax.set_xlabel("target (evaluated on)")
    ax.set_ylabel("source (fine-tuned on)")
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    _save(fig, stem)
    plt.close(fig)
