"""Every supported image-text-to-text family through the one feature path, at tiny size.

Run: ``python -m pytest tests/unit/model/test_proxies.py -q``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parents[2]))
from tiny_vlms import BUILDERS  # noqa: E402

from dataprophet.data.suite import generate_splits  # noqa: E402
from dataprophet.io.contract import decode_image  # noqa: E402
from dataprophet.model import vlms  # noqa: E402
from dataprophet.model.encoding import IGNORE_INDEX, TrainCollator, encode_example  # noqa: E402
from dataprophet.prophet.factors import FeatureSet  # noqa: E402
from dataprophet.prophet.features import extract  # noqa: E402

FAMILIES = list(BUILDERS)


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame(generate_splits("count_shapes", {"train": 6}, seed=5)["train"])


@pytest.fixture(scope="module")
def built():
    cache = {}

    def get(name):
        if name not in cache:
            model, processor = BUILDERS[name]()
            cache[name] = (model.eval(), processor)
        return cache[name]

    return get


def test_a_tokenizer_without_a_pad_token_pads_with_eos(built, frame):
    import copy

    model, processor = built("llava")
    before = extract(model, processor, frame.head(4), batch_size=4)
    no_pad = copy.deepcopy(processor)
    no_pad.tokenizer.pad_token = None
    assert no_pad.tokenizer.pad_token_id is None and vlms.pad_id(no_pad.tokenizer) == no_pad.tokenizer.eos_token_id
    after = extract(model, no_pad, frame.head(4), batch_size=4)
    for key in ("q", "a", "i", "nll", "nll_eot"):
        np.testing.assert_allclose(before[key], after[key], atol=1e-5, rtol=1e-5)


def test_every_supported_family_has_a_tiny_model():
    assert set(BUILDERS) == set(vlms.FAMILIES)


def test_an_assistant_turn_renders_under_a_template_that_insists_on_alternating_roles(built):
    _, processor = built("gemma3")
    with pytest.raises(Exception, match="alternate"):
        processor.apply_chat_template([{"role": "assistant", "content": [{"type": "text", "text": "x"}]}])
    assert vlms.render_turn(processor, "assistant", "x").endswith("<start_of_turn>model\nx<end_of_turn>\n")


@pytest.mark.parametrize("name", FAMILIES)
def test_factors_are_computed_and_do_not_depend_on_the_batch(built, frame, name):
    model, processor = built(name)
    assert model.config.model_type == name
    whole = extract(model, processor, frame, batch_size=6)
    features = FeatureSet(**whole).validate(name)
    width = model.config.get_text_config().hidden_size
    assert features.q.shape == features.i.shape == features.a.shape == (len(frame), width)
    for key in ("q", "a", "qa", "i"):
        np.testing.assert_allclose(np.linalg.norm(whole[key], axis=1), 1.0, atol=1e-5)
    assert np.isfinite(whole["nll"]).all() and (whole["nll"] > 0).all()
    # different images give different image embeddings
    assert np.abs(whole["i"][0] - whole["i"][1]).max() > 1e-4
    split = extract(model, processor, frame, batch_size=4)  # padding across rows and images
    for key in ("q", "a", "qa", "i", "nll", "nll_eot"):
        np.testing.assert_allclose(whole[key], split[key], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", FAMILIES)
def test_ppl_is_over_the_answer_tokens_only(built, frame, name):
    """The labelled positions are the answer's tokens plus the token the family's chat
    template closes an assistant turn with; nll_eot is the model's own loss on them, nll the
    mean over the answer's own tokens."""
    model, processor = built(name)
    row = frame.iloc[0]
    answer = row["answers"][0]
    arrays = extract(model, processor, frame.head(1), batch_size=1)
    example = encode_example(processor, decode_image(row["image"]), row["question"], answer)
    batch = TrainCollator(processor.tokenizer.pad_token_id)([example])
    labels = batch["labels"][0]
    labelled = labels[labels != IGNORE_INDEX].tolist()
    tokenizer = processor.tokenizer
    assert tokenizer.decode(labelled[:-1]) == answer
    closing = vlms.render_turn(processor, "assistant", "\u2063").split("\u2063", 1)[1]
    assert closing.strip().startswith(tokenizer.convert_ids_to_tokens(labelled[-1]))
    inputs = vlms.forward_inputs(model, batch) | {"labels": batch["labels"]}
    with torch.no_grad():
        out = model(**inputs)
    assert arrays["nll_eot"][0] == pytest.approx(out.loss.item(), rel=1e-4)
    positions = (labels[1:] != IGNORE_INDEX).nonzero().flatten()[:-1]
    own = F.cross_entropy(out.logits[0, :-1][positions].float(), labels[1:][positions], reduction="none")
    assert arrays["nll"][0] == pytest.approx(own.mean().item(), rel=1e-4)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_saved_and_reloaded_model_gives_the_same_numbers(built, frame, name, tmp_path):
    from dataprophet.model.modeling import load_base, load_processor, save_model_dir

    model, processor = built(name)
    save_model_dir(model, processor, tmp_path)  # as every stage saves a model
    assert list(tmp_path.glob("*.safetensors")) and not list(tmp_path.glob("*.bin"))
    before = extract(model, processor, frame, batch_size=3)
    reloaded = load_processor(tmp_path)
    after = extract(load_base(tmp_path).eval(), reloaded, frame, batch_size=3)
    for key in ("q", "a", "qa", "i", "nll", "nll_eot"):
        np.testing.assert_allclose(before[key], after[key], atol=1e-5, rtol=1e-5)


