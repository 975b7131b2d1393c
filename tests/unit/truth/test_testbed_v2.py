"""Testbed v2's pieces: difficulty settings, the dev split, the web generator, the base's
benchmark slice, pilot config keys and the pilot gates (docs/testbed.md)."""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pytest

from dataprophet.config import load_study
from dataprophet.data.suite import SUITE, check_options, generate_splits
from dataprophet.data.suite.web import make_web
from dataprophet.model.base import benchmark_mixture
from dataprophet.settings import ConfigError
from dataprophet.truth.groundtruth import transfer_summary
from dataprophet.truth.testbed import gates, item_statistics, seed_noise_ratio

SIZES = {"pretrain": 20, "test": 20, "train": 20}


def _keys(split):
    return [(r["image"], r["question"], tuple(r["answers"])) for r in split]


def test_no_options_and_empty_options_give_the_same_data():
    plain = generate_splits("count_shapes", SIZES, seed=3)
    empty = generate_splits("count_shapes", SIZES, seed=3, options={})
    assert all(_keys(plain[s]) == _keys(empty[s]) for s in SIZES)


def test_a_difficulty_setting_changes_the_data_and_holds():
    easy = generate_splits("count_shapes", {"train": 200}, seed=0, options={"max_count": 3})["train"]
    assert {int(r["answers"][0]) for r in easy} == {1, 2, 3}
    screen = generate_splits("ocr_screen", {"train": 100}, seed=0, options={"one_digit_share": 1.0})["train"]
    numbers = [r["answers"][0] for r in screen if r["answers"][0].isdigit()]
    assert numbers and all(len(n) == 1 for n in numbers)


def test_dev_split_drawn_last_leaves_the_other_splits_unchanged():
    without = generate_splits("doc_table", SIZES, seed=1)
    with_dev = generate_splits("doc_table", {**SIZES, "dev": 20}, seed=1)
    assert all(_keys(without[s]) == _keys(with_dev[s]) for s in SIZES)
    seen = {k for s in SIZES for k in _keys(with_dev[s])}
    assert not seen & set(_keys(with_dev["dev"]))


def test_unknown_or_bad_difficulty_setting_names_the_key():
    with pytest.raises(ValueError, match=r"suite\.count_shapes\.max_sides"):
        check_options("count_shapes", {"max_sides": 3})
    with pytest.raises(ValueError, match=r"suite\.math_geom\.max_side.*whole number"):
        check_options("math_geom", {"max_side": 2.5})
    assert check_options("math_geom", {"max_side": 4.0}) == {"max_side": 4}


def test_every_dataset_accepts_its_defaults_as_options():
    import inspect

    for name, spec in SUITE.items():
        defaults = {
            p.name: p.default
            for p in inspect.signature(spec.make_sample).parameters.values()
            if p.kind == p.KEYWORD_ONLY
        }
        assert check_options(name, defaults) == defaults


def test_web_answers_use_no_benchmark_answer_form():
    rng = random.Random(0)
    samples = [make_web(rng, 64) for _ in range(400)]
    answers = [s["answers"][0] for s in samples]
    # web conventions: sentences ending in a period, numbers as words; never a bare digit string
    assert all(a.endswith(".") for a in answers)
    assert not any(re.fullmatch(r"\d+", a) for a in answers)
    assert len({s["question"] for s in samples}) > 15
    assert all(s["image"].size == (64, 64) for s in samples)
    again = [make_web(random.Random(0), 64) for _ in range(1)][0]
    assert again["question"] == samples[0]["question"] and again["answers"] == samples[0]["answers"]


def test_benchmark_mixture_takes_its_share_evenly():
    web = pd.DataFrame({"id": [f"w{i}" for i in range(950)]})
    benches = [pd.DataFrame({"id": [f"b{k}-{i}" for i in range(30)]}) for k in range(3)]
    mix = benchmark_mixture(web, benches, 0.05, seed=0)
    assert len(mix) == 1000  # 50 benchmark rows make 5% of 1,000
    counts = mix["id"].str.extract(r"^b(\d)-")[0].value_counts().sort_index().tolist()
    assert counts == [17, 17, 16]
    assert len(benchmark_mixture(web, benches, 0.0, seed=0)) == 950
    with pytest.raises(ValueError, match="pretrain table of 30 rows"):
        benchmark_mixture(web, benches, 0.2, seed=0)


