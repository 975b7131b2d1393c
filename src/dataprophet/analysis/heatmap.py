"""Stage ``heatmap``: the Delta(s->t) heatmap (PDF and PNG) from a Delta table, with the cells
that are within noise of zero hatched when a standard-error table is given.

Reproduce: ``snakemake results/mini/figures/delta_heatmap.png`` (the rule ``heatmap`` calls
``dataprophet heatmap``), or on any matrix:
``dataprophet heatmap --matrix results/mini/tables/delta.csv --se results/mini/tables/delta_se.csv
--pdf /tmp/delta.pdf --png /tmp/delta.png``; the paper's Figure 2 from its printed values:
``dataprophet heatmap --matrix data/published/delta.csv --style paper-delta --pdf /tmp/fig2.pdf
--png /tmp/fig2.png``
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.io.matrices import read_matrix
from dataprophet.plots import delta_heatmap, published_heatmap
from dataprophet.settings import HeatmapSettings


def heatmap(matrix: Path, pdf: Path, png: Path, settings: HeatmapSettings, se: Path | None = None) -> None:
    """Sources as rows, targets as columns, percentages annotated, diverging colours at 0;
    with ``se``, cells with |Delta| <= noise_z * SE are hatched (none when the SE is unknown).
    Styles ``paper-delta`` and ``paper-metric``: a published matrix as the paper draws it
    (``plots.published_heatmap``)."""
    if settings.style != "study":
        if se is not None:
            raise ValueError(f"--se: style {settings.style} draws a published matrix, which has no standard error")
        kind = settings.style.removeprefix("paper-")
        published_heatmap(read_matrix(matrix), pdf, png, settings.title, kind)
        return
    delta = read_matrix(matrix)
    within = None
    if se is not None:
        error = read_matrix(se).loc[delta.index, delta.columns]
        within = delta.abs() <= settings.noise_z * error  # NaN SE (one seed) compares False
    delta_heatmap(delta, pdf, png, settings.title, within)
