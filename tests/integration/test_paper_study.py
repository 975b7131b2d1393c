"""The paper study's code path without the hub: config, DAG (dry run), data stage, base
checkpoint, and the whole paper-scale DAG run on schema fixtures with a tiny InternVL.

Nothing here downloads: the registry entries are overridden to fixture files in each real
source's schema (tests/fixtures/real, made-up rows) and the "released checkpoint" is a tiny
InternVL saved locally. The real runs (InternVL3-2B, real datasets, GPUs) were not done here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from load_script import load_script
from netguard.guarded import offline_env
from PIL import Image
from workflow_run import snakemake_command

from dataprophet.config import ConfigError, load_study, load_study_file
from dataprophet.data.prepare import sample_dataset
from dataprophet.data.registry import load_registry, override
from dataprophet.io.contract import ContractError, read_table
from dataprophet.model.fetch_base import CheckpointError, fetch_base
from dataprophet.model.modeling import save_model_dir
from dataprophet.settings import ModelSettings, PrepareSettings

ROOT = Path(__file__).resolve().parents[2]
fixtures = load_script(ROOT / "tests" / "fixtures" / "real" / "builders.py")

PAPER_JOBS = {
    "check_data": 1,  # the preflight every prepare (and the checkpoint download) waits for
    "prepare": 14,
    "fetch_base": 2,  # InternVL3-2B, and the RL stage's Qwen2.5-VL-3B-Instruct
    # 14 sources; then selection: 1 uniform + 14 targets x (DataProphet, oracle, ICONS) + 1
    # ICONS consensus mixture, and ICONS' warm-up; then the synthetic pool: 1 uniform + 14 x
    # (DataProphet, ICONS) and ICONS' warm-up on the pool
    "finetune": 14 + 1 + 14 * 3 + 1 + 1 + 1 + 14 * 2 + 1,
    "evaluate": 15 + 1 + 14 * 3 + 1 + 1 + 14 * 2 + 1 + 4,  # ... the RL model before RL and its 4 runs
    "features": 28 + 14,  # train, test and synthetic, one job per dataset
    "predict": 1,
    "groundtruth": 1,
    "rank": 1,
    "extend": 14,
    "allocate": 4,  # uniform, dataprophet, oracle, ICONS' warm-up subset
    "mixture": 2 + 14 * 2,
    "gradients": 14 * 2,  # real and synthetic pools
    "influence": 2,
    "selection_table": 1,
    "predictors": 1,
    "synthesize": 14,
    "synthetic_select": 1,
    "synthetic_table": 1,
    "rl_prompts": 1,
    "grpo": 4,
    "rl_table": 1,
}


def _env(workdir: Path) -> dict:
    return offline_env(workdir / "network_attempts.log")


# ------------------------------------------------------------------------------ config


def test_paper_config_holds_the_paper_recipe():
    study = load_study_file(ROOT / "config" / "paper.yaml")
    assert study.scale == "paper" and len(study.datasets) == 14
    assert study.sizes == {"train": 20000, "test": 1000}
    ft = study.finetune
    assert (ft.method, ft.learning_rate, ft.max_steps, ft.epochs) == ("full", 1e-5, 0, 1)
    assert ft.freeze_vision and ft.freeze_projector and ft.bf16 and ft.gradient_checkpointing
    assert study.model.id == "OpenGVLab/InternVL3-2B-hf"
    assert study.compute.gpus_for("finetune") >= 1 and study.compute.strategy == "ddp"
    assert study.evaluate.tokens_for("rouge_l") > study.evaluate.max_new_tokens


def _paper_raw(**changes) -> dict:
    raw = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    raw.update(changes)
    return raw


def test_paper_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"'datasets': unknown dataset name\(s\) \['chartqaa'\]"):
        load_study(_paper_raw(datasets=["chartqaa", "docvqa"]), base_dir=ROOT)
    with pytest.raises(ConfigError, match="config key 'tiny_model' belongs to the mini scale"):
        load_study(_paper_raw(tiny_model={"vocab_size": 10}), base_dir=ROOT)
    with pytest.raises(ConfigError, match="config key 'registry_overrides': file .*nowhere.yaml does not exist"):
        load_study(_paper_raw(registry_overrides="nowhere.yaml"), base_dir=ROOT)
    with pytest.raises(ConfigError, match="config key 'compute.strategy' 'zero9' is not one of"):
        load_study(_paper_raw(compute={"strategy": "zero9"}), base_dir=ROOT)
    with pytest.raises(ConfigError, match="gpus.evaluate is 2, but evaluate jobs use one GPU each"):
        load_study(_paper_raw(compute={"gpus": {"finetune": 4, "evaluate": 2}}), base_dir=ROOT)


@pytest.mark.integration
def test_paper_dag_dry_run_lists_every_job(tmp_path):
    profile = ROOT / "profiles" / "slurm"
    cmd = snakemake_command(
        tmp_path, ROOT / "config" / "paper.yaml", "-n", "-p", "--workflow-profile", str(profile), "--slurm-no-account"
    )
    result = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout + result.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    for rule, count in PAPER_JOBS.items():
        assert int(counts.get(rule, 0)) == count, f"{rule}: {counts.get(rule)} jobs, expected {count}"
    # No hand-fetched file is here: the dry run names each, with where to get it.
    assert "check_data will stop this run before any download or GPU job" in out
    for path in (
        "resources/clevr/CLEVR_v1.0/questions/CLEVR_train_questions.json",
        "resources/visual_cot/benchmark/flickr30k.json",
        "resources/open_spatial/open_spatial.json",
        "resources/spatialrgpt_bench",
        "resources/geomverse/test.jsonl",
        "resources/mapqa/test-QA.json",
    ):
        assert path in out, path
    prepare = out[out.index("rule prepare:") :]
    assert "results/paper/data/check_data.tsv" in prepare[: prepare.index("\n\n")]
    # Fine-tunes: 4 GPUs on the GPU partition, one accelerate process per GPU, the paper recipe.
    finetune = out[out.index("rule finetune:") :]
    finetune = finetune[: finetune.index("\n\n")]
    assert "gpu=4" in finetune and "slurm_partition=gpu" in finetune
    assert "accelerate launch --config_file $DATAPROPHET_SRC/config/accelerate/ddp.yaml" in finetune
    assert "--num_processes 4" in finetune and "--main_process_port 0" in finetune
    assert "--learning_rate 1e-05" in finetune and "--method full" in finetune
    # A mixture fine-tune: the same recipe (one epoch of its 280K samples), on 4 GPUs too.
    mixture = out[out.index("output: results/paper/models/ft/mix/dataprophet/chartqa") :]
    mixture = mixture[: mixture.index("\n\n")]
    assert "gpu=4" in mixture and "--epochs 1.0" in mixture and "--learning_rate 1e-05" in mixture
    # ICONS' gradient jobs: one GPU each, on the GPU partition.
    gradients = out[out.index("rule gradients:") :]
    gradients = gradients[: gradients.index("\n\n")]
    assert "gpu=1" in gradients and "slurm_partition=gpu" in gradients and "--projection_dim 5120" in gradients
    # The synthetic pool: API generators, and nothing is sent unless the config says so; the
    # keys are named, never given.
    synthesize = out[out.index("rule synthesize:") :]
    synthesize = synthesize[: synthesize.index("\n\n")]
    assert "slurm_partition=cpu" in synthesize and "$DATAPROPHET_SYNTHESIZE_RUN" in synthesize
    assert '"api_key_env": "OPENAI_API_KEY"' in synthesize and '"model": "gemini-2.5-pro"' in synthesize
    # RL: GRPO of Qwen2.5-VL-3B-Instruct on 4 GPUs through accelerate, verl's example's values.
    grpo = out[out.index("rule grpo:") :]
    grpo = grpo[: grpo.index("\n\n")]
    assert "gpu=4" in grpo and "slurm_partition=gpu" in grpo and "--num_processes 4" in grpo
    assert "--base results/paper/models/rl_base" in grpo and "--learning_rate 1e-06" in grpo
    assert "--num_generations 5" in grpo and "--method full" in grpo
    # CPU-only rules stay off the GPU partition.
    ranking = out[out.index("rule rank:") :]
    assert "slurm_partition=cpu" in ranking[: ranking.index("\n\n")]
    assert not (tmp_path / "network_attempts.log").exists()


# --------------------------------------------------------------------------- data stage


def _chartqa_with_rows(tmp_path: Path, images: list[bytes]):
    rows = [
        {"image": {"bytes": b, "path": None}, "query": f"What is bar {i}?", "label": [str(i)]}
        for i, b in enumerate(images)
    ]
    path = tmp_path / "chartqa_train.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    spec = load_registry(ROOT / "config" / "datasets")["chartqa"]
    local = {"kind": "local", "path": str(path)}
    return override(spec, train=local, test=local)


def _prepare(spec, sizes: dict, ids: Path, data: Path, rejects: Path, on_bad_rows: str = "error") -> dict:
    """The prepare stage on a spec already loaded, writing where the rule would."""
    tables = {role: data / role / f"{spec.name}.parquet" for role in ("train", "test")}
    drawn = {role: ids / f"{spec.name}.{role}.json" for role in ("train", "test")}
    settings = PrepareSettings(sizes=sizes, seed=0, on_bad_rows=on_bad_rows)
    return sample_dataset(spec, tables["train"], tables["test"], drawn["train"], drawn["test"], rejects, settings)


def test_prepare_writes_tables_ids_and_reuses_the_draw(tmp_path):
    spec = _chartqa_with_rows(tmp_path, [fixtures.image(i) for i in range(6)])
    report = _prepare(spec, {"train": 4, "test": 2}, tmp_path / "ids", tmp_path / "data", tmp_path / "rej.csv")
    assert report["train"] == {"asked": 4, "available": None, "kept": 4, "rejected": 0}
    first = list(read_table(tmp_path / "data" / "train" / "chartqa.parquet", validate=True)["id"])
    saved = json.loads((tmp_path / "ids" / "chartqa.train.json").read_text())
    assert saved["ids"] == first and saved["n"] == 4
    assert pd.read_csv(tmp_path / "rej.csv").empty
    _prepare(spec, {"train": 4, "test": 2}, tmp_path / "ids", tmp_path / "data2", tmp_path / "rej.csv")
    assert list(read_table(tmp_path / "data2" / "train" / "chartqa.parquet")["id"]) == first


def test_prepare_keeps_the_answer_format_instruction_beside_the_question(tmp_path):
    from dataprophet.data.instructions import prompt_texts

    spec = _chartqa_with_rows(tmp_path, [fixtures.image(i) for i in range(4)])
    _prepare(spec, {"train": 2, "test": 2}, tmp_path / "ids", tmp_path / "data", tmp_path / "rej.csv")
    for role in ("train", "test"):
        table = read_table(tmp_path / "data" / role / "chartqa.parquet")
        assert table["question"].str.endswith("?").all()  # bare: what QSim embeds
        # lmms-eval's ChartQA post-prompt, the same line in both splits, joined in every prompt
        assert set(table["instruction"]) == {"Answer the question with a single word."}
        assert all(p.endswith("?\nAnswer the question with a single word.") for p in prompt_texts(table))
    custom = override(spec, instruction="Reply with a number.")
    _prepare(custom, {"train": 2, "test": 2}, tmp_path / "ids", tmp_path / "custom", tmp_path / "rej.csv")
    assert set(read_table(tmp_path / "custom" / "train" / "chartqa.parquet")["instruction"]) == {"Reply with a number."}
    tables = {role: tmp_path / "bare" / role / "chartqa.parquet" for role in ("train", "test")}
    drawn = {role: tmp_path / "ids" / f"chartqa.{role}.json" for role in ("train", "test")}
    bare = PrepareSettings(sizes={"train": 2, "test": 2}, seed=0, instructions=False)
    sample_dataset(spec, tables["train"], tables["test"], drawn["train"], drawn["test"], tmp_path / "r.csv", bare)
    assert "instruction" not in read_table(tables["train"]).columns


def test_prepare_stops_at_a_corrupt_image_naming_dataset_config_and_row(tmp_path):
    spec = _chartqa_with_rows(tmp_path, [fixtures.image(0), b"not an image", fixtures.image(2)])
    with pytest.raises(
        ContractError, match=r"chartqa train split \(.*chartqa.yaml.*\): row 2 .*corrupt or unreadable image"
    ):
        _prepare(spec, {"train": 10, "test": 10}, tmp_path / "ids", tmp_path / "data", tmp_path / "rej.csv")
    assert not (tmp_path / "data").exists()  # nothing written before the whole draw was checked


def test_prepare_skip_mode_writes_rejects_and_counts_them(tmp_path):
    spec = _chartqa_with_rows(tmp_path, [fixtures.image(0), b"not an image", fixtures.image(2)])
    report = _prepare(
        spec, {"train": 10, "test": 10}, tmp_path / "ids", tmp_path / "data", tmp_path / "rej.csv", on_bad_rows="skip"
    )
    assert report["train"] == {"asked": 10, "available": 3, "kept": 2, "rejected": 1}
    rejects = pd.read_csv(tmp_path / "rej.csv")
    assert list(rejects["role"]) == ["train", "test"] and rejects["reason"].str.contains("corrupt").all()
    assert len(read_table(tmp_path / "data" / "train" / "chartqa.parquet", validate=True)) == 2


def test_prepare_cli_names_the_wrong_column(tmp_path):
    spec = _chartqa_with_rows(tmp_path, [fixtures.image(0)])
    overrides = tmp_path / "over.yaml"
    local = {"kind": "local", "path": spec.train[0].path}
    overrides.write_text(yaml.safe_dump({"chartqa": {"train": local, "test": local, "fields": {"question": "qery"}}}))
    cmd = [
        sys.executable,
        "-m",
        "dataprophet.cli",
        "prepare",
        "--dataset",
        "chartqa",
        "--registry",
        str(ROOT / "config" / "datasets"),
        "--overrides",
        str(overrides),
        "--sizes",
        '{"train": 5, "test": 5}',
        "--train",
        str(tmp_path / "train.parquet"),
        "--test",
        str(tmp_path / "test.parquet"),
        "--train-ids",
        str(tmp_path / "train.json"),
        "--test-ids",
        str(tmp_path / "test.json"),
        "--rejects",
        str(tmp_path / "r.csv"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "chartqa" in result.stderr and "'qery'" in result.stderr and "fields.question" in result.stderr


# ------------------------------------------------------------------------- base checkpoint


def test_fetch_base_from_a_local_copy_checks_and_records_it(tmp_path, tiny_parts):
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "ckpt")
    (tmp_path / "ckpt" / "pytorch_model.bin").write_bytes(b"pickle")  # never taken
    fetch_base(tmp_path / "base", ModelSettings(local_dir=str(tmp_path / "ckpt")))
    assert (tmp_path / "base" / "model.safetensors").exists()
    assert not (tmp_path / "base" / "pytorch_model.bin").exists()
    assert json.loads((tmp_path / "base" / "base_source.json").read_text())["local_dir"] == str(
        (tmp_path / "ckpt").resolve()
    )


def test_the_system_prompt_is_recorded_with_the_base_and_used_by_every_prompt(tmp_path, tiny_parts):
    from dataprophet.model.encoding import chat_prompt, encode_example
    from dataprophet.model.modeling import SYSTEM_PROMPTS, load_processor
    from dataprophet.rl.grpo import prompt_dataset

    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "ckpt")
    fetch_base(tmp_path / "bare", ModelSettings(local_dir=str(tmp_path / "ckpt")))
    bare = load_processor(tmp_path / "bare")
    assert bare.system_prompt is None and "system" not in chat_prompt(bare, "What?")
    fetch_base(tmp_path / "base", ModelSettings(local_dir=str(tmp_path / "ckpt"), system_prompt="intern_vl"))
    loaded = load_processor(tmp_path / "base")
    prompt = chat_prompt(loaded, "What?")
    assert prompt.startswith("<|im_start|>system\n" + SYSTEM_PROMPTS["intern_vl"] + "<|im_end|>\n<|im_start|>user")
    image = Image.new("RGB", (64, 64))
    with_system, without = encode_example(loaded, image, "What?", "7"), encode_example(bare, image, "What?", "7")
    assert len(with_system["input_ids"]) > len(without["input_ids"])
    answer = [t for t in with_system["labels"] if t != -100]
    assert answer == [t for t in without["labels"] if t != -100]  # the loss stays on the answer only
    frame = pd.DataFrame([{"question": "What?", "image": fixtures.image(0), "answers": ["7"], "choices": None,
                           "metric": "exact_match"}])  # fmt: skip
    assert prompt_dataset(frame, loaded)[0]["prompt"][0]["role"] == "system"


def test_fetch_base_refuses_remote_code_and_pickles(tmp_path, tiny_parts):
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "ckpt")
    config = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    (tmp_path / "ckpt" / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "x.Model"}}))
    with pytest.raises(CheckpointError, match="auto_map.*remote code"):
        fetch_base(tmp_path / "base", ModelSettings(local_dir=str(tmp_path / "ckpt")))
    (tmp_path / "ckpt" / "config.json").write_text(json.dumps(config))
    (tmp_path / "ckpt" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="no \\*.safetensors"):
        fetch_base(tmp_path / "base", ModelSettings(local_dir=str(tmp_path / "ckpt")))
    assert not (tmp_path / "base").exists()


# ------------------------------------------------- the paper DAG at tiny size, on fixtures

FIXTURE_DATASETS = ["ocr_vqa", "chartqa", "finance_qa", "chart2text"]


@pytest.fixture(scope="module")
def paper_fixture_run(tmp_path_factory):
    from dataprophet.model.modeling import (
        TINY_CHAT_TEMPLATE,
        TinyModelSpec,
        build_processor,
        build_tiny_model,
        train_tokenizer,
    )

    root = tmp_path_factory.mktemp("paperfix")
    overrides, expected = {}, {}
    for name in FIXTURE_DATASETS:
        sources, expected[name] = fixtures.build(name, root / "fixtures" / name)
        overrides[name] = sources
    (root / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    # The stand-in for InternVL3-2B-hf: the same classes at tiny size, saved like a hub snapshot.
    spec = TinyModelSpec(image_size=32, vision_hidden=32, text_hidden=64, vocab_size=300)
    tokenizer = train_tokenizer(["what is the value of the revenue chart? 10 20 acme"] * 20, spec.vocab_size)
    processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
    save_model_dir(build_tiny_model(spec, tokenizer, seed=0), processor, root / "released")
    config = {
        "name": "paperfix",
        "scale": "paper",
        "seed": 0,
        "datasets": FIXTURE_DATASETS,
        "sizes": {"train": 20000, "test": 1000},
        "registry": str(ROOT / "config" / "datasets"),
        "registry_overrides": str(root / "overrides.yaml"),
        "model": {"local_dir": str(root / "released")},
        "finetune": {
            "method": "full",
            "learning_rate": 1e-3,
            "max_steps": 0,
            "epochs": 1,
            "batch_size": 2,
            "freeze_vision": True,
            "freeze_projector": True,
            "save_steps": 50,
            "gradient_checkpointing": True,
            "bf16": True,
        },  # bf16 applies on GPU only
        "finetune_seeds": [0],
        "evaluate": {"batch_size": 4, "max_new_tokens": 4, "max_new_tokens_by_metric": {"rouge_l": 6}, "max_tiles": 2},
        "compute": {"gpus": {"finetune": 0, "evaluate": 0, "features": 0}},
        "threads": {"finetune": 1, "evaluate": 1, "features": 1},
        "prophet": {"kmeans_k": 2, "batch_size": 4, "bootstrap": 100, "jobs_per_dataset": True},
    }
    (root / "paperfix.yaml").write_text(yaml.safe_dump(config))
    targets = ["results/paperfix/tables/delta.csv", "results/paperfix/tables/metric.csv"]
    targets += [f"results/paperfix/data/{split}/{d}.parquet" for d in FIXTURE_DATASETS for split in ("pool", "val")]
    cmd = snakemake_command(root, root / "paperfix.yaml", *targets, "--cores", "2")
    result = subprocess.run(cmd, cwd=root, env=_env(root), capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return root, expected


@pytest.mark.integration
def test_paper_dag_on_fixtures_builds_tables_through_every_stage(paper_fixture_run):
    root, expected = paper_fixture_run
    out = root / "results" / "paperfix"
    for name in FIXTURE_DATASETS:
        for role in ("train", "test"):
            table = read_table(out / "data" / role / f"{name}.parquet", validate=True)
            assert len(table) == expected[name][role] and set(table["dataset"]) == {name}
            assert (out / "data" / "ids" / f"{name}.{role}.json").exists()
        assert pd.read_csv(out / "data" / "rejects" / f"{name}.csv").empty
        assert (out / "features" / "train" / f"{name}.npz").exists()
    assert "local_dir" in json.loads((out / "models" / "base" / "base_source.json").read_text())
    log = json.loads((out / "models" / "ft" / "seed0" / "finance_qa" / "train_log.json").read_text())
    assert log["settings"]["freeze_vision"] and log["global_step"] == 3  # 5 pairs, batch 2, one epoch
    assert log["settings"]["gradient_checkpointing"] and log["train_loss"] > 0
    scores = pd.read_csv(out / "tables" / "seed0" / "scores.csv", index_col=0)
    assert list(scores.index) == ["base", *FIXTURE_DATASETS] and list(scores.columns) == FIXTURE_DATASETS
    metric = pd.read_csv(out / "tables" / "metric.csv", index_col=0)
    assert metric.shape == (4, 4) and metric.notna().all().all()
    predictions = pd.read_parquet(out / "eval" / "base" / "predictions.parquet")
    assert set(predictions.loc[predictions["target"] == "chart2text", "metric"]) == {"rouge_l"}
    assert not (root / "network_attempts.log").exists()
    # The paper-scale extension streams the splits again and keeps only rows of neither table.
    for name in FIXTURE_DATASETS:
        taken = set().union(*(read_table(out / "data" / r / f"{name}.parquet")["id"] for r in ("train", "test")))
        for split in ("pool", "val"):
            extra = read_table(out / "data" / split / f"{name}.parquet", validate=True)
            assert not set(extra["id"]) & taken, (name, split)


def test_prepare_handles_an_unreadable_image_file_by_mode(tmp_path):
    """A path-based source (Open-Spatial, CLEVR style) whose image file is missing: error mode
    names the record; skip mode writes it to the rejects file."""
    root = tmp_path / "images"
    root.mkdir()
    rows = [{"image": f"img{i}.png", "query": f"What is bar {i}?", "label": [str(i)]} for i in range(3)]
    for i in (0, 2):  # img1.png is missing
        (root / f"img{i}.png").write_bytes(fixtures.image(i))
    path = tmp_path / "paths.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    local = {"kind": "local", "path": str(path), "image_root": str(root)}
    spec = override(load_registry(ROOT / "config" / "datasets")["chartqa"], train=local, test=local)
    with pytest.raises(ContractError, match=r"chartqa train split .*: row 1 \(id='chartqa-train-1-0'\): .*img1.png"):
        _prepare(spec, {"train": 5, "test": 5}, tmp_path / "ids", tmp_path / "data", tmp_path / "r.csv")
    report = _prepare(
        spec, {"train": 5, "test": 5}, tmp_path / "ids", tmp_path / "data", tmp_path / "r.csv", on_bad_rows="skip"
    )
    assert report["train"] == {"asked": 5, "available": 3, "kept": 2, "rejected": 1}
    rejects = pd.read_csv(tmp_path / "r.csv")
    assert list(rejects["id"]) == ["chartqa-train-1-0", "chartqa-test-1-0"]
    assert rejects["reason"].str.contains("img1.png").all()


def test_an_undersized_source_is_said_in_the_log_and_the_report(tmp_path, capsys):
    """GeomVerse's train split holds ~9.3K rows for 20K asked: sampling takes them all, and
    prepare says so, beside the paper's stated pool, in its log and in the summary's table."""
    from dataprophet.analysis.summary import sizes_section

    spec = override(_chartqa_with_rows(tmp_path, [fixtures.image(i) for i in range(6)]), paper_pool=23000)
    tables = {role: tmp_path / "data" / role / "chartqa.parquet" for role in ("train", "test")}
    drawn = {role: tmp_path / "ids" / f"chartqa.{role}.json" for role in ("train", "test")}
    sizes = tmp_path / "sizes.json"
    settings = PrepareSettings(sizes={"train": 10, "test": 4}, seed=0)
    sample_dataset(spec, *tables.values(), *drawn.values(), tmp_path / "r.csv", settings, sizes)
    log = capsys.readouterr().out
    assert "note: chartqa train split holds only 6 usable pairs, fewer than the 10 asked" in log
    assert "the paper states a pool of ~23,000" in log and "test split holds only" not in log
    report = json.loads(sizes.read_text())
    assert report["paper_pool"] == 23000
    assert report["train"] == {"asked": 10, "available": 6, "kept": 6, "rejected": 0}
    assert report["test"]["available"] is None  # 4 of 6 asked: the split has enough
    page = "\n".join(sizes_section([report]))
    assert "| chartqa | 23,000 | 10 | 6 (short) | 6 | 4 | >= 4 | 4 |" in page
    assert "Fewer rows than asked (every row taken): chartqa train." in page
    # a rerun from the saved ids says the same
    sample_dataset(spec, *tables.values(), *drawn.values(), tmp_path / "r.csv", settings, sizes)
    assert json.loads(sizes.read_text())["train"]["available"] == 6


def test_every_registry_file_states_the_papers_pool():
    registry = load_registry(ROOT / "config" / "datasets")
    assert all(spec.paper_pool for spec in registry.values())
    assert registry["geomverse"].paper_pool == 23000 and registry["open_spatial"].paper_pool == 8_700_000
    with pytest.raises(Exception, match="key 'paper_pool'"):
        override(registry["geomverse"], paper_pool="23K")
