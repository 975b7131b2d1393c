"""Stage ``ablations``: tau of every metric variant and baseline, from the stored factors.

Everything here reads ``prophet_terms`` (one row per source/target pair, every factor
kept separately), so each ablation is recomputed from the stored factors, never from the
model: ``snakemake ablations`` reruns this table alone, and a new variant is one entry
of the config's ``prophet.ablations`` ({name: [factor, ...]}).
Reproduce: ``snakemake results/mini/tables/ablations.csv`` (the rule ``ablations`` calls
``dataprophet ablations``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet import paper
from dataprophet.analysis.matrix_pairs import defined_truth, scores_from, tau_options
from dataprophet.io.atomic import write_csv
from dataprophet.prophet.factors import ABLATIONS, factor_columns, family_baseline, metric_matrix
from dataprophet.settings import AblationSettings
from dataprophet.stats.baselines import own_source_first, source_main_effect
from dataprophet.stats.kendall import tau_report

FAMILY_BASELINE = "task family (same family = 1)"
OWN_SOURCE_BASELINE = "own source first, the rest tied"
MAIN_EFFECT_BASELINE = "source main effect (Delta elsewhere)"
BASELINE_FACTORS = {
    FAMILY_BASELINE: "family",
    OWN_SOURCE_BASELINE: "diagonal",
    MAIN_EFFECT_BASELINE: "truth off the target",
}


def _available(terms: pd.DataFrame, factors: tuple[str, ...]) -> bool:
    """Whether every column the factors need is in ``terms`` with no missing value."""
    columns = [c for f in factors for c in factor_columns(f)]
    return all(c in terms.columns for c in columns) and not terms[columns].isna().any().any()


PUBLISHED_METRIC = "full"  # the published study's one variant: the paper's printed M


def ablation_table(
    truth: pd.DataFrame,
    terms: pd.DataFrame | None,
    families: dict[str, str],
    extra: dict | None = None,
    metric: pd.DataFrame | None = None,
    **tau_kwargs,
) -> pd.DataFrame:
    """Two-way tau of every metric variant and of the baselines beside it: the task family,
    the own source ranked first with the rest tied, and each source's mean Delta on the other
    targets (which reads the ground truth, leaving out the target being ranked). A variant
    whose factors the terms lack (older feature files) is left out. ``extra``: more variants,
    {name: factors}, after the built-in ones. Without factors (``terms`` None) ``metric``, a
    finished M matrix, is the one variant ("full"), and only the baselines stand beside it."""
    rows = []
    if terms is None:
        if metric is None or extra:
            raise ValueError("without stored factors: give the M matrix, and no extra variants (they need factors)")
        recipes: dict = {}
        variants = {PUBLISHED_METRIC: metric.loc[truth.index, truth.columns]}
    else:
        recipes = {**ABLATIONS, **{name: tuple(f) for name, f in (extra or {}).items()}}
        missing = [name for name, f in (extra or {}).items() if not _available(terms, tuple(f))]
        if missing:
            raise ValueError(f"ablation(s) {missing}: the stored factors lack a column they need")
        variants = {name: metric_matrix(terms, f) for name, f in recipes.items() if _available(terms, f)}
    variants[FAMILY_BASELINE] = family_baseline(families, list(truth.index), list(truth.columns))
    variants[OWN_SOURCE_BASELINE] = own_source_first(list(truth.index), list(truth.columns))
    variants[MAIN_EFFECT_BASELINE] = source_main_effect(truth)
    for name, scores in variants.items():
        _, summary = tau_report(truth, scores, **tau_kwargs)
        if name == MAIN_EFFECT_BASELINE:
            # A source's overall effect says nothing about which targets it helps; within a
            # row the leave-one-out mean only falls as the cell's own Delta rises, so its
            # tau_Src would be a mechanical -1, not a result.
            for key in ("tau_src", "tau_src_low", "tau_src_high", "tau"):
                summary[key] = float("nan")
        rows.append(
            {
                "variant": name,
                "factors": " * ".join(recipes[name])
                if name in recipes
                else BASELINE_FACTORS.get(name, "the published M matrix"),
                **{
                    k: summary[k]
                    for k in (
                        "tau_tgt",
                        "tau_tgt_low",
                        "tau_tgt_high",
                        "tau_src",
                        "tau_src_low",
                        "tau_src_high",
                        "tau",
                        "tau_tgt_nan",
                        "tau_src_nan",
                    )
                },
                "paper_tau": paper.ABLATION_TAU.get(name),
                "paper_tau_tgt": paper.PARTIAL_TAU_TGT.get(name),
            }
        )
    return pd.DataFrame(rows)


def paper_comparison(
    per_item: pd.DataFrame, summary: dict, ablations: pd.DataFrame | None, mirrors: dict[str, str]
) -> pd.DataFrame:
    """Each number the paper reports for the ranking part beside the reproduced one.

    ``mirrors`` maps this study's dataset names to the paper's (identity for the paper
    study; the mini suite's stand-ins for the mini study).
    """
    rows = [
        {"quantity": key, "item": "", "paper": paper.TAU_SUMMARY[key], "reproduced": summary[key]}
        for key in ("tau_tgt", "tau_src", "tau")
    ]
    for axis, table, key in (("target", paper.TAU_TGT, "tau_tgt"), ("source", paper.TAU_SRC, "tau_src")):
        for rec in per_item[per_item["axis"] == axis].itertuples():
            mirror = paper.paper_name(mirrors.get(rec.name, rec.name))
            rows.append(
                {
                    "quantity": f"{key} per {axis}",
                    "item": f"{rec.name} ({mirror})",
                    "paper": table.get(mirror),
                    "reproduced": rec.tau,
                }
            )
    for rec in (ablations if ablations is not None else pd.DataFrame()).itertuples():
        if rec.paper_tau is not None and not pd.isna(rec.paper_tau):
            rows.append(
                {"quantity": "ablation tau", "item": rec.variant, "paper": rec.paper_tau, "reproduced": rec.tau}
            )
        if rec.paper_tau_tgt is not None and not pd.isna(rec.paper_tau_tgt):
            rows.append(
                {
                    "quantity": "partial metric tau_tgt",
                    "item": rec.variant,
                    "paper": rec.paper_tau_tgt,
                    "reproduced": rec.tau_tgt,
                }
            )
    return pd.DataFrame(rows)


def ablations(
    truth: Path, out: Path, settings: AblationSettings, terms: Path | None = None, metric: Path | None = None
) -> pd.DataFrame:
    """The ablation table (CSV) of the factors in ``terms`` against the Delta in ``truth``; with
    ``metric`` instead (the published study: an M matrix, no factors), M and the baselines."""
    delta = defined_truth(pd.read_csv(truth, index_col=0))
    scores = scores_from(delta, terms, metric) if metric is not None else None
    if terms is None and metric is None:
        raise ValueError("give exactly one of --terms (stored factors) and --metric (an M matrix)")
    factors = pd.read_csv(terms) if terms is not None and metric is None else None
    families = {name: d["family"] for name, d in settings.datasets.items()}
    table = ablation_table(delta, factors, families, extra=settings.extra, metric=scores, **tau_options(settings))
    write_csv(table, out, index=False, float_format="%.4f")
    print(table[["variant", "tau_tgt", "tau_src", "tau", "paper_tau"]].to_string(index=False))
    return table
