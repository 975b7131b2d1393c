"""Command ``tau``: judge any predictor against any ground truth, both given as CSV matrices.

Matrices have sources as rows and targets as columns; labels are matched by name.
Reproduce: ``dataprophet tau --truth results/mini/tables/delta.csv --scores results/mini/tables/metric.csv``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.analysis.matrix_pairs import tau_options
from dataprophet.io.matrices import MatrixError, read_matrix
from dataprophet.settings import TauSettings
from dataprophet.stats.kendall import format_summary, tau_report


def tau(truth: Path, scores: Path, settings: TauSettings) -> dict:
    """Print the per-target and per-source taus and their summary; return the summary.

    Targets or sources whose ranking is undefined (every item tied in the truth or the
    scores, or fewer than two to rank) are named with the reason and left out of the mean;
    when a whole axis is undefined nothing can be computed and the command refuses."""
    truth_frame, scores_frame = read_matrix(truth), read_matrix(scores)
    for frame, path in ((truth_frame, truth), (scores_frame, scores)):
        if min(frame.shape) < 2:
            rows, columns = frame.shape
            raise MatrixError(f"{path}: a {rows}x{columns} matrix; ranking needs at least two sources and two targets")
    per_item, summary = tau_report(truth_frame, scores_frame, **tau_options(settings))
    for key, axis in (("tau_tgt", "target"), ("tau_src", "source")):
        if summary[f"{key}_n"] == 0:
            reasons = "; ".join(f"{n}: {why}" for n, why in summary[f"{key}_undefined"].items())
            raise MatrixError(f"no {axis} has a defined tau ({reasons})")
    with pd.option_context("display.max_rows", None):
        for axis in ("target", "source"):
            part = per_item[per_item["axis"] == axis].set_index("name")["tau"]
            print(f"per {axis}:\n{part.round(3).to_string()}\n")
    print(format_summary(summary))
    return summary
