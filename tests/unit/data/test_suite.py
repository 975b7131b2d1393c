"""Tests for the mini suite of procedurally generated datasets (dataprophet.data.suite)."""

from __future__ import annotations

import collections
import io
import random
import re

import pytest
from PIL import Image

from dataprophet.data.suite import FAMILIES, METRICS, SUITE, SuiteSpec, content_key, generate_splits
from dataprophet.data.suite.draw import COLOURS, SHAPES
from dataprophet.data.suite.font import LETTERS
from dataprophet.io import contract

NAMES = list(SUITE)
SMALL = {"pretrain": 20, "train": 30, "test": 20}

_cache: dict[tuple, list[dict]] = {}


def draw(name: str, n: int = 200, seed: int = 0) -> list[dict]:
    """``n`` train records of ``name`` (cached: the sampler is deterministic)."""
    key = (name, n, seed)
    if key not in _cache:
        _cache[key] = generate_splits(name, {"train": n}, seed=seed)["train"]
    return _cache[key]


def test_fourteen_datasets_two_per_family_in_paper_order():
    assert len(SUITE) == 14
    assert FAMILIES == ("ocr", "chart", "document", "general_vqa", "spatial", "counting", "map_math")
    per_family = collections.Counter(s.family for s in SUITE.values())
    assert per_family == {f: 2 for f in FAMILIES}
    # ordered by family: each family's pair is adjacent, families in FAMILIES order
    assert [s.family for s in SUITE.values()] == [f for f in FAMILIES for _ in range(2)]
    for name, spec in SUITE.items():
        assert isinstance(spec, SuiteSpec) and spec.name == name
        assert spec.metric in METRICS
        assert spec.mirrors


def test_metric_names_are_the_allowed_ones():
    allowed = {
        "exact_match",
        "relaxed_accuracy",
        "relaxed_numeric",
        "spatial_ratio",
        "anls",
        "vqa_accuracy",
        "multiple_choice",
        "rouge_l",
        "token_f1",
    }
    assert {s.metric for s in SUITE.values()} <= allowed


@pytest.mark.parametrize("name", NAMES)
def test_records_follow_contract_and_round_trip(name, tmp_path):
    splits = generate_splits(name, SMALL, seed=3)
    assert list(splits) == list(SMALL)
    spec = SUITE[name]
    for split, recs in splits.items():
        assert len(recs) == SMALL[split]
        contract.validate_records(recs, f"{name}/{split}")
        for i, r in enumerate(recs):
            assert r["id"] == f"{name}-{split}-{i:06d}"
            assert (r["dataset"], r["family"], r["metric"]) == (name, spec.family, spec.metric)
        path = tmp_path / f"{split}.parquet"
        contract.write_table(recs, path)
        frame = contract.read_table(path, validate=True)
        assert list(frame["id"]) == [r["id"] for r in recs]
        back = frame.to_dict("records")
        for r, b in zip(recs, back):
            assert b["image"] == r["image"]
            assert b["question"] == r["question"]
            assert list(b["answers"]) == r["answers"]
            if r["choices"] is None:
                assert b["choices"] is None
            else:
                assert list(b["choices"]) == r["choices"]


@pytest.mark.parametrize("name", NAMES)
def test_splits_are_disjoint_by_content(name):
    splits = generate_splits(name, SMALL, seed=5)
    keys = {s: {content_key(r["image"], r["question"]) for r in recs} for s, recs in splits.items()}
    for s, recs in splits.items():
        assert len(keys[s]) == len(recs), f"duplicate content inside {s}"
    names = list(keys)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not keys[a] & keys[b], f"{name}: {a} and {b} share samples"


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_seed_sensitive(name):
    a = generate_splits(name, {"train": 8, "test": 4}, seed=11)
    b = generate_splits(name, {"train": 8, "test": 4}, seed=11)
    assert a == b  # bytes included
    c = generate_splits(name, {"train": 8, "test": 4}, seed=12)
    assert [r["image"] for r in a["train"]] != [r["image"] for r in c["train"]]
    # the splits draw from different streams
    assert [r["image"] for r in a["train"][:4]] != [r["image"] for r in a["test"]]


@pytest.mark.parametrize("image_size", [64, 128])
def test_images_decode_to_requested_size(image_size):
    for name in NAMES:
        for r in generate_splits(name, {"test": 3}, seed=0, image_size=image_size)["test"]:
            with Image.open(io.BytesIO(r["image"])) as img:
                assert img.format == "PNG"
                assert img.size == (image_size, image_size)
                assert img.mode == "RGB"


def test_same_content_at_both_sizes():
    """The layout comes from the random stream only, so 128 px is the 64 px sample drawn larger."""
    for name in NAMES:
        small = generate_splits(name, {"test": 5}, seed=2, image_size=64)["test"]
        large = generate_splits(name, {"test": 5}, seed=2, image_size=128)["test"]
        assert [r["question"] for r in small] == [r["question"] for r in large]
        assert [r["answers"] for r in small] == [r["answers"] for r in large]


@pytest.mark.parametrize("name", NAMES)
def test_answers_are_balanced(name):
    recs = draw(name, 600, seed=1)
    counts = collections.Counter(r["answers"][0] for r in recs)
    top, n = counts.most_common(1)[0]
    assert n / len(recs) < 0.4, f"{name}: answer {top!r} is {n / len(recs):.0%} of samples"
    assert len(counts) >= 4


