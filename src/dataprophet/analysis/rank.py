"""Stage ``rank``: Kendall's tau of M(s->t) against the ground truth, and the paper comparison.

M is recomputed from the stored factors, so no model is touched (the ablations: stage
``ablations``); the published study (config/published.yaml) gives the paper's printed M
instead (``--metric``).
Reproduce: ``snakemake results/mini/tables/tau.csv`` (the rule ``rank`` calls ``dataprophet rank``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dataprophet.analysis.ablations import paper_comparison
from dataprophet.analysis.matrix_pairs import defined_truth, scores_from, tau_options
from dataprophet.io.atomic import write_csv, write_json
from dataprophet.plots import tau_by_target
from dataprophet.settings import RankSettings
from dataprophet.stats.kendall import format_summary, tau_report


def noise_ceiling(path: Path) -> dict:
    """One seed against the mean of the others (``noise_ceiling.json``, stage ``agreement``);
    empty for a study with a single seed."""
    payload = json.loads(Path(path).read_text())
    if "ceiling_tau_tgt" not in payload:
        return {}
    return {"noise_ceiling_tau_tgt": payload["ceiling_tau_tgt"], "noise_ceiling_tau_src": payload["ceiling_tau_src"]}


def rank(
    truth: Path,
    tau: Path,
    summary: Path,
    comparison: Path,
    pdf: Path,
    png: Path,
    settings: RankSettings,
    terms: Path | None = None,
    metric: Path | None = None,
    noise_ceiling_json: Path | None = None,
) -> dict:
    """Per-target and per-source tau to ``tau`` and ``summary``, the comparison with the
    paper's taus, and the per-target tau figure. M comes from ``terms`` or ``metric``
    (``scores_from``)."""
    delta = defined_truth(pd.read_csv(truth, index_col=0))
    scores = scores_from(delta, terms, metric)
    per_item, result = tau_report(delta, scores, **tau_options(settings))
    if noise_ceiling_json is not None:
        result.update(noise_ceiling(noise_ceiling_json))
    mirrors = {name: d["mirrors"] for name, d in settings.datasets.items()}
    write_csv(per_item, tau, index=False, float_format="%.4f")
    write_json(result, summary)
    write_csv(paper_comparison(per_item, result, None, mirrors), comparison, index=False, float_format="%.4f")
    tau_by_target(per_item, result, pdf, png)
    print(format_summary(result))
    return result
