"""Stage ``published_matrices``: the paper's printed matrices as the published study's tables.

The published study (``config/published.yaml``) trains and scores nothing: its ground truth
is the paper's Figure 2 (Delta in %) and its M the paper's metric figure, both as printed
(``data/published/``, read by ``dataprophet extract-published``). This stage checks the two
files and writes them under the study's dataset names, Delta as a fraction, so the project's
own ``rank`` and ``ablations`` stages read them as they read any study's tables.
Reproduce: ``snakemake --configfile config/published.yaml results/published/tables/delta.csv``
(the rule ``published_matrices`` calls ``dataprophet published-matrices``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.io.matrices import MatrixError, read_matrix
from dataprophet.paper import paper_name
from dataprophet.settings import PublishedMatricesSettings


def study_names(frame: pd.DataFrame, path: Path, datasets: dict) -> pd.DataFrame:
    """``frame`` relabelled from the paper's dataset names to the study's, in the order of
    its rows (the figure's); every study dataset must be there once, and nothing else."""
    by_paper = {paper_name(info["mirrors"]): name for name, info in datasets.items()}
    for axis, labels in (("row", frame.index), ("column", frame.columns)):
        known = [paper_name(label) for label in labels]
        unknown = [label for label, k in zip(labels, known) if k not in by_paper]
        missing = sorted(set(by_paper) - set(known))
        if unknown or missing or len(set(known)) != len(known):
            raise MatrixError(
                f"{path}: {axis} labels {list(labels)} are not the study's datasets once each "
                f"(unknown {unknown}, missing {missing}; the study's, as the paper names them: {sorted(by_paper)})"
            )
    renamed = frame.rename(index=lambda s: by_paper[paper_name(s)], columns=lambda s: by_paper[paper_name(s)])
    renamed = renamed.loc[:, list(renamed.index)]  # targets in the sources' order: the file's
    renamed.index.name = "source"
    return renamed


def check_cells(frame: pd.DataFrame, path: Path) -> None:
    """Every cell a finite number (``read_matrix`` checks the column types)."""
    values = frame.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        bad = [(frame.index[i], frame.columns[j]) for i, j in zip(*np.where(~np.isfinite(values)))]
        raise MatrixError(f"{path}: empty or non-finite cell(s) at (source, target) {bad[:5]}")


def published_matrices(
    delta_in: Path, metric_in: Path, delta: Path, metric: Path, settings: PublishedMatricesSettings
) -> None:
    """``delta_in`` (Delta in %, paper names) to ``delta`` (a fraction, study names), and
    ``metric_in`` to ``metric`` (study names); errors name the file and the label."""
    if not settings.datasets:
        raise ValueError("no datasets given (the study's {dataset: {'mirrors': <paper name>}})")
    for source, target, scale in ((delta_in, delta, settings.delta_unit), (metric_in, metric, 1.0)):
        frame = read_matrix(source)
        check_cells(frame, source)
        table = study_names(frame, source, settings.datasets) / scale
        write_csv(table, target, float_format="%.6g")
        print(f"{source}: {table.shape[0]} sources x {table.shape[1]} targets -> {target}")
