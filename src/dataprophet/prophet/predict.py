"""Stage ``predict``: every DataProphet factor per (source, target) pair and the score M(s->t).

Training-free: it reads only the stored features of the frozen base model.
Reproduce: ``snakemake results/mini/tables/metric.csv`` (the rule ``predict`` calls
``dataprophet predict``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.io.atomic import write_csv
from dataprophet.plots import metric_heatmap
from dataprophet.prophet.factors import load_features, metric_matrix, prophet_terms
from dataprophet.settings import PredictSettings


def predict(
    sources: list[Path], targets: list[Path], terms: Path, metric: Path, pdf: Path, png: Path, settings: PredictSettings
):
    """Source (train) and target (test) feature files, named by their file stems, in; the
    factor table ``terms``, the matrix ``metric`` and its heatmap (``pdf``, ``png``) out."""
    source_sets = {Path(p).stem: load_features(p, f"source {Path(p).stem}") for p in sources}
    target_sets = {Path(p).stem: load_features(p, f"target {Path(p).stem}") for p in targets}
    table = prophet_terms(source_sets, target_sets, k=settings.kmeans_k, seed=settings.seed)
    matrix = metric_matrix(table)
    write_csv(table, terms, index=False, float_format="%.8g")
    write_csv(matrix, metric, float_format="%.8g")
    metric_heatmap(matrix, pdf, png, settings.title)
    return matrix
