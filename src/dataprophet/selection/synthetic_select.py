"""Stage ``synthetic_select``: choose from the synthetic pool (the paper's Table 3, right half).

The pool is every dataset's synthetic table (``dataprophet synthesize``), its features the
frozen base model's (``dataprophet features`` on the split ``synthetic``). For each target
T, every pool pair u gets the per-sample score m(u) = QSim(u,T) * ASim(u,T) * ISim(u,T) *
PPL({u}) / PPL(T), in one streamed pass over the stored features (``select-samples``' arithmetic), and
the ``budget`` best (or, with ``threshold``, every pair with m(u) >= it) form DataProphet's
mixture. Also from the pool: the uniform mixture (a
seeded random ``budget`` pairs, one for every target) and ICONS' warm-up subset (a seeded
random ``warmup_samples``; ICONS then runs on the pool as on real data).

Writes, under ``mixtures``/: ``synthetic_dataprophet/<target>``, ``synthetic_uniform/all``
and ``synthetic_warmup/all`` (.parquet with the contract plus ``generator`` and
``source_image``; .ids.csv with id, source, part, generator); ``scores``: each pair's m(u)
for every target and every ``score_targets`` entry (parquet; the RL stage reads it);
``shares``: the share of each generator among DataProphet's selected pairs per target and
pooled over the targets, beside its share of the pool and of
the uniform draw, and the paper's pooled share (38% GPT-5, 62% Gemini 2.5 Pro) for the
generator each one stands in for.
Reproduce: ``snakemake results/mini/selection/generator_share.csv`` (the rule
``synthetic_select`` calls ``dataprophet synthetic-select``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet import paper
from dataprophet.io.atomic import atomic_path, write_csv
from dataprophet.io.contract import ContractError, read_rows, read_table, write_table
from dataprophet.prophet.factors import FeatureSet, load_features
from dataprophet.selection.budget import select_top_k
from dataprophet.selection.select_samples import stream_factors
from dataprophet.settings import SyntheticSelectSettings

EXTRA = ("generator", "source_image")


def read_pool(tables: list[Path]) -> pd.DataFrame:
    """Every synthetic table's ids and generators (not its images), one table after another,
    with ``source`` (the file's stem) and ``part`` columns: what scoring and drawing need."""
    parts = []
    for path in tables:
        try:
            frame = read_table(path, columns=["id", *EXTRA])
        except ContractError as exc:
            raise ValueError(f"not a synthetic table: {exc}") from exc
        parts.append(frame.assign(source=Path(path).stem, part="synthetic"))
    pool = pd.concat(parts, ignore_index=True)
    if pool["id"].duplicated().any():
        raise ValueError(f"the synthetic tables repeat id(s) {pool['id'][pool['id'].duplicated()].head(3).tolist()}")
    return pool


def chosen_rows(tables: list[Path], source_of: pd.Series, ids) -> pd.DataFrame:
    """The whole rows (images too) of the chosen ``ids``, in that order (``read_rows``;
    ``source_of``: id -> the table's stem)."""
    return read_rows(tables, source_of, ids).assign(part="synthetic")


def pool_scores(paths: list[Path], ids: pd.Series, targets: dict[str, FeatureSet]) -> dict[str, pd.Series]:
    """Each pool pair's m(u) for each target, the feature files streamed in order (their ids
    checked against ``ids``, the pool tables' rows)."""
    scored = stream_factors(paths, targets, columns=("m",))
    first = next(iter(scored.values()))  # every target's frame has the pool's ids in file order
    if first.index.tolist() != ids.astype(str).tolist():
        raise ValueError(
            "the synthetic feature files do not hold the synthetic tables' rows in order; rerun "
            "`dataprophet features` on the synthetic split"
        )
    return {target: frame["m"] for target, frame in scored.items()}


def write_selection(rows: pd.DataFrame, out: Path) -> None:
    """``out`` (.parquet: contract + generator, source_image) and its ``.ids.csv``."""
    write_table(rows.to_dict("records"), out, validate=False, extra=EXTRA)
    write_csv(rows[["id", "source", "part", "generator"]], out.with_suffix(".ids.csv"), index=False)


def uniform_draw(pool: pd.DataFrame, k: int, seed: int, label: str) -> pd.DataFrame:
    if not 1 <= k <= len(pool):
        raise ValueError(f"{label}: {k} pairs asked from a synthetic pool of {len(pool)}")
    return pool.iloc[np.sort(np.random.default_rng(seed).choice(len(pool), size=k, replace=False))]


def generator_shares(
    pool: pd.DataFrame, chosen: dict[str, pd.Index], uniform: pd.DataFrame, stands_in: dict
) -> pd.DataFrame:
    """Long table: per selection (each target, then pooled) and generator, its share."""
    generators = sorted(pool["generator"].unique())
    in_pool = pool["generator"].value_counts(normalize=True)
    in_uniform = uniform["generator"].value_counts(normalize=True)
    gen_of = pool.set_index("id")["generator"]
    rows = []
    selections = {t: gen_of.loc[ids] for t, ids in chosen.items()}
    selections["pooled over targets"] = pd.concat(selections.values()) if selections else pd.Series(dtype=str)
    for name, gens in selections.items():
        share = gens.value_counts(normalize=True)
        for g in generators:
            paper_generator = stands_in.get(g, "")
            rows.append(
                {
                    "selection": name,
                    "generator": g,
                    "stands_in_for": paper_generator,
                    "dataprophet": float(share.get(g, 0.0)),
                    "uniform": float(in_uniform.get(g, 0.0)),
                    "pool": float(in_pool.get(g, 0.0)),
                    "paper": paper.GENERATOR_SHARE.get(paper_generator, np.nan)
                    if name == "pooled over targets"
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


def synthetic_select(
    pool: list[Path],
    features: list[Path],
    target_features: list[Path],
    mixtures: Path,
    scores: Path,
    shares: Path,
    settings: SyntheticSelectSettings,
) -> pd.DataFrame:
    """DataProphet's, the uniform and the warm-up selections from the synthetic pool; returns
    the generator shares."""
    if len(pool) != len(features):
        raise ValueError(f"{len(pool)} synthetic tables but {len(features)} feature files; give one per table")
    frame = read_pool(pool)
    if settings.budget > len(frame):
        raise ValueError(
            f"budget {settings.budget} is larger than the synthetic pool ({len(frame)} pairs after validation); "
            f"lower 'synthetic.budget' or raise 'synthetic.images_per_dataset'"
        )
    by_target = {Path(p).stem: p for p in target_features}
    scored = list(dict.fromkeys([*settings.targets, *settings.score_targets]))
    unknown = [t for t in scored if t not in by_target]
    if unknown:
        raise ValueError(f"target(s) {unknown} have no test feature file among {sorted(by_target)}")
    table = pd.DataFrame({"source": frame["source"].to_numpy(), "generator": frame["generator"].to_numpy()})
    table.index = pd.Index(frame["id"].astype(str), name="id")
    target_sets = {t: load_features(by_target[t], f"target {by_target[t]}") for t in scored}
    for target, m in pool_scores(features, frame["id"], target_sets).items():
        table[target] = m.to_numpy()
    chosen = {}
    for target in settings.targets:
        if settings.threshold is None:
            ids = select_top_k(table[target], settings.budget)
        else:  # every pair at or above the threshold, best first
            above = table[target][table[target] >= settings.threshold]
            if above.empty:
                raise ValueError(
                    f"no pair scores m(u) >= {settings.threshold} for target {target!r} "
                    f"(highest: {table[target].max():.4g}); lower 'synthetic.threshold'"
                )
            ids = select_top_k(above, len(above))
        chosen[target] = ids
        write_selection(
            chosen_rows(pool, table["source"], ids), mixtures / "synthetic_dataprophet" / f"{target}.parquet"
        )
        mix = table.loc[ids, "generator"].value_counts(normalize=True).round(3).to_dict()
        print(f"dataprophet {target}: top {len(ids)} of {len(frame)} pairs, generators {mix}")
    uniform = uniform_draw(frame, settings.budget, settings.seed, "uniform")
    write_selection(chosen_rows(pool, table["source"], uniform["id"]), mixtures / "synthetic_uniform" / "all.parquet")
    warmup = uniform_draw(frame, settings.warmup_samples, settings.seed + 1, "ICONS warm-up")
    write_selection(chosen_rows(pool, table["source"], warmup["id"]), mixtures / "synthetic_warmup" / "all.parquet")
    with atomic_path(scores) as tmp:
        table.to_parquet(tmp)
    result = generator_shares(frame, chosen, uniform, settings.generators)
    write_csv(result, shares, index=False, float_format="%.4f")
    print(result.round(3).to_string(index=False))
    return result
