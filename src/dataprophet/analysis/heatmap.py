"""Stage ``heatmap``: the Delta(s->t) heatmap (PDF and PNG) from a Delta table, with the cells
that are within noise of zero hatched when a standard-error table is given.

Reproduce: ``snakemake results/mini/figures/delta_heatmap.png`` (the rule ``heatmap`` calls
``dataprophet heatmap``), or on any matrix:
``dataprophet heatmap --matrix results/mini/tables/delta.csv --se results/mini/tables/delta_se.csv
--pdf /tmp/delta.pdf --png /tmp/delta.png``
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.analysis.plots import delta_heatmap
from dataprophet.analysis.ranking import read_matrix
from dataprophet.settings import HeatmapSettings


def heatmap(matrix: Path, pdf: Path, png: Path, settings: HeatmapSettings, se: Path | None = None) -> None:
    """Sources as rows, targets as columns, percentages annotated, diverging colours at 0;
    with ``se``, cells with |Delta| <= noise_z * SE are hatched (none when the SE is unknown)."""
    delta = read_matrix(matrix)
    within = None
    if se is not None:
        error = read_matrix(se).loc[delta.index, delta.columns]
        within = delta.abs() <= settings.noise_z * error  # NaN SE (one seed) compares False
    delta_heatmap(delta, pdf, png, settings.title, within)
