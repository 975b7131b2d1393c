"""Stage ``heatmap``: the Delta(s->t) heatmap (PDF and PNG) from a Delta table.

Reproduce: ``snakemake results/mini/figures/delta_heatmap.png`` (the rule ``heatmap`` calls
``dataprophet heatmap``), or on any matrix:
``dataprophet heatmap --matrix results/mini/tables/delta.csv --pdf /tmp/delta.pdf --png /tmp/delta.png``
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.analysis.plots import delta_heatmap
from dataprophet.analysis.ranking import read_matrix
from dataprophet.settings import HeatmapSettings


def heatmap(matrix: Path, pdf: Path, png: Path, settings: HeatmapSettings) -> None:
    """Sources as rows, targets as columns, percentages annotated, diverging colours at 0."""
    delta_heatmap(read_matrix(matrix), pdf, png, settings.title)
