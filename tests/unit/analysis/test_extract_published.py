"""``extract-published`` on heatmap PDFs drawn here in the layouts of the paper's two figures:
cell values printed in each cell, a mean row and column, a colour bar with decimal ticks,
row labels on the left and column labels at 45 degrees (Figure 2) or 90 degrees (the metric
figure), the figures' own dataset spellings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pdfplumber")

from dataprophet.analysis.extract_published import ExtractionError, extract_published, read_figure  # noqa: E402
from dataprophet.cli import main  # noqa: E402
from dataprophet.settings import ExtractPublishedSettings  # noqa: E402

NAMES = ["OCR-VQA", "open-spatial", "CLEVR(R)", "Sujet-Finance-QA", "MapQA"]


def _draw(path, values: np.ndarray, rotation: int, mean_labels: tuple[str, str], fmt: str) -> None:
    """A seaborn heatmap with a mean row and column (the corner left empty), as the paper's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    n = len(values)
    full = np.full((n + 1, n + 1), np.nan)
    full[:n, :n] = values
    full[n, :n] = values.mean(axis=0)
    full[:n, n] = values.mean(axis=1)
    rows = [*NAMES[:n], mean_labels[0]]
    columns = [*NAMES[:n], mean_labels[1]]
    frame = pd.DataFrame(np.round(full, 2), index=rows, columns=columns)
    fig, ax = plt.subplots(figsize=(8, 6))
    sns.heatmap(frame, ax=ax, annot=True, fmt=fmt, cmap="Spectral_r", cbar_kws={"format": "%.2f"})
    ax.set_xticklabels(columns, rotation=rotation, ha="right" if rotation == 45 else "center")
    ax.set_xlabel("Test Dataset")
    ax.set_ylabel("Train Dataset")
    ax.set_title("Relative Improvement from Baseline (%)")
    fig.savefig(path, format="pdf")
    plt.close(fig)


@pytest.fixture
def figures(tmp_path):
    rng = np.random.default_rng(3)
    delta = np.round(rng.uniform(1, 56, size=(5, 5)), 2)
    metric = np.round(rng.uniform(0.39, 0.72, size=(5, 5)), 2)
    _draw(tmp_path / "relative.pdf", delta, 45, ("Average", "Average"), ".2f")
    _draw(tmp_path / "metric.pdf", metric, 90, ("Column Mean", "Row Mean"), ".2f")
    return tmp_path, delta, metric


def test_cells_labels_and_means_read_back(figures):
    folder, delta, metric = figures
    out = folder / "out"
    rc = main(
        [
            "extract-published",
            "--relative-pdf",
            str(folder / "relative.pdf"),
            "--metric-pdf",
            str(folder / "metric.pdf"),
            "--out-dir",
            str(out),
            "--datasets",
            "5",
        ]
    )
    assert rc == 0
    expected = ["OCR-VQA", "Open-Spatial", "CLEVR(R)", "FinanceQA", "MapQA"]  # Table 1 spellings
    for name, values in (("delta", delta), ("metric", metric)):
        table = pd.read_csv(out / f"{name}.csv", index_col=0)
        assert list(table.index) == expected and list(table.columns) == expected
        np.testing.assert_allclose(table.to_numpy(), values, atol=1e-9)
    means = pd.read_csv(out / "printed_means.csv")
    assert len(means) == 2 * (5 + 5)
    assert (means["printed"] - means["recomputed"]).abs().max() <= 0.0051


def test_grid_order_follows_the_figure(figures):
    folder, delta, _ = figures
    printed, rows, columns = read_figure(folder / "relative.pdf")
    assert rows == [*NAMES, "Average"] and columns == [*NAMES, "Average"]
    assert np.isnan(printed.loc["Average", "Average"])
    np.testing.assert_allclose(printed.loc["Average", NAMES].to_numpy(), np.round(delta.mean(axis=0), 2))


def test_wrong_size_and_misread_means_are_refused(figures, tmp_path):
    folder, _, _ = figures
    with pytest.raises(ExtractionError, match="5 x 5 cells, expected 14 x 14"):
        extract_published(folder / "relative.pdf", folder / "metric.pdf", tmp_path / "a", ExtractPublishedSettings())
    with pytest.raises(ExtractionError, match="printed mean"):
        extract_published(
            folder / "relative.pdf",
            folder / "metric.pdf",
            tmp_path / "b",
            ExtractPublishedSettings(datasets=5, mean_tolerance=0.0),
        )


def test_a_pdf_without_a_grid_is_refused(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([])
    ax.set_yticks([])
    fig.savefig(tmp_path / "plain.pdf")
    plt.close(fig)
    with pytest.raises(ExtractionError, match="plain.pdf: 0 printed decimal numbers"):
        read_figure(tmp_path / "plain.pdf")