def _config(**extra):
    return {"name": "t", "scale": "mini", "sizes": {"pretrain": 10, "train": 1000, "test": 500}, **extra}


def test_pilot_keys_are_checked_when_the_config_is_loaded():
    with pytest.raises(ConfigError, match="sizes.dev"):
        load_study(_config(eval_split="dev", stop_after="testbed"))
    with pytest.raises(ConfigError, match="stop_after: testbed"):
        load_study(_config(sources=["ocr_cover"]))
    with pytest.raises(ConfigError, match="benchmark_share"):
        load_study(_config(web={"samples": 10, "benchmark_share": 0.2}))
    with pytest.raises(ConfigError, match="suite.nope"):
        load_study(_config(suite={"nope": {"x": 1}}))
    study = load_study(_config(sources=["ocr_cover", "doc_form"], stop_after="testbed"))
    assert study.ft_sources == ("ocr_cover", "doc_form")
    assert study.generate_settings("doc_form").options == {}


def test_transfer_summary_with_a_subset_of_sources():
    delta = pd.DataFrame([[0.5, 0.1, -0.1], [0.2, 0.3, 0.1]], index=["a", "c"], columns=["a", "b", "c"])
    summary = transfer_summary(delta)
    assert summary["diagonal_mean"] == pytest.approx(0.3)  # a->a 0.5, c->c 0.1
    assert summary["off_diagonal_mean"] == pytest.approx(0.125)
    assert summary["off_diagonal_positive_fraction"] == pytest.approx(0.75)
    assert summary["diagonal_is_column_max_fraction"] == pytest.approx(1.0)


def _items():
    """Two targets, 100 items; source a helps a a lot and b somewhat, source b helps neither."""
    rng = np.random.default_rng(0)
    rows = []
    for target in ("a", "b"):
        base = (rng.random(100) < 0.4).astype(float)
        lift = {"a": {"a": 0.4, "b": 0.0}, "b": {"a": 0.3, "b": 0.0}}[target]
        for i in range(100):
            rows.append(("base", target, i, base[i]))
            for seed in (10, 11):
                for source in ("a", "b"):
                    up = rng.random() < lift[source]
                    rows.append((f"seed{seed}/{source}", target, i, max(base[i], float(up))))
    return pd.DataFrame(rows, columns=["model", "target", "id", "score"])


def test_item_statistics_find_a_clear_and_an_unclear_diagonal():
    stats = item_statistics(_items(), ["a", "b"], z=2.0)
    assert stats["a"]["own_delta_beyond_noise"] and stats["a"]["best_source"] == "a"
    assert not stats["b"]["own_delta_beyond_noise"] and stats["b"]["own_delta"] == 0
    assert stats["b"]["best_source"] == "a" and not stats["b"]["own_best_within_noise_items"]


def test_gates_need_every_check():
    delta = pd.DataFrame([[0.5, 0.1], [0.2, 0.3]], index=["a", "b"], columns=["a", "b"])
    se = pd.DataFrame(np.full((2, 2), 0.01), index=delta.index, columns=delta.columns)
    ratio = seed_noise_ratio(delta, se, seeds=2)
    assert ratio == pytest.approx(0.01 * np.sqrt(2) / np.mean(delta.std(axis=0, ddof=1)))
    items = {t: {"own_delta_beyond_noise": True, "own_best_within_noise_items": True} for t in "ab"}
    stats = {"off_diagonal_positive_share": 1.0, "constant_share_gap_max": {"a": 0.1, "b": 0.05}}
    assert gates(stats, items, ratio)["go"]
    assert not gates({**stats, "off_diagonal_positive_share": 0.5}, items, ratio)["go"]
    assert not gates(stats, items, 0.9)["go"]
    assert not gates({**stats, "constant_share_gap_max": {"a": 0.3}}, items, ratio)["go"]
