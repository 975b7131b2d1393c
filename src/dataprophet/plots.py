"""Figures in the paper's style (seaborn), written as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.io.atomic import atomic_path


def save_figure(fig, pdf: str | Path, png: str | Path) -> None:
    """Write ``fig`` to ``pdf`` and ``png`` (150 dpi, tight box), each file atomically."""
    for path, ext in ((pdf, "pdf"), (png, "png")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")


def _heatmap(
    matrix: pd.DataFrame,
    pdf: str | Path,
    png: str | Path,
    title: str,
    labels: tuple[str, str],
    marked: pd.DataFrame | None = None,
    **style,
) -> None:
    """An annotated sources x targets heatmap (``style``: seaborn options), as PDF and PNG;
    cells where ``marked`` (same labels, booleans) is true are hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    size = max(6.0, 0.7 * len(matrix.columns) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.8))
    sns.heatmap(matrix, ax=ax, annot=True, annot_kws={"size": 7}, linewidths=0.5, **style)
    if marked is not None:
        from matplotlib.patches import Rectangle

        flags = marked.loc[matrix.index, matrix.columns].to_numpy(dtype=bool)
        for i, j in zip(*flags.nonzero()):
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, hatch="///", edgecolor="0.45", linewidth=0))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    save_figure(fig, pdf, png)
    plt.close(fig)


def delta_heatmap(
    delta: pd.DataFrame, pdf: str | Path, png: str | Path, title: str, within_noise: pd.DataFrame | None = None
) -> None:
    """Sources as rows, targets as columns, annotated percentages, diverging colours at 0;
    cells flagged in ``within_noise`` are hatched."""
    limit = float(abs(delta.to_numpy()).max()) or 1.0
    _heatmap(
        delta * 100,
        pdf,
        png,
        title,
        ("target (evaluated on)", "source (fine-tuned on)"),
        marked=within_noise,
        cmap="RdBu_r",
        center=0,
        vmin=-limit * 100,
        vmax=limit * 100,
        fmt=".1f",
        cbar_kws={"label": "relative improvement Delta (%)"},
    )


def metric_heatmap(metric: pd.DataFrame, pdf: str | Path, png: str | Path, title: str) -> None:
    """M(s->t) scaled per target column (M / column max): the ranking each target sees."""
    scaled = metric / metric.abs().max(axis=0)
    _heatmap(
        scaled,
        pdf,
        png,
        title,
        ("target", "source"),
        cmap="viridis",
        fmt=".2f",
        cbar_kws={"label": "M(s->t) / max over sources"},
    )


def published_heatmap(matrix: pd.DataFrame, pdf: str | Path, png: str | Path, title: str, kind: str) -> None:
    """A published matrix drawn as the paper draws it: sources ("Train Dataset") as rows and
    targets ("Test Dataset") as columns in the matrix's order, every cell's value printed
    with two decimals, a mean column and a mean row framed apart. ``kind`` "delta": Figure 2's
    blues on a square-root scale from 0 to the largest cell (values in %); "metric": the metric
    figure's Spectral colours from the smallest to the largest cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns
    from matplotlib.colors import Normalize, PowerNorm
    from matplotlib.patches import Rectangle

    cells = matrix.to_numpy(dtype=float)
    low, high = float(np.nanmin(cells)), float(np.nanmax(cells))
    if kind == "delta":
        cmap, norm, label = "Blues", PowerNorm(gamma=0.5, vmin=min(0.0, low), vmax=high), "Relative Improvement (%)"
        means = ("Average", "Average")
    else:
        cmap, norm, label = "Spectral_r", Normalize(vmin=low, vmax=high), "Score"
        means = ("Column Mean", "Row Mean")
    n_rows, n_cols = cells.shape
    full = np.full((n_rows + 1, n_cols + 1), np.nan)
    full[:n_rows, :n_cols] = cells
    full[n_rows, :n_cols] = cells.mean(axis=0)
    full[:n_rows, n_cols] = cells.mean(axis=1)
    frame = pd.DataFrame(full, index=[*matrix.index, means[0]], columns=[*matrix.columns, means[1]])
    fig, ax = plt.subplots(figsize=(0.95 * n_cols + 3, 0.5 * n_rows + 2.5))
    sns.heatmap(
        frame, ax=ax, annot=True, fmt=".2f", annot_kws={"size": 8}, cmap=cmap, norm=norm, cbar_kws={"label": label}
    )
    for rect in (Rectangle((0, n_rows), n_cols, 1), Rectangle((n_cols, 0), 1, n_rows)):
        rect.set(fill=False, edgecolor="black", linewidth=1.5)
        ax.add_patch(rect)
    ax.set_xlabel("Test Dataset")
    ax.set_ylabel("Train Dataset")
    ax.set_title(title, fontweight="bold")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    plt.setp(ax.get_yticklabels(), rotation=0)
    save_figure(fig, pdf, png)
    plt.close(fig)


def tau_by_target(per_item: pd.DataFrame, summary: dict, pdf: str | Path, png: str | Path) -> None:
    """Per-target tau_Tgt bars with the mean, its interval, and the noise ceiling if known."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = per_item[per_item["axis"] == "target"]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(data) + 2), 4))
    sns.barplot(data=data, x="name", y="tau", ax=ax, color="#4c72b0")
    ax.axhline(summary["tau_tgt"], color="black", lw=1, label=f"mean tau_Tgt {summary['tau_tgt']:.3f}")
    ax.axhspan(summary["tau_tgt_low"], summary["tau_tgt_high"], color="grey", alpha=0.2, label="95% bootstrap interval")
    if "noise_ceiling_tau_tgt" in summary:
        ax.axhline(
            summary["noise_ceiling_tau_tgt"],
            color="#c44e52",
            ls="--",
            lw=1,
            label=f"ceiling (one seed vs the rest) {summary['noise_ceiling_tau_tgt']:.3f}",
        )
    ax.set_ylim(-1, 1)
    ax.set_xlabel("target")
    ax.set_ylabel("Kendall's tau (sources ranked)")
    ax.legend(fontsize=8, loc="lower right")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    save_figure(fig, pdf, png)
    plt.close(fig)
