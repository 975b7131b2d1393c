"""Stage ``predictors``: every predictor of Delta(s->t) judged alike, with what it cost.

One row per predictor, all against the same ground truth (the seed-mean Delta) with the same
two-way Kendall's tau and bootstrap intervals as DataProphet's own table:

* ``DataProphet``: M(s->t), training-free (``tables/metric.csv``);
* ``ICONS``: the mean influence of source s's pool examples on target t
  (``tables/icons_matrix.csv``), training-based (a LoRA warm-up and a gradient per example);
* the task-family baseline (same family = 1) and the own-source-first baseline, free;
* the seed-to-seed ceiling: one fine-tuning seed against the mean of the others
  (``noise_ceiling.json``), what a predictor as good as a rerun of the ground truth gets;
* ``DataProphet (proxy <name>)``: M(s->t) computed with a proxy model (config
  ``prophet.proxies``, ``proxies/<name>/metric.csv``), beside the base's row.

Cost: device-seconds summed from Snakemake's ``benchmark:`` files of the stages each
predictor runs (``analysis.cost.stage_seconds``); the ceiling's is the ground truth's own
fine-tunes and evaluations; a proxy's is its own features and predict jobs.
Reproduce: ``snakemake results/mini/tables/predictors.csv`` (the rule ``predictors`` calls
``dataprophet predictors``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dataprophet.analysis.cost import ICONS_STAGES, PROPHET_STAGES, TRUTH_STAGES, stage_seconds
from dataprophet.analysis.matrix_pairs import defined_truth, tau_options
from dataprophet.io.atomic import write_csv
from dataprophet.io.matrices import read_matrix
from dataprophet.prophet.factors import family_baseline
from dataprophet.settings import PredictorsSettings
from dataprophet.stats.baselines import own_source_first
from dataprophet.stats.kendall import tau_report

KEYS = ("tau_tgt", "tau_tgt_low", "tau_tgt_high", "tau_src", "tau_src_low", "tau_src_high", "tau")


def predictor_rows(truth: pd.DataFrame, predictors: dict[str, pd.DataFrame], settings) -> list[dict]:
    """Two-way tau with intervals of each named sources x targets matrix against ``truth``."""
    rows = []
    for name, scores in predictors.items():
        _, summary = tau_report(truth, scores.loc[truth.index, truth.columns], **tau_options(settings))
        rows.append({"predictor": name, **{k: summary[k] for k in KEYS}})
    return rows


def proxy_name(metric: Path) -> str:
    """A proxy's name: the folder its ``metric.csv`` lies in (``proxies/<name>/metric.csv``)."""
    metric = Path(metric)
    if metric.parent.parent.name != "proxies":
        raise ValueError(f"{metric}: a proxy's metric must lie at proxies/<name>/metric.csv")
    return metric.parent.name


def predictors(
    truth: Path,
    metric: Path,
    icons: Path,
    noise_ceiling_json: Path,
    benchmarks: Path,
    out: Path,
    settings: PredictorsSettings,
    proxies: list[Path] = (),
) -> pd.DataFrame:
    """The predictor table to ``out``; ``proxies``: ``proxies/<name>/metric.csv`` of each proxy."""
    delta = defined_truth(pd.read_csv(truth, index_col=0))
    matrices = {"DataProphet (training-free)": read_matrix(metric)}
    proxy_names = {}
    for path in proxies:
        name = proxy_name(path)
        proxy_names[f"DataProphet (proxy {name})"] = name
        matrices[f"DataProphet (proxy {name})"] = read_matrix(path)
    matrices["ICONS (training-based)"] = read_matrix(icons)
    for name, matrix in matrices.items():
        missing = sorted((set(delta.index) - set(matrix.index)) | (set(delta.columns) - set(matrix.columns)))
        if missing:
            raise ValueError(f"{name}: its matrix lacks {missing} of the ground truth's sources/targets")
    family_of = dict(settings.families)
    if family_of:
        matrices["task family (same family = 1)"] = family_baseline(family_of, list(delta.index), list(delta.columns))
    matrices["own source first"] = own_source_first(list(delta.index), list(delta.columns))
    rows = predictor_rows(delta, matrices, settings)
    ceiling = json.loads(Path(noise_ceiling_json).read_text())
    if "ceiling_tau_tgt" in ceiling:
        low_high = {k: float("nan") for k in KEYS if k.endswith(("_low", "_high"))}
        rows.append(
            {
                "predictor": "seed-to-seed ceiling (one seed vs the others)",
                "tau_tgt": ceiling["ceiling_tau_tgt"],
                "tau_src": ceiling["ceiling_tau_src"],
                "tau": (ceiling["ceiling_tau_tgt"] + ceiling["ceiling_tau_src"]) / 2,
                **low_high,
            }
        )
    per_stage = stage_seconds(benchmarks, settings.gpus).set_index("stage")["device_seconds"]

    def cost(stages) -> float:
        return float(per_stage.reindex(list(stages)).fillna(0).sum())

    costs = {
        "DataProphet (training-free)": (cost(PROPHET_STAGES), "+".join(PROPHET_STAGES)),
        "ICONS (training-based)": (cost(ICONS_STAGES), "+".join(ICONS_STAGES)),
        "task family (same family = 1)": (0.0, "none"),
        "own source first": (0.0, "none"),
        "seed-to-seed ceiling (one seed vs the others)": (cost(TRUTH_STAGES), "+".join(TRUTH_STAGES)),
    }
    for label, name in proxy_names.items():
        stages = (f"proxy_features:{name}", f"proxy_predict:{name}")
        costs[label] = (cost(stages), "+".join(stages))
    table = pd.DataFrame(rows)
    table["device_seconds"] = [costs[p][0] for p in table["predictor"]]
    table["stages_timed"] = [costs[p][1] for p in table["predictor"]]
    write_csv(table, out, index=False, float_format="%.4f")
    print(table.to_string(index=False))
    return table
