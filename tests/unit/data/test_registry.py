"""The real-dataset registry, its row adapters and the streaming sampler, on made-up
fixtures in each source's schema (tests/fixtures/real): nothing is downloaded."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
import yaml
from load_script import load_script
from PIL import Image

from dataprophet.answer_scoring import SCORERS, score
from dataprophet.data.adapters import (
    ADAPTERS,
    AdapterError,
    RowContext,
    clevr,
    context_for,
    iter_records,
    multi,
    single,
    sources,
)
from dataprophet.data.adapters.common import image_bytes, resolve_images
from dataprophet.data.registry import PAPER_ORDER, RegistryError, load_registry, load_spec, override
from dataprophet.data.sampling import (
    SamplingError,
    read_ids,
    reservoir_sample,
    sample_indices,
    sample_records,
    take_indices,
)
from dataprophet.data.suite import FAMILIES
from dataprophet.io.contract import ContractError, validate_records

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ROOT / "config" / "datasets"
fixtures = load_script(ROOT / "tests" / "fixtures" / "real" / "builders.py")


@pytest.fixture(scope="module")
def registry():
    return load_registry(REGISTRY)


def fixture_spec(registry, name, tmp_path):
    sources_, expected = fixtures.build(name, tmp_path / name)
    return override(registry[name], **sources_), expected


# --------------------------------------------------------------------------- registry


def test_registry_has_the_14_paper_datasets(registry):
    assert sorted(registry) == sorted(PAPER_ORDER)
    for spec in registry.values():
        assert spec.family in FAMILIES and spec.metric in SCORERS and spec.adapter in ADAPTERS
        assert spec.train and spec.test
        assert spec.config_file.endswith(f"{spec.name}.yaml")
    per_family = {f: sum(s.family == f for s in registry.values()) for f in FAMILIES}
    assert set(per_family.values()) == {2}, per_family


def test_metric_choices(registry):
    chosen = {n: s.metric for n, s in registry.items()}
    assert chosen == {
        "ocr_vqa": "exact_match",
        "screenqa": "rouge_l",
        "chartqa": "relaxed_accuracy",
        "chart2text": "rouge_l",
        "docvqa": "anls",
        "finance_qa": "anls",
        "a_okvqa": "multiple_choice",
        "vc_gvqa": "token_f1",
        "open_spatial": "token_f1",
        "clevr_relation": "exact_match",
        "clevr_counting": "exact_match",
        "tallyqa": "exact_match",
        "geomverse": "relaxed_numeric",
        "mapqa": "exact_match",
    }


def test_every_registry_file_documents_its_metric():
    for path in REGISTRY.glob("*.yaml"):
        lines = path.read_text().splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("metric:"))
        assert lines[at - 1].startswith("#"), f"{path.name}: the metric choice needs a comment above it"


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_adapter_turns_fixture_into_contract_records(registry, tmp_path, name):
    spec, expected = fixture_spec(registry, name, tmp_path)
    for role in ("train", "test"):
        records = list(iter_records(spec, role))
        validate_records(records, f"{name}/{role}")
        assert len(records) == expected[role], (name, role)
        for rec in records:
            assert re.fullmatch(rf"{name}-{role}-[^ ]+-\d+", rec["id"])
            assert (rec["dataset"], rec["family"], rec["metric"]) == (name, spec.family, spec.metric)
            assert rec["answers"][0].strip()
        again = [r["id"] for r in iter_records(spec, role)]
        assert again == [r["id"] for r in records], "ids must be stable across runs"


def test_fixtures_are_small(registry, tmp_path):
    for name in PAPER_ORDER:
        fixtures.build(name, tmp_path / name)
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert total < 200_000
    committed = sum(p.stat().st_size for p in (ROOT / "tests/fixtures/real").rglob("*") if p.is_file())
    assert committed < 200_000


# ------------------------------------------------------------------------ adapters


def test_ocr_vqa_flattens_every_pair(registry, tmp_path):
    spec, _ = fixture_spec(registry, "ocr_vqa", tmp_path)
    records = list(iter_records(spec, "train"))
    assert [r["id"] for r in records] == [f"ocr_vqa-train-0001-{i}" for i in range(3)] + [
        f"ocr_vqa-train-0002-{i}" for i in range(2)
    ]
    assert records[1]["question"] == "What is the title of this book?" and records[1]["answers"] == ["Tiny Tales"]
    # the JPEG bytes arrive untouched (no decode / re-encode)
    assert records[0]["image"] == fixtures.image(1, "JPEG")


def test_ocr_vqa_unequal_lists_fail(registry):
    ctx = context_for(registry["ocr_vqa"], "train", registry["ocr_vqa"].train[0])
    with pytest.raises(AdapterError, match="2 questions but 1 answers"):
        multi.ocr_vqa({"image": fixtures.image(1), "questions": ["a?", "b?"], "answers": ["x"]}, 0, ctx)


def test_a_okvqa_target_is_the_correct_choice_text(registry, tmp_path):
    spec, _ = fixture_spec(registry, "a_okvqa", tmp_path)
    first = next(iter_records(spec, "train"))
    assert first["answers"] == ["surf"]  # choices[1]; direct answers ("ride wave") stay out
    assert first["choices"] == ["swim", "surf", "sleep", "eat"]
    assert "B. surf" in first["question"]
    assert score("multiple_choice", "B", first["answers"], first["choices"]) == 1.0
    kept = override(spec, options={"keep_direct_answers": True})
    assert next(iter_records(kept, "train"))["answers"] == ["surf", "ride wave"]


def test_a_okvqa_direct_answers_stored_as_text_are_read_as_a_list(registry):
    """Hub exports can store the direct answers as the text of a Python list."""
    spec = override(registry["a_okvqa"], options={"keep_direct_answers": True})
    ctx = context_for(spec, "train", spec.train[0])
    row = {
        "image": fixtures.image(1),
        "question": "What is he doing?",
        "choices": ["swim", "surf", "sleep", "eat"],
        "correct_choice_idx": 1,
        "direct_answers": "['surf', 'ride wave', 'surf']",
        "question_id": "q1",
    }
    assert single.a_okvqa(row, 0, ctx)[0]["answers"] == ["surf", "ride wave"]
    with pytest.raises(AdapterError, match="direct_answers looks like a list but does not parse"):
        single.a_okvqa({**row, "direct_answers": "['surf', "}, 0, ctx)


def test_screenqa_chart_and_doc_answers(registry, tmp_path):
    screen = list(iter_records(fixture_spec(registry, "screenqa", tmp_path)[0], "train"))
    assert screen[0]["answers"] == ["The app name is Foo.", "Foo"] and screen[1]["answers"] == ["<no answer>"]
    chart = list(iter_records(fixture_spec(registry, "chart2text", tmp_path)[0], "train"))
    assert {r["question"] for r in chart} == {"Describe the chart."}
    assert [r["id"].split("-")[2] for r in chart] == ["statista.0", "statista.1", "pew.0"]
    doc = next(iter_records(fixture_spec(registry, "docvqa", tmp_path)[0], "test"))
    assert doc["id"] == "docvqa-test-100-0" and len(doc["answers"]) == 2


def test_finance_qa_parses_qa_pairs_as_stored(registry, tmp_path):
    records = list(iter_records(fixture_spec(registry, "finance_qa", tmp_path)[0], "train"))
    # row 1 holds the text of a Python list (single quotes), row 2 JSON text
    assert [r["answers"][0] for r in records] == ["$1.2 million", "2021", "Acme Corp", "5,000", "USD"]
    assert records[2]["question"] == "What is the company's name?"
    assert [r["id"].rsplit("-", 1)[-1] for r in records[:3]] == ["0", "1", "2"]
    ctx = context_for(registry["finance_qa"], "train", registry["finance_qa"].train[0])
    with pytest.raises(
        AdapterError,
        match=r"row 0: fields\.qa in .*finance_qa\.yaml holds text that is neither JSON .* nor a Python literal",
    ):
        multi.qa_list({"image": fixtures.image(1), "qa_pairs": "[{oops"}, 0, ctx)
    # a literal is read, never run: a call is refused, not executed
    with pytest.raises(AdapterError, match="nor a Python literal"):
        multi.qa_list({"image": fixtures.image(1), "qa_pairs": "__import__('os').getcwd()"}, 0, ctx)


def test_cauldron_prompt_stripping_and_answer_cleaning():
    pattern = multi.DEFAULT_PROMPT_REGEX
    assert multi.strip_prompt("How many dogs?\nGive a very brief answer.", pattern) == "How many dogs?"
    assert (
        multi.strip_prompt("How many dogs?\nAnswer the question using a single word or phrase.", pattern)
        == "How many dogs?"
    )
    # kept: a question on the last line, an unrelated instruction, a single line, no pattern
    assert multi.strip_prompt("Look at the map.\nIs it short?", pattern).endswith("Is it short?")
    assert multi.strip_prompt("Side AB is 6.\nCompute the area. Round to two decimals.", pattern).endswith("decimals.")
    assert multi.strip_prompt("Answer briefly.", pattern) == "Answer briefly."
    assert multi.strip_prompt("Q?\nAnswer briefly.", None) == "Q?\nAnswer briefly."
    assert multi.clean_answer("Frisbee.") == "frisbee"
    assert multi.clean_answer("2.") == "2" and multi.clean_answer("3.5") == "3.5"
    assert multi.clean_answer("U.S.") == "U.S."  # an abbreviation keeps its period
    long = "The area of ABCD is 6 * 4 = 24. So the answer is 24."
    assert multi.clean_answer(long) == long


def test_tallyqa_geomverse_mapqa(registry, tmp_path):
    tally = list(iter_records(fixture_spec(registry, "tallyqa", tmp_path)[0], "train"))
    assert [(r["question"], r["answers"]) for r in tally][:2] == [
        ("How many dogs are there?", ["2"]),
        ("How many cats are on the sofa?", ["0"]),
    ]
    tally_test = list(iter_records(fixture_spec(registry, "tallyqa", tmp_path / "t")[0], "test"))
    assert [r["answers"] for r in tally_test] == [["3"], ["1"]]  # ints become strings
    geom = list(iter_records(fixture_spec(registry, "geomverse", tmp_path)[0], "train"))
    assert [r["answers"] for r in geom] == [["24"], ["15.7"]]
    assert score("relaxed_numeric", "15.9", geom[1]["answers"]) == 1.0
    mapqa = list(iter_records(fixture_spec(registry, "mapqa", tmp_path)[0], "test"))
    assert mapqa[0]["answers"] == ["Iowa, Utah", "Utah, Iowa"]
    assert score("exact_match", "utah, iowa", mapqa[0]["answers"]) == 1.0


def test_unordered_answers_cap():
    assert single.unordered_answers(["b", "a", "c"])[0] == "a, b, c"
    assert len(single.unordered_answers(["b", "a", "c"])) == 6
    assert single.unordered_answers(list("edcba")) == ["a, b, c, d, e"]
    assert single.unordered_answers("Texas") == ["Texas"]


def test_open_spatial_turn_pairs_and_regions(registry, tmp_path):
    spec, _ = fixture_spec(registry, "open_spatial", tmp_path)
    records = list(iter_records(spec, "train"))
    assert [r["question"] for r in records] == [
        "Is Region [0] taller than Region [1]?",
        "How far apart are Region [0] and Region [1]?",
        "How wide is Region [0]?",
    ]
    assert multi._clean_turn("Is Region [0] <mask> <depth> tall?") == "Is Region [0] tall?"
    # boxes drawn: the image changed but is still a readable 32x32 image
    raw = (tmp_path / "open_spatial" / "images" / "a1b2.jpg").read_bytes()
    assert records[0]["image"] != raw
    assert Image.open(io.BytesIO(records[0]["image"])).size == (32, 32)
    plain = next(iter_records(override(spec, options={"draw_regions": False}), "train"))
    assert plain["image"] == raw
    # The bench (test): the image named inside the text of a mapping, the boxes as text.
    (bench,) = list(iter_records(spec, "test"))
    assert bench["question"] == "How wide is Region [0]?" and bench["answers"] == ["It is 40 centimeters wide."]
    raw = (tmp_path / "open_spatial" / "bench" / "images" / "sunrgbd" / "b1.jpg").read_bytes()
    assert bench["image"] != raw and Image.open(io.BytesIO(bench["image"])).size == (32, 32)


def test_a_local_source_may_be_a_folder_of_parquet_shards_read_in_name_order(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataprophet.data.adapters.sources import SourceError, iter_local

    folder = tmp_path / "data"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist([{"id": "c"}]), folder / "train-00001-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist([{"id": "a"}, {"id": "b"}]), folder / "train-00000-of-00002.parquet")
    (folder / "README.md").write_text("not rows")
    assert [r["id"] for r in iter_local(folder)] == ["a", "b", "c"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match=r"empty is a folder without \.parquet files"):
        iter_local(empty)


def test_a_dotted_field_reads_inside_a_mapping_and_names_the_key_when_missing(registry, tmp_path):
    spec, _ = fixture_spec(registry, "open_spatial", tmp_path)
    wrong = override(spec, test={"fields": {"image": "image_info.path"}})
    with pytest.raises(AdapterError, match=r"column 'image_info.path' \(test.fields.image in .*open_spatial"):
        list(iter_records(wrong, "test"))


def _node(fn, *values):
    return {"function": fn, "inputs": [], "value_inputs": list(values)}


@pytest.mark.parametrize(
    "program, expected",
    [
        ([_node("scene"), _node("filter_color", "red"), _node("count")], {"counting"}),
        ([_node("scene"), _node("unique"), _node("relate", "left"), _node("count")], {"counting"}),
        ([_node("scene"), _node("unique"), _node("relate", "front"), _node("exist")], {"relation"}),
        (
            [
                _node("scene"),
                _node("count"),
                _node("scene"),
                _node("relate", "behind"),
                _node("count"),
                _node("greater_than"),
            ],
            {"relation"},
        ),
        ([_node("scene"), _node("count"), _node("scene"), _node("count"), _node("equal_integer")], set()),
        ([_node("scene"), _node("unique"), _node("same_color"), _node("count")], {"counting"}),
        ([_node("scene"), _node("unique"), _node("query_shape")], set()),
        (["scene", "filter_size[large]", "unique", "relate[right]", "count"], {"counting"}),  # old string format
        (["scene", "unique", "relate[right]", "query_color"], {"relation"}),
        (json.dumps([_node("scene"), _node("relate", "left"), _node("exist")]), {"relation"}),
    ],
)
def test_clevr_subsets(program, expected):
    assert clevr.subset(program) == expected


def test_clevr_overlap_when_not_disjoint():
    both = [_node("scene"), _node("unique"), _node("relate", "left"), _node("count")]
    assert clevr.subset(both, disjoint=False) == {"counting", "relation"}
    assert clevr.classify(both) == (True, True)


def test_clevr_subsets_are_disjoint_on_fixture(registry, tmp_path):
    counting = [r["question"] for r in iter_records(fixture_spec(registry, "clevr_counting", tmp_path)[0], "train")]
    relation = [
        r["question"] for r in iter_records(fixture_spec(registry, "clevr_relation", tmp_path / "r")[0], "train")
    ]
    assert counting == ["How many things are left of the cube?", "How many red things are there?"]
    assert relation == ["Is there a sphere left of the cube?", "Are there more cubes than things left of the cube?"]
    shared = override(
        registry["clevr_relation"], **fixtures.build("clevr_relation", tmp_path / "s")[0], options={"disjoint": False}
    )
    assert len(list(iter_records(shared, "train"))) == 3


def test_image_inputs(tmp_path):
    ctx = RowContext(
        "d", "ocr", "exact_match", "train", "config/datasets/d.yaml", {"image": "image"}, image_root=str(tmp_path)
    )
    png = fixtures.image(1)
    (tmp_path / "a.png").write_bytes(png)
    assert image_bytes(png, None, "", ctx) == png
    assert image_bytes({"bytes": png, "path": None}, None, "", ctx) == png
    assert image_bytes({"bytes": None, "path": "a.png"}, str(tmp_path), "", ctx) == png
    assert image_bytes("a", str(tmp_path), ".png", ctx) == png
    assert image_bytes(["a.png"], str(tmp_path), "", ctx) == png
    pil = Image.new("CMYK", (8, 8))
    encoded = image_bytes(pil, None, "", ctx)
    assert encoded[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(AdapterError, match="image file .*missing.png"):
        image_bytes("missing.png", str(tmp_path), "", ctx)


# -------------------------------------------------------------------------- errors


def test_wrong_column_names_the_dataset_field_and_config(registry, tmp_path):
    spec, _ = fixture_spec(registry, "chartqa", tmp_path)
    bad = override(spec, fields={"question": "question"})
    with pytest.raises(AdapterError) as err:
        list(iter_records(bad, "train"))
    message = str(err.value)
    assert message.startswith("chartqa: column 'question' (fields.question in ")
    assert "chartqa.yaml" in message and "not found; columns are [" in message and "'query'" in message


def test_wrong_nested_key_and_source_level_field(registry, tmp_path):
    spec, _ = fixture_spec(registry, "tallyqa", tmp_path)
    bad = override(spec, test={"fields": {"answers": "count"}})
    with pytest.raises(
        AdapterError,
        match=r"tallyqa: key 'count' \(test.fields.answers in .*tallyqa.yaml.*\) "
        r"not found in a 'qa' item; keys are \['answer', 'is_simple', 'question'\]",
    ):
        list(iter_records(bad, "test"))


def _write(folder: Path, name: str, **changes) -> Path:
    raw = yaml.safe_load((REGISTRY / "chartqa.yaml").read_text())
    raw.update(name=name, **changes)
    for key in [k for k, v in changes.items() if v is None]:
        raw.pop(key)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "changes, pattern",
    [
        ({"adapter": "chart_qa"}, r"key 'adapter': unknown adapter 'chart_qa'"),
        ({"metric": "accuracy"}, r"key 'metric': unknown metric 'accuracy'"),
        ({"family": "charts"}, r"key 'family': unknown family 'charts'"),
        ({"colour": "red"}, r"key 'colour': unknown key"),
        ({"test": None}, r"key 'test': missing source"),
        ({"train": {"kind": "hf", "split": "train"}}, r"key 'train.id': missing"),
        ({"train": {"kind": "ftp", "path": "x"}}, r"key 'train.kind': unknown source kind 'ftp'"),
        ({"train": {"kind": "local", "path": "x.json", "pth": "y"}}, r"key 'train.pth': unknown key"),
        ({"fields": {"querry": "q"}}, r"key 'fields.querry': adapter 'chartqa' has no field 'querry'"),
        ({"options": {"answer_key": "x"}}, r"key 'options.answer_key': adapter 'chartqa' has no option"),
        (
            {"test": {"kind": "hf", "id": "x", "split": "test", "adapter": "nope"}},
            r"key 'test.adapter': unknown adapter",
        ),
    ],
)
def test_bad_registry_file_names_file_and_key(tmp_path, changes, pattern):
    path = _write(tmp_path, "broken", **changes)
    with pytest.raises(RegistryError, match=rf"^{re.escape(str(path))}: {pattern}"):
        load_spec(path)
    with pytest.raises(RegistryError, match=re.escape(str(path))):
        load_registry(tmp_path)


def test_name_must_match_file(tmp_path):
    path = _write(tmp_path, "good")
    path.rename(tmp_path / "other.yaml")
    with pytest.raises(RegistryError, match=r"other.yaml: key 'name': 'good' differs from the file name"):
        load_spec(tmp_path / "other.yaml")


def test_override_file_and_code_override(registry, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "chartqa": {"metric": "exact_match", "test": {"kind": "local", "path": "/data/chartqa_test.parquet"}},
                "clevr_counting": {"train": {"image_root": "/data/clevr/train"}},
            }
        )
    )
    merged = load_registry(REGISTRY, overrides=path)
    chart = merged["chartqa"]
    assert chart.metric == "exact_match" and chart.test[0].kind == "local" and chart.test[0].id is None
    assert chart.fields == registry["chartqa"].fields and chart.train == registry["chartqa"].train
    assert "mine.yaml" in chart.config_file
    clevr_spec = merged["clevr_counting"]
    assert clevr_spec.train[0].image_root == "/data/clevr/train"
    assert clevr_spec.train[0].path == registry["clevr_counting"].train[0].path
    # a hub source swapped for a local file keeps its source-level adapter and fields
    tally = override(registry["tallyqa"], test={"kind": "local", "path": "t.parquet"})
    assert tally.test[0].adapter == "qa_list" and tally.test[0].fields == registry["tallyqa"].test[0].fields
    path.write_text(yaml.safe_dump({"chart_qa": {"metric": "anls"}}))
    with pytest.raises(RegistryError, match=r"mine.yaml: key 'chart_qa': unknown dataset"):
        load_registry(REGISTRY, overrides=path)
    with pytest.raises(RegistryError, match=r"key 'metric': unknown metric 'meteor'"):
        override(registry["chartqa"], metric="meteor")
    assert registry["chartqa"].metric == "relaxed_accuracy"  # the original is untouched


def test_bad_record_is_caught_by_the_contract(registry):
    ctx = context_for(registry["chartqa"], "train", registry["chartqa"].train[0])
    recs = single.qa({"image": b"not an image", "query": "q?", "label": ["1"]}, 0, ctx)
    # images are read after sampling (resolve_images), then the contract checks them
    with pytest.raises(ContractError, match="unreadable image"):
        validate_records(resolve_images(recs), "chartqa")


# ------------------------------------------------------------------------- sources


def test_json_streaming_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "_CHUNK", 7)  # force values to straddle chunk boundaries
    rows = [{"q": f"question {i}", "n": 12345 * i, "nested": {"a": [1, 2, {"b": "]"}]}} for i in range(20)]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    (tmp_path / "k.json").write_text(json.dumps({"info": {"x": [1, 2]}, "questions": rows}))
    (tmp_path / "l.json").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    (tmp_path / "n.json").write_text("[1, 22222, 3]")  # the chunk ends inside 22222
    assert list(sources.iter_local(tmp_path / "a.json")) == rows
    assert list(sources.iter_local(tmp_path / "k.json", "questions")) == rows
    assert list(sources.iter_local(tmp_path / "l.json")) == rows
    assert list(sources.iter_local(tmp_path / "l.jsonl")) == rows
    assert list(sources.iter_local(tmp_path / "n.json")) == [1, 22222, 3]
    with pytest.raises(sources.SourceError, match="'answers' .*records_key.* not found"):
        list(sources.iter_local(tmp_path / "k.json", "answers"))
    with pytest.raises(sources.SourceError, match="does not exist"):
        sources.iter_local(tmp_path / "none.json")


# ------------------------------------------------------------------------ sampling


def _rows(count: int, payload: int = 0):
    for i in range(count):
        yield {"id": f"row-{i}", "blob": bytes(payload) if payload else b""}


def test_reservoir_memory_stays_small():
    tracemalloc.start()
    try:
        sample = reservoir_sample(_rows(100_000, payload=1000), 50, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(sample) == 50
    assert peak < 5_000_000, f"peak {peak} bytes: rows are being held (all rows would be ~100 MB)"
    ids = [int(r["id"].split("-")[1]) for r in sample]
    assert ids == sorted(ids) and max(ids) > 50_000  # stream order kept, the tail is reachable


def test_same_seed_same_ids_different_seed_different_ids():
    first = [r["id"] for r in reservoir_sample(_rows(100_000), 100, seed=1)]
    assert first == [r["id"] for r in reservoir_sample(_rows(100_000), 100, seed=1)]
    assert first != [r["id"] for r in reservoir_sample(_rows(100_000), 100, seed=2)]
    assert len(set(first)) == 100
    assert reservoir_sample(_rows(10), 100, seed=0) == list(_rows(10))
    assert reservoir_sample(_rows(10), 0, seed=0) == []


def test_reservoir_is_uniform():
    counts = [0] * 20
    for seed in range(2000):
        for item in reservoir_sample(range(20), 5, seed):
            counts[item] += 1
    assert all(400 < c < 600 for c in counts), counts  # expected 500 each


def test_two_pass_index_sampling():
    indices = sample_indices(100_000, 100, seed=3)
    assert indices == sorted(set(indices)) and len(indices) == 100
    taken = take_indices(_rows(100_000), indices)
    assert [r["id"] for r in taken] == [f"row-{i}" for i in indices]
    assert [r["id"] for r in sample_records(_rows(100_000), 100, 3, length=100_000)] == [r["id"] for r in taken]
    with pytest.raises(SamplingError, match="fewer than"):
        take_indices(_rows(10), [3, 50])


def test_ids_file_is_written_and_honoured(tmp_path):
    ids_file = tmp_path / "ids" / "train.json"
    first = sample_records(_rows(100_000), 100, seed=5, ids_file=ids_file)
    assert read_ids(ids_file) == [r["id"] for r in first]
    again = sample_records(_rows(100_000), 100, seed=5, ids_file=ids_file)
    assert [r["id"] for r in again] == [r["id"] for r in first]
    # a hand-written list of ids is taken exactly, in its order, whatever the seed
    ids_file.write_text(json.dumps(["row-7", "row-99999", "row-3"]))
    picked = sample_records(_rows(100_000), 3, seed=123, ids_file=ids_file)
    assert [r["id"] for r in picked] == ["row-7", "row-99999", "row-3"]
    ids_file.write_text(json.dumps(["row-7", "row-missing"]))
    with pytest.raises(SamplingError, match="1 id\\(s\\) not found"):
        sample_records(_rows(1000), 2, seed=0, ids_file=ids_file)
    write = tmp_path / "w.json"
    sample_records(_rows(1000), 10, seed=0, ids_file=write)
    with pytest.raises(SamplingError, match="seed=0, but seed=1"):
        sample_records(_rows(1000), 10, seed=1, ids_file=write)


def test_sample_split_on_fixture(registry, tmp_path):
    from dataprophet.data.sampling import sample_split

    spec, _ = fixture_spec(registry, "ocr_vqa", tmp_path)
    ids_file = tmp_path / "ocr_ids.json"
    picked = sample_split(spec, "train", 3, seed=0, ids_file=ids_file)
    validate_records(picked, "sample")
    assert [r["id"] for r in sample_split(spec, "train", 3, 0, ids_file)] == [r["id"] for r in picked]


def test_sampling_reads_images_only_for_kept_records(registry, tmp_path, monkeypatch):
    """Lazy images: drawing 5 of 200 rows decodes 5 images, not 200 (Open-Spatial has 8.7M)."""
    from dataprophet.data.adapters import common
    from dataprophet.data.sampling import sample_split

    rows = [{"image": fixtures.hf_image(i % 7), "query": f"What is bar {i}?", "label": [str(i)]} for i in range(200)]
    path = tmp_path / "many.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    spec = override(registry["chartqa"], train={"kind": "local", "path": str(path)})
    calls = []
    original = common.image_bytes
    monkeypatch.setattr(common, "image_bytes", lambda *a, **k: calls.append(1) or original(*a, **k))
    picked = sample_split(spec, "train", 5, seed=0)
    assert len(picked) == 5 and len(calls) == 5
    validate_records(picked, "lazy sample")


def test_wrong_hub_id_names_dataset_key_and_file(registry):
    """A hub id that cannot be read (here: offline, as on these machines) fails at the data
    stage naming the dataset, the registry key and the file to fix."""
    from dataprophet.data.adapters import SourceError

    spec = override(registry["chartqa"], train={"id": "no-such-org/no-such-dataset"})
    with pytest.raises(
        SourceError,
        match=r"chartqa: cannot read source train.id 'no-such-org/no-such-dataset' "
        r"\(split 'train'\) in .*chartqa.yaml",
    ):
        next(iter_records(spec, "train"))


def test_missing_local_file_names_dataset_key_and_file(registry, tmp_path):
    from dataprophet.data.adapters import SourceError

    spec = override(registry["chartqa"], test={"kind": "local", "path": str(tmp_path / "gone.parquet")})
    with pytest.raises(SourceError, match=r"chartqa: .*test.path '.*gone.parquet' in .*chartqa.yaml"):
        next(iter_records(spec, "test"))


def test_visual_cot_benchmark_rows_become_plain_questions_with_sentence_answers(registry, tmp_path):
    """The benchmark file's real schema: no question / answer keys; the first human turn holds
    the question and a box request, the last gpt turn the answer; images are cot/<dataset>/..."""
    spec, _ = fixture_spec(registry, "vc_gvqa", tmp_path)
    records = list(iter_records(spec, "test"))
    assert [r["question"] for r in records] == ["What is behind the bench 0?"] * 2
    assert all(r["answers"] == ["Foliage is behind the bench."] for r in records)
    assert [r["id"] for r in records] == ["vc_gvqa-test-flickr30k.2-0", "vc_gvqa-test-visual7w.2-0"]
    train = list(iter_records(spec, "train"))  # metadata rows: image file names per sub-dataset
    assert len(train) == 3 and train[2]["image"] == (tmp_path / "vc_gvqa/images/cot/v7w/v7w_5.jpg").read_bytes()


def test_a_local_source_may_be_a_glob_of_one_splits_shards(tmp_path, registry):
    """The offline alternative to a hub stream: the repo downloaded, one split's shards named."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataprophet.data.adapters.sources import SourceError, iter_local
    from dataprophet.data.check_data import local_inputs

    data = tmp_path / "repo" / "data"
    data.mkdir(parents=True)
    for split, ids in (("train", ["a", "b"]), ("test", ["z"])):
        pq.write_table(pa.Table.from_pylist([{"id": i} for i in ids]), data / f"{split}-00000-of-00001.parquet")
    assert [r["id"] for r in iter_local(data / "train-*.parquet")] == ["a", "b"]
    with pytest.raises(SourceError, match="matches no file"):
        iter_local(data / "validation-*.parquet")
    spec = override(registry["chartqa"], train={"kind": "local", "path": str(data / "train-*.parquet")})
    (item,) = local_inputs(spec)
    assert item.what == "files" and item.exists()
    spec = override(registry["chartqa"], train={"kind": "local", "path": str(data / "val-*.parquet")})
    assert not local_inputs(spec)[0].exists()


def test_every_command_that_reads_the_hub_runs_online():
    """prepare and extend stream hub datasets and fetch-base downloads checkpoints: none of them
    may get HF_HUB_OFFLINE=1, which every other command gets."""
    import importlib

    from dataprophet.cli import COMMANDS, NEEDS_NETWORK

    hub = ("iter_records", "iter_hf", "snapshot_download", "load_dataset(")

    def source(module: str) -> str:
        return Path(importlib.import_module(module).__file__).read_text()

    def reads(module: str) -> bool:  # the module, or a dataprophet module it imports from
        text = source(module)
        used = re.findall(r"^\s*from (dataprophet[\w.]*) import", text, re.M)
        return any(h in text for h in hub) or any(any(h in source(m) for h in hub) for m in used)

    reads_hub = {name for name, (module, _) in COMMANDS.items() if reads(module)}
    assert {"prepare", "extend", "fetch-base"} <= reads_hub
    assert reads_hub <= NEEDS_NETWORK, reads_hub - NEEDS_NETWORK
