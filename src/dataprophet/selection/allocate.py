"""Stage ``allocate``: per target, a budget of samples split over the sources.

Methods: ``uniform``, ``dataprophet`` (the paper's Algorithm 1 on M(s->t)) and ``oracle``
(on the observed Delta, negatives clipped to 0); see ``selection.budget``.
Reproduce: ``snakemake results/mini/selection/allocation_dataprophet.csv`` (the rule
``allocate`` calls ``dataprophet allocate``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from dataprophet.io.atomic import write_csv
from dataprophet.io.matrices import read_matrix
from dataprophet.selection.budget import allocation_table
from dataprophet.settings import AllocateSettings


def pool_sizes(train: list[Path], pool: list[Path]) -> pd.Series:
    """Rows each source holds (train table plus pool extension), from the parquet footers."""
    sizes: dict[str, int] = {}
    for path in [*train, *pool]:
        sizes[Path(path).stem] = sizes.get(Path(path).stem, 0) + pq.ParquetFile(path).metadata.num_rows
    return pd.Series(sizes, dtype="int64")


def allocate(
    weights: Path | None, out: Path, settings: AllocateSettings, train: list[Path] = (), pool: list[Path] = ()
):
    """Counts per (source, target) from the sources x targets ``weights`` matrix (metric.csv
    for dataprophet, delta.csv for oracle). Uniform needs no weights: its one column, ``all``,
    serves every target, over the sources named by the ``train`` tables.
    With ``train`` and ``pool`` tables (<source>.parquet) no source gets more than it holds:
    the excess goes to the other sources in proportion to their weights, and the log names
    every capped source with what it was asked for."""
    if weights is None:
        if settings.method != "uniform" or not train:
            raise ValueError(
                f"--weights is needed for method {settings.method!r} (uniform needs --train tables instead)"
            )
        sources = pd.Index([Path(p).stem for p in train], name="source")
        matrix = pd.DataFrame({"all": 1.0}, index=sources)
    else:
        matrix = read_matrix(weights)
    caps = pool_sizes(train, pool) if train or pool else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = allocation_table(matrix, settings.budget, settings.method, pool_sizes=caps)
    if caps is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the capped run above already said everything
            uncapped = allocation_table(matrix, settings.budget, settings.method)
            for target in table.columns:
                for source in table.index[table[target] < uncapped[target]]:
                    print(
                        f"note: target {target}: source {source} capped at its {caps[source]} samples "
                        f"(asked for {uncapped.loc[source, target]}); the rest went to the others by weight"
                    )
    for warning in caught:
        print(f"note: {warning.message}")
    write_csv(table, out)
    print(f"{settings.method}: {settings.budget} samples per target over {len(table)} sources -> {out}")
    print(table.to_string())
    return table
