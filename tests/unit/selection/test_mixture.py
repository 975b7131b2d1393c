"""Mixtures: pools past the train table, seeded draws, saved ids, and the user's select command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataprophet.data.extend import extend
from dataprophet.data.generate import SPLITS
from dataprophet.data.suite import content_key, generate_splits
from dataprophet.io.contract import read_table, write_table
from dataprophet.selection.allocate import allocate
from dataprophet.selection.mixture import MixtureError, column_counts, draw_mixture, draw_source, mixture
from dataprophet.settings import AllocateSettings, ExtendSettings, MixtureSettings

SIZES = {"pretrain": 6, "test": 8, "train": 10}


def _frame(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"{prefix}-{i}" for i in range(n)], "x": range(n)})


@pytest.fixture(scope="module")
def suite_tables(tmp_path_factory):
    """Train, test, pool and val tables of two suite datasets, as the workflow writes them."""
    root = tmp_path_factory.mktemp("suite")
    for name in ("count_shapes", "chart_bar"):
        splits = generate_splits(name, SIZES, seed=0)
        for split in ("train", "test"):
            write_table(splits[split], root / split / f"{name}.parquet")
        extend(
            name,
            root / "train" / f"{name}.parquet",
            root / "test" / f"{name}.parquet",
            root / "pool" / f"{name}.parquet",
            root / "val" / f"{name}.parquet",
            None,
            None,
            ExtendSettings(sizes=SIZES, pool_extra=7, val_size=5),
        )
    return root


def test_extension_is_disjoint_from_every_split_of_the_study(suite_tables):
    splits = generate_splits("count_shapes", SIZES, seed=0)
    keys = {s: {content_key(r["image"], r["question"]) for r in splits[s]} for s in SPLITS}
    for extra, n in (("pool", 7), ("val", 5)):
        frame = read_table(suite_tables / extra / "count_shapes.parquet", validate=True)
        assert len(frame) == n
        new = {content_key(r.image, r.question) for r in frame.itertuples()}
        assert len(new) == n
        for split, seen in keys.items():
            assert not (new & seen), (extra, split)
    pool = read_table(suite_tables / "pool" / "count_shapes.parquet")
    val = read_table(suite_tables / "val" / "count_shapes.parquet")
    assert not set(pool["id"]) & set(val["id"])


def test_extension_refuses_a_train_table_the_generator_does_not_reproduce(suite_tables, tmp_path):
    other = generate_splits("count_shapes", SIZES, seed=1)["train"]
    write_table(other, tmp_path / "train.parquet")
    with pytest.raises(ValueError, match="no longer reproduces the train table"):
        extend(
            "count_shapes",
            tmp_path / "train.parquet",
            suite_tables / "test" / "count_shapes.parquet",
            tmp_path / "pool.parquet",
            tmp_path / "val.parquet",
            None,
            None,
            ExtendSettings(sizes=SIZES, pool_extra=3, val_size=2),
        )
    assert not (tmp_path / "pool.parquet").exists()


def test_a_source_gives_its_train_table_first_then_its_pool():
    train, pool = _frame("t", 10), _frame("p", 5)
    small = draw_source(train, pool, 4, seed=0, source="a")
    assert len(small) == 4 and set(small["part"]) == {"train"}
    big = draw_source(train, pool, 13, seed=0, source="a")
    assert list(big["part"]).count("train") == 10 and list(big["part"]).count("pool") == 3
    assert big["id"].is_unique
    with pytest.raises(MixtureError, match=r"16 samples asked, but it holds 10 train \+ 5 pool"):
        draw_source(train, pool, 16, seed=0, source="a")


def test_draws_depend_on_the_seed_and_the_source_only():
    tables = {"a": (_frame("a", 20), _frame("ap", 5)), "b": (_frame("b", 20), _frame("bp", 5))}
    counts = pd.Series({"a": 6, "b": 3})
    first = draw_mixture(counts, tables, seed=0)
    assert first.equals(draw_mixture(counts, tables, seed=0))
    assert not first.equals(draw_mixture(counts, tables, seed=1))
    # Source b's draw is the same whatever a is asked for.
    other = draw_mixture(pd.Series({"a": 2, "b": 3}), tables, seed=0)
    assert list(other[other["source"] == "b"]["id"]) == list(first[first["source"] == "b"]["id"])
    assert draw_mixture(pd.Series({"a": 0, "b": 2}), tables, seed=0)["source"].tolist() == ["b", "b"]


def test_shared_column_must_be_the_same_for_every_target():
    table = pd.DataFrame({"t1": [1, 2], "t2": [1, 2]}, index=["a", "b"])
    assert column_counts(table, "all", "x").tolist() == [1, 2]
    with pytest.raises(MixtureError, match="differ"):
        column_counts(table.assign(t2=[2, 1]), "all", "x")
    with pytest.raises(MixtureError, match="no column for target 'zz'"):
        column_counts(table, "zz", "x")


def test_mixture_stage_caps_by_the_pools_and_saves_rebuildable_ids(suite_tables, tmp_path):
    names = ("count_shapes", "chart_bar")
    weights = pd.DataFrame({"chart_bar": [9.0, 1.0]}, index=pd.Index(names, name="source"))
    weights.to_csv(tmp_path / "metric.csv")
    train = [suite_tables / "train" / f"{n}.parquet" for n in names]
    pool = [suite_tables / "pool" / f"{n}.parquet" for n in names]
    # Budget 30 by weights 9:1 asks 27 of count_shapes, which holds 10 + 7 = 17: capped, the
    # other 10 go to chart_bar (which holds 17 too).
    table = allocate(
        tmp_path / "metric.csv",
        tmp_path / "alloc.csv",
        AllocateSettings(method="dataprophet", budget=30),
        train=train,
        pool=pool,
    )
    assert table["chart_bar"].tolist() == [17, 13]
    out, ids = tmp_path / "mix.parquet", tmp_path / "mix.ids.csv"
    drawn = mixture(tmp_path / "alloc.csv", train, pool, out, ids, MixtureSettings(target="chart_bar"))
    assert len(read_table(out, validate=True)) == 30
    saved = pd.read_csv(ids)
    assert saved["id"].tolist() == drawn["id"].tolist()
    assert saved.groupby("source").size().to_dict() == {"count_shapes": 17, "chart_bar": 13}
    test_ids = set().union(*(read_table(suite_tables / "test" / f"{n}.parquet")["id"] for n in names))
    assert not test_ids & set(saved["id"])
    # Rebuild from the ids alone.
    rows = pd.concat([read_table(p) for p in [*train, *pool]]).set_index("id").loc[saved["id"]]
    assert np.array_equal(rows["question"].to_numpy(), read_table(out)["question"].to_numpy())
    # The stage draws on ids and reads only the drawn rows; the same draw on whole tables in
    # memory gives the same mixture, images included.
    whole = {n: (read_table(t), read_table(p)) for n, t, p in zip(names, train, pool)}
    in_memory = draw_mixture(table["chart_bar"], whole, MixtureSettings(target="chart_bar").seed)
    pd.testing.assert_frame_equal(drawn, in_memory)


def test_uniform_allocation_needs_no_weights_and_has_one_column(suite_tables, tmp_path):
    train = [suite_tables / "train" / f"{n}.parquet" for n in ("count_shapes", "chart_bar")]
    table = allocate(None, tmp_path / "u.csv", AllocateSettings(method="uniform", budget=9), train=train)
    # 4.5 each; the leftover goes by name: chart_bar before count_shapes.
    assert list(table.columns) == ["all"] and table["all"].tolist() == [4, 5]
    with pytest.raises(ValueError, match="--weights is needed"):
        allocate(None, tmp_path / "o.csv", AllocateSettings(method="oracle", budget=9), train=train)


def test_select_builds_a_uniform_mixture_from_user_tables(suite_tables, tmp_path):
    from dataprophet.selection.select import select
    from dataprophet.settings import SelectSettings

    sources = [suite_tables / "train" / f"{n}.parquet" for n in ("count_shapes", "chart_bar")]
    allocation = select(
        suite_tables / "test" / "chart_bar.parquet",
        sources,
        tmp_path / "mix",
        SelectSettings(budget=12, method="uniform"),
    )
    assert allocation["samples"].tolist() == [6, 6]
    assert len(read_table(tmp_path / "mix" / "mixture.parquet", validate=True)) == 12
    assert (tmp_path / "mix" / "ids.csv").exists() and (tmp_path / "mix" / "allocation.csv").exists()
    with pytest.raises(ValueError, match="budget 21 exceeds the 20 samples"):
        select(
            suite_tables / "test" / "chart_bar.parquet",
            sources,
            tmp_path / "m2",
            SelectSettings(budget=21, method="uniform"),
        )
    with pytest.raises(ValueError, match="give --model"):
        select(suite_tables / "test" / "chart_bar.parquet", sources, tmp_path / "m3", SelectSettings(budget=8))


def test_select_with_dataprophet_weights_sources_by_m_and_writes_the_mixture(suite_tables, tmp_path, tiny_parts):
    from dataprophet.cli import main
    from dataprophet.model.modeling import save_model_dir

    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "base")
    sources = [str(suite_tables / "train" / f"{n}.parquet") for n in ("count_shapes", "chart_bar")]
    argv = [
        "select",
        "--model",
        str(tmp_path / "base"),
        "--target",
        str(suite_tables / "test" / "chart_bar.parquet"),
        "--sources",
        *sources,
        "--budget",
        "14",
        "--out",
        str(tmp_path / "mix"),
        "--kmeans_k",
        "2",
        "--samples",
        "0",
    ]
    assert main(argv) == 0
    allocation = pd.read_csv(tmp_path / "mix" / "allocation.csv", index_col=0)
    assert allocation["samples"].sum() == 14 and (allocation["samples"] <= allocation["available"]).all()
    share = 14 * allocation["weight"] / allocation["weight"].sum()
    if (allocation["samples"] < allocation["available"]).all():  # no pool capped: Algorithm 1 itself
        assert (abs(allocation["samples"] - share) < 1).all()
    scores = pd.read_csv(tmp_path / "mix" / "scores.csv")
    assert set(scores["source"]) == {"count_shapes", "chart_bar"} and "M" in scores.columns
    assert len(read_table(tmp_path / "mix" / "mixture.parquet", validate=True)) == 14


def test_progress_in_a_log_is_a_plain_line_per_period(capsys):
    from dataprophet.io.progress import batch_starts

    assert list(batch_starts(10, 4, "demo", every=0)) == [0, 4, 8]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("demo: 4/10 samples") and lines[-1].startswith("demo: 10/10 samples")
