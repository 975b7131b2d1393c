"""Stage ``influence``: ICONS' selections and its (source, target) matrix from stored gradients.

Reads every dataset's gradient file (``dataprophet gradients``): the pool is every source's
rows (train and pool, or the synthetic pool), and each dataset's validation rows make it a
target. The mixtures are named by ``name`` (``icons`` on real data, ``synthetic_icons`` on the
synthetic pool). Writes

* ``influence``: one row per pool example (id, source) with its influence on every target
  (mean cosine with the target's validation gradients; ``selection.icons.influence``);
* the ICONS mixture of each configured target (``<name>/<target>``): its ``budget`` most
  influential examples;
* the consensus mixture (``<name>_consensus/all``): ICONS' vote over every target (``selection.icons.consensus``), cut
  to the same budget so that it competes with the other methods on equal terms;
* ``matrix``: sources x targets, the mean influence of a source's examples on a target,
  ICONS as a predictor of Delta (judged like DataProphet by ``dataprophet predictors``).

Reproduce: ``snakemake results/mini/tables/icons_matrix.csv`` (the rule ``influence`` calls
``dataprophet influence``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import atomic_path, write_csv
from dataprophet.io.contract import read_table
from dataprophet.selection.icons import consensus, top_n
from dataprophet.selection.icons import influence as mean_cosine
from dataprophet.selection.mixture import write_mixture
from dataprophet.settings import InfluenceSettings


def load_gradients(paths: list[Path]) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """(pool index: id, source), pool gradients, and each dataset's validation gradients."""
    index, blocks, val = [], [], {}
    for path in paths:
        name = Path(path).stem
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("pool_ids", "pool", "val_ids", "val") if k not in data.files]
            if missing:
                raise ValueError(f"{path}: not a gradient file (missing {missing})")
            index.append(pd.DataFrame({"id": data["pool_ids"].astype(str), "source": name}))
            blocks.append(data["pool"])
            val[name] = data["val"]
    dims = {b.shape[1] for b in blocks} | {v.shape[1] for v in val.values()}
    if len(dims) != 1:
        raise ValueError(f"gradient files disagree on the projection dimension: {sorted(dims)}")
    return pd.concat(index, ignore_index=True), np.concatenate(blocks), val


def influence_scores(paths: list[Path]) -> pd.DataFrame:
    """Pool examples (index: id; column ``source``) x targets: each example's influence."""
    index, pool, val = load_gradients(paths)
    scores = pd.DataFrame({t: mean_cosine(pool, g) for t, g in val.items()})
    scores.index = pd.Index(index["id"], name="id")
    if scores.index.has_duplicates:
        raise ValueError(
            f"pool ids repeat across gradient files: {scores.index[scores.index.duplicated()][:3].tolist()}"
        )
    return scores.assign(source=index["source"].to_numpy())


def source_matrix(scores: pd.DataFrame) -> pd.DataFrame:
    """Sources x targets: mean influence of a source's pool examples on each target."""
    matrix = scores.groupby("source", sort=False).mean()
    matrix.index.name, matrix.columns.name = "source", "target"
    return matrix


def _rows(ids: pd.Index, scores: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of the chosen ids, grouped by source in the tables' order."""
    chosen = set(ids)
    parts = []
    for source, frame in tables.items():
        picked = frame[frame["id"].astype(str).isin(chosen)]
        parts.append(picked.assign(source=source))
    rows = pd.concat(parts, ignore_index=True)
    if len(rows) != len(ids):
        raise ValueError(f"{len(ids) - len(rows)} chosen ids are in no source table")
    return rows


def _write(rows: pd.DataFrame, out: Path) -> None:
    """A mixture; a synthetic one keeps its generator and source image (as ``synthetic-select``)."""
    if "generator" in rows.columns:
        from dataprophet.selection.synthetic_select import write_selection

        write_selection(rows, out)
    else:
        write_mixture(rows, out, out.with_suffix(".ids.csv"))


def influence(
    gradients: list[Path],
    sources: list[Path],
    scores: Path,
    matrix: Path,
    mixtures: Path,
    settings: InfluenceSettings,
) -> pd.DataFrame:
    """ICONS' per-target and consensus mixtures under ``mixtures``/ (<name>/<target>.parquet,
    <name>_consensus/all.parquet, each with its .ids.csv), the per-example ``scores`` (parquet)
    and the source ``matrix`` (CSV). ``sources``: the tables whose rows the gradient files
    hold, named <source>.parquet; each row's ``part`` is its table's folder (train, pool,
    synthetic)."""
    table = influence_scores(gradients)
    targets = [t for t in table.columns if t != "source"]
    unknown = [t for t in settings.targets if t not in targets]
    if unknown:
        raise ValueError(f"target(s) {unknown} have no gradient file; have {targets}")
    tables: dict[str, pd.DataFrame] = {}
    for path in sources:
        frame = read_table(path).assign(part=Path(path).parent.name)
        stem = Path(path).stem
        tables[stem] = pd.concat([tables[stem], frame], ignore_index=True) if stem in tables else frame
    values = table[targets]
    for target in settings.targets:
        ids = top_n(values[target], settings.budget)
        _write(_rows(ids, table, tables), mixtures / settings.name / f"{target}.parquet")
        print(
            f"{settings.name} {target}: top {len(ids)} of {len(values)} by influence, "
            f"{table.loc[ids, 'source'].value_counts().head(3).to_dict()}"
        )
    ids, votes = consensus(values, settings.budget, settings.top_percent)
    _write(_rows(ids, table, tables), mixtures / f"{settings.name}_consensus" / "all.parquet")
    print(
        f"{settings.name} consensus over {len(targets)} targets: {len(ids)} chosen with {votes.loc[ids].min()}"
        f"-{votes.loc[ids].max()} votes"
    )
    with atomic_path(scores) as tmp:
        table.assign(votes=votes).to_parquet(tmp)
    source = source_matrix(table)
    write_csv(source, matrix, float_format="%.6g")
    return source