@pytest.mark.parametrize("name", NAMES)
def test_question_templates_vary(name):
    recs = draw(name)
    # strip the variable parts (colours, shapes, digits, options) to get the template skeletons
    words = "|".join(sorted(set(COLOURS) | set(SHAPES), key=len, reverse=True))
    skeletons = {
        re.sub(
            r"\d+",
            "#",
            re.sub(
                rf"\b({words})s?\b",
                "@",
                r["question"].split(" options:")[0].split(" choose from:")[0].split(" choices:")[0],
            ),
        )
        for r in recs
    }
    assert len(skeletons) >= 2, f"{name}: only {skeletons}"
    for r in recs:
        assert r["question"] == r["question"].strip() and r["question"][-1] in "?."
        assert all(len(a.split()) <= 6 for a in r["answers"]), r["answers"]


@pytest.mark.parametrize("family", FAMILIES)
def test_family_pairs_do_not_share_questions(family):
    a, b = [n for n, s in SUITE.items() if s.family == family]
    qa = {r["question"] for r in draw(a)}
    qb = {r["question"] for r in draw(b)}
    assert not qa & qb, f"{a} and {b} share questions: {sorted(qa & qb)[:3]}"


def test_unknown_dataset_name_lists_valid_names():
    with pytest.raises(KeyError) as err:
        generate_splits("no_such_set", {"train": 1}, seed=0)
    assert "ocr_cover" in str(err.value) and "map_regions" in str(err.value)


def test_too_small_content_space_raises_value_error(monkeypatch):
    def constant(rng: random.Random, size: int) -> dict:
        return {
            "image": Image.new("RGB", (size, size), (rng.randint(0, 1), 0, 0)),
            "question": "q?",
            "answers": ["a"],
            "choices": None,
        }

    monkeypatch.setitem(SUITE, "tiny", SuiteSpec("tiny", "ocr", "exact_match", "nothing", constant))
    assert len(generate_splits("tiny", {"train": 2}, seed=0)["train"]) == 2
    with pytest.raises(ValueError, match="tiny"):
        generate_splits("tiny", {"train": 1, "test": 2}, seed=0)


def test_duplicate_content_is_skipped_across_and_within_splits(monkeypatch):
    """With only six possible samples, asking for all six must yield each exactly once."""

    def six(rng: random.Random, size: int) -> dict:
        k = rng.randrange(6)
        return {
            "image": Image.new("RGB", (size, size), (k % 3, 0, 0)),
            "question": f"q{k // 3}?",
            "answers": ["a"],
            "choices": None,
        }

    monkeypatch.setitem(SUITE, "six", SuiteSpec("six", "ocr", "exact_match", "nothing", six))
    splits = generate_splits("six", {"train": 3, "test": 3}, seed=0)
    keys = [content_key(r["image"], r["question"]) for recs in splits.values() for r in recs]
    assert len(keys) == len(set(keys)) == 6


# --- per-dataset answer semantics -------------------------------------------------------------


def test_multiple_choice_answer_is_listed():
    for r in draw("vqa_scene"):
        assert r["choices"] is not None and len(r["choices"]) == 4 == len(set(r["choices"]))
        assert r["answers"][0] in r["choices"]
        assert ", ".join(r["choices"]) in r["question"]
    for name in NAMES:
        if name != "vqa_scene":
            assert all(r["choices"] is None for r in draw(name))


def test_vqa_accuracy_has_ten_annotations_led_by_canonical():
    for r in draw("vqa_object"):
        ans = r["answers"]
        assert len(ans) == 10
        assert ans[0] in COLOURS or ans[0] in SHAPES
        assert ans.count(ans[0]) >= 7


def test_numeric_answers_are_in_range():
    ranges = {
        "count_shapes": (1, 8),
        "count_tally": (0, 8),
        "spatial_open": (1, 9),
        "math_geom": (1, 99),
    }
    for name, (lo, hi) in ranges.items():
        values = [int(r["answers"][0]) for r in draw(name)]
        assert min(values) >= lo and max(values) <= hi, name
    assert "0" in {r["answers"][0] for r in draw("count_tally", 600, seed=1)}


def test_closed_vocabulary_answers():
    regions = {"north west", "north east", "south west", "south east"}
    for r in draw("map_regions"):
        assert r["answers"][0] in regions | set(COLOURS)
    for r in draw("spatial_grid"):
        assert r["answers"][0] in set(COLOURS) | set(SHAPES)
    for r in draw("ocr_cover"):
        a = r["answers"][0]
        assert a in COLOURS or (len(a) == 2 and set(a) <= set(LETTERS))
    for r in draw("chart_bar"):
        assert r["answers"][0] in COLOURS or r["answers"][0] in "123456789"


def test_line_captions_name_the_colour_so_no_caption_dominates():
    captions = collections.Counter(r["answers"][0] for r in draw("chart_line", 600, seed=1))
    assert len(captions) >= 30
    assert max(captions.values()) / 600 < 0.06  # a constant reply matches few references exactly
    assert all(c.split()[0] in COLOURS for c in captions)
