"""Stage ``mixture``: one training mixture, drawn from the sources' pools by an allocation.

For each source i with count N_i (a column of ``selection/allocation_<method>.csv``): when
N_i fits in the source's train table, N_i rows are drawn from it uniformly; otherwise the
whole train table is taken and the rest drawn from the source's pool extension (the
paper's "full split" past its 20K subset; ``dataprophet extend``). Draws are seeded per
source (numpy's generator on (seed, source name)), so a mixture is the same for a seed
whatever other sources hold, and the drawn ids are saved beside it for audit and rebuild.
Allocations are capped by the pools when they are made (``dataprophet allocate``); a count
above what a source holds is an error here, never a silent shortfall.
Reproduce: ``snakemake results/mini/selection/mixtures/dataprophet/chart_bar.parquet`` (the
rule ``mixture`` calls ``dataprophet mixture``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.io.contract import read_table, table_columns, write_table
from dataprophet.settings import MixtureSettings


class MixtureError(ValueError):
    """A mixture that cannot be drawn; the message names the source and the counts."""


def source_rng(seed: int, source: str) -> np.random.Generator:
    """The draw of one source: a function of the seed and the source's name only."""
    digest = hashlib.sha256(f"{seed}:{source}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def draw_source(train: pd.DataFrame, pool: pd.DataFrame, n: int, seed: int, source: str) -> pd.DataFrame:
    """``n`` rows of one source: from its train table while it suffices, then its pool.

    Returns the rows with a ``part`` column ("train" or "pool"), train rows first."""
    n = int(n)
    if n < 0:
        raise MixtureError(f"source {source!r}: negative count {n}")
    if n > len(train) + len(pool):
        raise MixtureError(
            f"source {source!r}: {n} samples asked, but it holds {len(train)} train + {len(pool)} pool; "
            f"allocate with pool caps (dataprophet allocate --tables ...)"
        )
    rng = source_rng(seed, source)
    if n <= len(train):
        picked = train.iloc[np.sort(rng.choice(len(train), size=n, replace=False))].assign(part="train")
        return picked
    extra = pool.iloc[np.sort(rng.choice(len(pool), size=n - len(train), replace=False))].assign(part="pool")
    return pd.concat([train.assign(part="train"), extra], ignore_index=True)


def draw_mixture(counts: pd.Series, tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]], seed: int) -> pd.DataFrame:
    """Rows of every source with a positive count (``counts``: source -> N_i); ``tables``:
    source -> (train, pool). Sources in ``counts`` order; a ``source`` column says where each
    row came from. Rows keep their contract ids, so the mixture can be rebuilt from them."""
    missing = [s for s in counts.index if s not in tables]
    if missing:
        raise MixtureError(f"no train/pool tables for source(s) {missing}; have {sorted(tables)}")
    parts = []
    for source, n in counts.items():
        if int(n) == 0:
            continue
        train, pool = tables[source]
        parts.append(draw_source(train, pool, int(n), seed, str(source)).assign(source=str(source)))
    if not parts:
        raise MixtureError("every count is 0: an empty mixture")
    mixture = pd.concat(parts, ignore_index=True)
    dup = mixture["id"][mixture["id"].duplicated()]
    if len(dup):
        raise MixtureError(f"the mixture repeats sample id(s) {dup.head(3).tolist()}: the pools overlap")
    return mixture


def column_counts(allocation: pd.DataFrame, target: str, where: str) -> pd.Series:
    """The counts for ``target``, or for "all" the one column every target shares."""
    if target == "all":
        first = allocation.iloc[:, 0]
        differ = [c for c in allocation.columns if not allocation[c].equals(first)]
        if differ:
            raise MixtureError(f"{where}: target 'all' needs one allocation for every target, but {differ} differ")
        return first.rename("all")
    if target not in allocation.columns:
        raise MixtureError(f"{where}: no column for target {target!r}; columns: {list(allocation.columns)}")
    return allocation[target]


def read_drawn(drawn: pd.DataFrame, train: dict[str, Path], pool: dict[str, Path]) -> pd.DataFrame:
    """The whole rows (images too) of a draw made on ids alone (``draw_mixture`` on id-only
    frames), in the draw's order: each source's train and pool table is read for its drawn ids
    only (``read_table(ids=...)``), so no table is held whole, only the mixture."""
    parts = []
    for (source, part), group in drawn.groupby(["source", "part"], sort=False):
        path = (train if part == "train" else pool)[source]
        rows = read_table(path, ids=group["id"].tolist())
        rows = rows.set_axis(rows["id"].astype(str)).loc[group["id"].astype(str)].reset_index(drop=True)
        parts.append(rows.assign(part=part, source=source))
    return pd.concat(parts, ignore_index=True)


def write_mixture(mixture: pd.DataFrame, out: Path, ids: Path) -> None:
    """The contract table to ``out`` and ``id, source, part`` to ``ids`` (CSV)."""
    write_table(mixture[table_columns(mixture)].to_dict("records"), out, validate=False)
    write_csv(mixture[["id", "source", "part"]], ids, index=False)


def mixture(allocation: Path, train: list[Path], pool: list[Path], out: Path, ids: Path, settings: MixtureSettings):
    """Draw the mixture for ``settings.target`` from the ``train`` and ``pool`` tables (one of
    each per source, named <source>.parquet) by the counts in ``allocation``."""
    table = pd.read_csv(allocation, index_col=0)
    counts = column_counts(table, settings.target, str(allocation))
    by_name = {Path(p).stem: Path(p) for p in train}
    pools = {Path(p).stem: Path(p) for p in pool}
    unknown = [s for s in counts.index if s not in by_name or s not in pools]
    if unknown:
        raise MixtureError(f"{allocation}: source(s) {unknown} have no train or pool table among the inputs")
    # the draw needs only the ids; then each table gives its drawn rows, a row group at a time
    id_tables = {
        s: (read_table(by_name[s], columns=["id"]), read_table(pools[s], columns=["id"]))
        for s in counts.index
        if counts[s] > 0
    }
    drawn = read_drawn(draw_mixture(counts[counts > 0], id_tables, settings.seed), by_name, pools)
    write_mixture(drawn, out, ids)
    beyond = drawn.groupby("source")["part"].apply(lambda p: int((p == "pool").sum()))
    print(f"mixture for {settings.target}: {len(drawn)} samples from {drawn['source'].nunique()} sources -> {out}")
    for source, n in beyond[beyond > 0].items():
        print(f"note: {source}: {n} samples drawn past its train table, from its pool")
    return drawn
