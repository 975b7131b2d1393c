"""What a tau is taken between: the ground truth with undefined targets dropped, the
predictor's M(s->t) (recomputed from stored factors or read as a finished matrix), and the
tau options the settings fix. Shared by the stages ``rank``, ``ablations``, ``predictors``
and ``tau``."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from dataprophet.io.matrices import read_matrix
from dataprophet.prophet.factors import metric_matrix
from dataprophet.settings import TauSettings
from dataprophet.stats.kendall import align


def tau_options(settings: TauSettings) -> dict:
    """The keyword arguments of ``tau_report`` that the settings fix."""
    return {
        "variant": settings.variant,
        "exclude_diagonal": settings.exclude_diagonal,
        "n_boot": settings.bootstrap,
        "seed": settings.seed,
    }


def defined_truth(delta: pd.DataFrame) -> pd.DataFrame:
    """Drop targets whose Delta is undefined (zero base score), saying so."""
    undefined = [t for t in delta.columns if delta[t].isna().any()]
    if undefined:
        print(f"note: Delta undefined (zero base score) on {undefined}; left out of the ranking", file=sys.stderr)
        delta = delta.drop(columns=undefined)
    return delta


def scores_from(truth: pd.DataFrame, terms: Path | None, metric: Path | None) -> pd.DataFrame:
    """M(s->t) on ``truth``'s labels: recomputed from the stored factors (``terms``), or read
    as a finished matrix (``metric``: the published study's, which has no factors); exactly
    one of the two."""
    if (terms is None) == (metric is None):
        raise ValueError("give exactly one of --terms (stored factors) and --metric (an M matrix)")
    if terms is not None:
        return metric_matrix(pd.read_csv(terms)).loc[truth.index, truth.columns]
    return align(truth, read_matrix(metric), ("truth", str(metric)))
