"""Stage ``allocate``: per target, a budget of samples split over the sources.

Methods: ``uniform``, ``dataprophet`` (the paper's Algorithm 1 on M(s->t)) and ``oracle``
(on the observed Delta, negatives clipped to 0); see ``selection.allocation``.
Reproduce: ``snakemake results/mini/selection/allocation_dataprophet.csv`` (the rule
``allocate`` calls ``dataprophet allocate``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from dataprophet.analysis.ranking import read_matrix
from dataprophet.io.atomic import write_csv
from dataprophet.selection.allocation import allocation_table
from dataprophet.settings import AllocateSettings


def allocate(weights: Path, out: Path, settings: AllocateSettings):
    """Counts per (source, target) from the sources x targets ``weights`` matrix (metric.csv
    for dataprophet, delta.csv for oracle, either for uniform, which reads only its labels)."""
    matrix = read_matrix(weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = allocation_table(matrix, settings.budget, settings.method)
    for warning in caught:
        print(f"note: {warning.message}")
    write_csv(table, out)
    print(f"{settings.method}: {settings.budget} samples per target over {len(table)} sources -> {out}")
    print(table.to_string())
    return table
