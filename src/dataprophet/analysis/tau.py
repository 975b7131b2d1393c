"""Command ``tau``: judge any predictor against any ground truth, both given as CSV matrices.

Matrices have sources as rows and targets as columns; labels are matched by name.
Reproduce: ``dataprophet tau --truth results/mini/tables/delta.csv --scores results/mini/tables/metric.csv``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.analysis.rank import tau_options
from dataprophet.analysis.ranking import format_summary, read_matrix, tau_report
from dataprophet.settings import TauSettings


def tau(truth: Path, scores: Path, settings: TauSettings) -> dict:
    """Print the per-target and per-source taus and their summary; return the summary."""
    per_item, summary = tau_report(read_matrix(truth), read_matrix(scores), **tau_options(settings))
    with pd.option_context("display.max_rows", None):
        for axis in ("target", "source"):
            part = per_item[per_item["axis"] == axis].set_index("name")["tau"]
            print(f"per {axis}:\n{part.round(3).to_string()}\n")
    print(format_summary(summary))
    return summary