def test_an_unsupported_model_type_is_named_in_the_error(tmp_path):
    from transformers import PaliGemmaConfig

    from dataprophet.model.modeling import load_model, load_processor

    PaliGemmaConfig().save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"model type 'paligemma' is not supported.*gemma3"):
        load_processor(tmp_path)
    with pytest.raises(ValueError, match=r"'paligemma' is not supported"):
        load_model(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "paligemma"


# --- the InternVL numbers are those of the feature path before the families were added ---


@torch.no_grad()
def _reference_images(model, processor, images):
    """Image embeddings as computed before this path was generalised (InternVL only)."""
    pixels = processor.image_processor(images=images, return_tensors="pt")
    tiles = pixels["num_patches"].tolist() if "num_patches" in pixels else [1] * len(images)
    tokens = model.model.get_image_features(pixel_values=pixels["pixel_values"]).pooler_output
    per_tile = tokens.float().mean(1)
    per_image = torch.stack([t.mean(0) for t in torch.split(per_tile, tiles)])
    return F.normalize(per_image, dim=-1).numpy()


@torch.no_grad()
def _reference_nll(model, processor, frame):
    """Answer NLL with the end-of-turn token as computed before (InternVL only): the whole
    model's loss over the answer-only labels of each row."""
    from dataprophet.data.instructions import prompt_texts

    out = []
    for (_, row), question in zip(frame.iterrows(), prompt_texts(frame)):
        example = encode_example(processor, decode_image(row["image"]), question, row["answers"][0])
        batch = TrainCollator(processor.tokenizer.pad_token_id)([example])
        out.append(model(**batch).loss.item())
    return np.asarray(out)


def test_internvl_numbers_are_unchanged(built, frame):
    model, processor = built("internvl")
    arrays = extract(model, processor, frame, batch_size=4)
    images = [decode_image(x) for x in frame["image"]]
    np.testing.assert_allclose(arrays["i"], _reference_images(model, processor, images), atol=1e-6)
    np.testing.assert_allclose(arrays["nll_eot"], _reference_nll(model, processor, frame), atol=1e-5, rtol=1e-6)


# --- a proxy's M judged against the same ground truth, with its own cost ---


def test_the_predictor_table_shows_each_proxy_beside_the_base(tmp_path):
    from dataprophet.analysis.predictors import predictors
    from dataprophet.settings import PredictorsSettings

    names = [f"d{k}" for k in range(5)]
    rng = np.random.default_rng(0)
    truth = pd.DataFrame(rng.normal(size=(5, 5)), index=names, columns=names)
    truth.to_csv(tmp_path / "delta.csv")
    truth.to_csv(tmp_path / "metric.csv")  # the base ranks perfectly
    (-truth).to_csv(tmp_path / "icons.csv")
    proxy_metric = {}
    for proxy, matrix in {"good": truth + 0.01 * rng.normal(size=(5, 5)), "bad": -truth}.items():
        path = tmp_path / "proxies" / proxy / "metric.csv"
        path.parent.mkdir(parents=True)
        matrix.to_csv(path)
        proxy_metric[proxy] = path
    (tmp_path / "noise.json").write_text("{}")
    bench = tmp_path / "benchmarks"
    seconds = {"features/train.tsv": 10, "predict.tsv": 1, "proxy_features/good/train.tsv": 3}
    seconds |= {"proxy_features/good/test.tsv": 2, "proxy_predict/good.tsv": 1, "proxy_features/bad/train.tsv": 7}
    for rel, s in seconds.items():
        (bench / rel).parent.mkdir(parents=True, exist_ok=True)
        (bench / rel).write_text(f"s\tmax_rss\n{s}\t1\n")
    table = predictors(
        tmp_path / "delta.csv",
        tmp_path / "metric.csv",
        tmp_path / "icons.csv",
        tmp_path / "noise.json",
        bench,
        tmp_path / "predictors.csv",
        PredictorsSettings(bootstrap=100),
        proxies=list(proxy_metric.values()),
    ).set_index("predictor")
    assert list(table.index[:3]) == [
        "DataProphet (training-free)",
        "DataProphet (proxy good)",
        "DataProphet (proxy bad)",
    ]
    assert table.loc["DataProphet (training-free)", "tau"] == pytest.approx(1.0)
    assert table.loc["DataProphet (proxy good)", "tau"] > 0.5 > table.loc["DataProphet (proxy bad)", "tau"]
    assert table.loc["DataProphet (proxy good)", "device_seconds"] == pytest.approx(6.0)
    assert table.loc["DataProphet (proxy bad)", "device_seconds"] == pytest.approx(7.0)
    assert table.loc["DataProphet (training-free)", "device_seconds"] == pytest.approx(11.0)


def test_a_proxy_metric_elsewhere_is_refused(tmp_path):
    from dataprophet.analysis.predictors import proxy_name

    assert proxy_name(tmp_path / "proxies" / "smolvlm" / "metric.csv") == "smolvlm"
    with pytest.raises(ValueError, match="proxies/<name>/metric.csv"):
        proxy_name(tmp_path / "metric.csv")


def test_prophet_model_and_proxies_are_config_keys_checked_before_compute(built, tmp_path):
    import yaml

    from dataprophet.config import ConfigError, load_study, validate_against_schema

    raw = yaml.safe_load((Path(__file__).parents[3] / "config" / "smoke.yaml").read_text())
    model, processor = built("idefics3")
    model.save_pretrained(tmp_path / "smol", safe_serialization=True)
    vlms.save_processor_files(processor, tmp_path / "smol", "idefics3")
    raw["prophet"] |= {"model": str(tmp_path / "later"), "proxies": {"smolvlm-256m": str(tmp_path / "smol")}}
    validate_against_schema(raw)
    study = load_study(raw)
    assert study.prophet.proxies == {"smolvlm-256m": str(tmp_path / "smol")}
    assert study.prophet.model == str(tmp_path / "later")  # made later by the study: left to Snakemake
    (tmp_path / "pali").mkdir()
    from transformers import PaliGemmaConfig

    PaliGemmaConfig().save_pretrained(tmp_path / "pali")
    raw["prophet"]["proxies"] = {"pali": str(tmp_path / "pali")}
    with pytest.raises(ConfigError, match=r"'prophet.proxies.pali'.*model type 'paligemma' is not supported"):
        load_study(raw)
    (tmp_path / "nothing").mkdir()
    raw["prophet"]["proxies"] = {"empty": str(tmp_path / "nothing")}
    with pytest.raises(ConfigError, match=r"'prophet.proxies.empty'.*no config.json"):
        load_study(raw)
    raw["prophet"]["proxies"] = {"bad name!": "x"}
    with pytest.raises(Exception, match="prophet.proxies"):
        validate_against_schema(raw)


@pytest.mark.parametrize("name", ["gemma3", "idefics3", "llava_onevision"])
def test_score_ranks_sources_with_a_proxy_model(built, name, tmp_path):
    """``dataprophet score --model`` on a saved proxy of another family: every factor and M."""
    from dataprophet.cli import main
    from dataprophet.io.contract import write_table

    model, processor = built(name)
    model.save_pretrained(tmp_path / "proxy", safe_serialization=True)
    vlms.save_processor_files(processor, tmp_path / "proxy", name)
    for dataset in ("chart_bar", "count_shapes"):
        splits = generate_splits(dataset, {"train": 12, "test": 8}, seed=1)
        write_table(splits["train"], tmp_path / f"{dataset}.parquet")
        if dataset == "chart_bar":
            write_table(splits["test"], tmp_path / "target.parquet")
    out = tmp_path / "ranking.csv"
    args = ["score", "--model", str(tmp_path / "proxy"), "--target", str(tmp_path / "target.parquet")]
    args += ["--sources", str(tmp_path / "chart_bar.parquet"), str(tmp_path / "count_shapes.parquet")]
    assert main([*args, "--samples", "0", "--kmeans_k", "2", "--batch_size", "4", "--out", str(out)]) == 0
    ranking = pd.read_csv(out)
    assert sorted(ranking["source"]) == ["chart_bar", "count_shapes"]
    assert np.isfinite(ranking[["M", "qsim", "isim", "ppl_source", "diversity"]].to_numpy()).all()


def _proxy_memory():
    from load_script import load_script

    return load_script(Path(__file__).parents[3] / "bench" / "proxy_memory.py")


@pytest.mark.parametrize("name", ["qwen2_vl", "idefics3", "gemma3"])
def test_memory_estimate_reads_a_saved_model_and_counts_its_image_tokens(built, name, tmp_path):
    memory = _proxy_memory()
    model, processor = built(name)
    model.save_pretrained(tmp_path, safe_serialization=True)
    vlms.save_processor_files(processor, tmp_path, name)
    arch = memory.from_folder(tmp_path, 64, 64)
    assert arch.params == model.num_parameters()  # tied weights are stored once
    assert arch.hidden == model.config.get_text_config().hidden_size
    # the image tokens the language model reads: the prompt with an image minus the prompt without
    image = decode_image(generate_splits("count_shapes", {"train": 1}, seed=0)["train"][0]["image"])
    with_image = encode_example(processor, image.resize((64, 64)), "x", "y")["labels"].count(IGNORE_INDEX)
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "text", "text": "x"}]}], add_generation_prompt=True, tokenize=False
    )
    plain = len(processor.tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert arch.image_tokens == with_image - plain > 0
    small, large = memory.per_sample(arch, 100, 10), memory.per_sample(arch, 1000, 10)
    assert large["decoder_layer"] > small["decoder_layer"] and large["image_pass"] == small["image_pass"]


def test_memory_table_of_the_published_models_covers_every_family():
    memory = _proxy_memory()
    assert {a.model_type for a in memory.PUBLISHED} == set(vlms.FAMILIES)
    base = json.loads((Path(__file__).parents[3] / "config" / "models" / "internvl3_2b.json").read_text())
    internvl = next(a for a in memory.PUBLISHED if a.model_type == "internvl")
    assert internvl.image_tokens == base["image_seq_length"]
    assert internvl.hidden == base["text_config"]["hidden_size"]
    rows = memory.table(memory.PUBLISHED, 100, 10)
    assert all(r["per_80GB"] > 0 and r["peak_MiB"] > 0 for r in rows)


@pytest.mark.parametrize("name", ["qwen2_vl", "llava", "llava_onevision", "idefics3", "gemma3"])
def test_a_folder_laid_out_as_a_released_checkpoint_loads(built, frame, name, tmp_path):
    """Processor settings in ``processor_config.json`` (with its ``processor_class``) and the
    chat template in ``chat_template.json``, as the hub's checkpoints keep them."""
    from dataprophet.model.modeling import load_base, load_processor

    model, processor = built(name)
    model.save_pretrained(tmp_path, safe_serialization=True)
    vlms.save_processor_files(processor, tmp_path, name)
    settings = json.loads((tmp_path / vlms.PROCESSOR_KWARGS_FILE).read_text())
    (tmp_path / vlms.PROCESSOR_KWARGS_FILE).unlink()
    settings["processor_class"] = vlms.FAMILIES[name].processor
    (tmp_path / "processor_config.json").write_text(json.dumps(settings))
    template = (tmp_path / "chat_template.jinja").read_text()
    (tmp_path / "chat_template.jinja").unlink()
    (tmp_path / "chat_template.json").write_text(json.dumps({"chat_template": template}))
    assert not json.loads((tmp_path / "preprocessor_config.json").read_text())["image_processor_type"].endswith("Pil")
    reloaded = load_processor(tmp_path)
    assert type(reloaded).__mro__[1].__name__ == vlms.FAMILIES[name].processor
    before = extract(model, processor, frame.head(3), batch_size=3)
    after = extract(load_base(tmp_path).eval(), reloaded, frame.head(3), batch_size=3)
    for key in ("q", "a", "i", "nll", "nll_eot"):
        np.testing.assert_allclose(before[key], after[key], atol=1e-5, rtol=1e-5)
