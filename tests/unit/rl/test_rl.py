"""RL post-training (the paper's Table 4): the allocation math, the prompt sets, GRPO on a
planted easy task, resuming a killed run, and the paper's model class at tiny size."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import read_table, write_table
from dataprophet.rl.grpo import run_grpo, target_score
from dataprophet.rl.rl_prompts import rl_prompts
from dataprophet.rl.rl_table import build_table, paper_side
from dataprophet.selection.budget import AllocationError, pooled_sample_scores, pooled_weights
from dataprophet.settings import ConfigError, GrpoSettings, RlPromptsSettings, to_flags

NAMES = ["count_shapes", "chart_bar", "ocr_cover"]


# ----------------------------------------------------------------------------- allocation math


def test_pooled_weights_give_every_target_equal_say():
    m = pd.DataFrame({"t1": [1.0, 1.0, 2.0], "t2": [300.0, 100.0, 0.0]}, index=["a", "b", "c"])
    w = pooled_weights(m)
    np.testing.assert_allclose(w.to_numpy(), [(0.25 + 0.75) / 2, (0.25 + 0.25) / 2, (0.5 + 0.0) / 2])
    assert w.sum() == pytest.approx(1.0)
    assert pooled_weights(m * [1.0, 1e6]).equals(w)  # a column's scale does not matter


@pytest.mark.parametrize(
    "values, message",
    [([[1.0, -1.0], [1.0, 2.0]], "negative"), ([[0.0, 1.0], [0.0, 2.0]], "no positive weight"), ([[np.nan, 1]], "NaN")],
)
def test_pooled_weights_refuse_what_has_no_share(values, message):
    with pytest.raises(AllocationError, match=message):
        pooled_weights(pd.DataFrame(values, columns=["t1", "t2"]))


def test_pooled_sample_scores_normalise_each_target_by_its_mean():
    scores = pd.DataFrame({"t1": [1.0, 3.0], "t2": [10.0, 30.0]}, index=["u", "v"])
    np.testing.assert_allclose(pooled_sample_scores(scores).to_numpy(), [0.5, 1.5])
    with pytest.raises(AllocationError, match="mean sample score"):
        pooled_sample_scores(pd.DataFrame({"t": [0.0, 0.0]}))


def test_grpo_groups_must_fit_the_batch():
    with pytest.raises(ConfigError, match="multiple of num_generations"):
        GrpoSettings(batch_size=6, num_generations=4)
    assert GrpoSettings(batch_size=6, grad_accum=2, num_generations=4).batch_size == 6


# ----------------------------------------------------------------------------- prompt sets


@pytest.fixture
def inputs(tmp_path):
    train = []
    for name in NAMES:
        train.append(tmp_path / "train" / f"{name}.parquet")
        write_table(generate_splits(name, {"train": 30}, seed=0)["train"], train[-1])
    metric = tmp_path / "metric.csv"
    m = pd.DataFrame([[3.0, 1.0, 1.0], [1.0, 2.0, 1.0], [0.5, 0.5, 4.0]], index=NAMES, columns=NAMES)
    m.rename_axis("source").to_csv(metric)
    synthetic, rows = [], []
    for name in NAMES:
        records = generate_splits(name, {"train": 10}, seed=1)["train"]
        for r in records:
            r["id"] = r["id"] + "-syn"
        synthetic.append(tmp_path / "synthetic" / f"{name}.parquet")
        write_table(records, synthetic[-1])
        rows += [r["id"] for r in records]
    scores = pd.DataFrame(np.random.default_rng(0).uniform(0.1, 1, (len(rows), 3)), columns=NAMES, index=rows)
    scores.index.name = "id"
    scores.to_parquet(tmp_path / "scores.parquet")
    return tmp_path, train, metric, synthetic, scores


def test_prompt_sets_split_the_budget_as_each_rule_says(inputs):
    tmp_path, train, metric, synthetic, scores = inputs
    settings = RlPromptsSettings(budget=24, runs=("equal", "dataprophet", "random_synthetic", "dataprophet_synthetic"))
    out = tmp_path / "prompts"
    written = rl_prompts(train, metric, out, tmp_path / "alloc.csv", settings, synthetic, tmp_path / "scores.parquet")
    assert written == dict.fromkeys(settings.runs, 24)
    alloc = pd.read_csv(tmp_path / "alloc.csv", index_col=0)
    assert (alloc["equal"] == 8).all() and alloc["dataprophet"].sum() == 24
    weights = pooled_weights(pd.read_csv(metric, index_col=0))
    assert (abs(alloc["dataprophet"] - 24 * weights) < 1).all()
    equal = pd.read_csv(out / "equal.ids.csv")
    assert equal["id"].is_unique and set(equal["source"]) == set(NAMES)
    chosen = pd.read_csv(out / "dataprophet_synthetic.ids.csv")["id"]
    pooled = pooled_sample_scores(scores)
    assert set(chosen) == set(pooled.sort_values(ascending=False).index[:24])
    assert len(read_table(out / "random_synthetic.parquet")) == 24
    with pytest.raises(ValueError, match="more than the train tables hold"):
        rl_prompts(train, metric, out, tmp_path / "alloc.csv", RlPromptsSettings(budget=91, runs=("equal",)))


# ----------------------------------------------------------------------------- GRPO


@pytest.fixture
def tiny_base(tiny_parts, tmp_path):
    from dataprophet.model.modeling import save_model_dir

    _, processor, model, _ = tiny_parts
    base = tmp_path / "base"
    save_model_dir(model, processor, base)
    prompts = tmp_path / "prompts.parquet"
    write_table(generate_splits("count_shapes", {"train": 16}, seed=0)["train"], prompts)
    return base, prompts


def even_tokens(completions, completion_ids, **_):
    """A planted easy task: the share of the answer's token ids that are even."""
    return [sum(i % 2 == 0 for i in ids) / max(1, len(ids)) for ids in completion_ids]


def test_a_few_grpo_steps_raise_the_reward_on_a_planted_task(tiny_base, tmp_path):
    base, prompts = tiny_base
    settings = GrpoSettings(
        method="full", learning_rate=3e-3, num_generations=4, batch_size=16, max_steps=24, epochs=0,
        max_completion_length=6, beta=0.0, bf16=False, gradient_checkpointing=False, save_steps=100, logging_steps=1,
    )  # fmt: skip
    log = run_grpo(
        base, prompts, tmp_path / "out", tmp_path / "curve.csv", tmp_path / "ck", settings, reward=even_tokens
    )
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert len(curve) == 24 and log["global_step"] == 24
    assert curve["reward"].tail(6).mean() > curve["reward"].head(6).mean() + 0.3
    assert (tmp_path / "out" / "model.safetensors").exists() and not (tmp_path / "out" / "training_args.bin").exists()
    assert not (tmp_path / "ck").exists()  # checkpoints go once the run is saved


def test_the_reward_is_the_targets_own_scorer():
    completions = [[{"role": "assistant", "content": " 3 "}], [{"role": "assistant", "content": "4"}], "red"]
    rewards = target_score(completions, answers=[["3"], ["3"], ["red"]], metric=["exact_match"] * 3)
    assert rewards == [1.0, 0.0, 1.0]
    assert target_score(["three"], answers=[["3"]], metric=["relaxed_numeric"], choices=[None]) == [0.0]


@pytest.mark.integration
def test_a_killed_grpo_run_resumes_from_its_checkpoint(tiny_base, tmp_path):
    base, prompts = tiny_base
    settings = GrpoSettings(
        method="lora", learning_rate=1e-3, num_generations=4, batch_size=8, max_steps=40, epochs=0,
        max_completion_length=4, lora_r=4, lora_alpha=8, bf16=False, gradient_checkpointing=False, save_steps=2,
        logging_steps=1,
    )  # fmt: skip
    out, curve, checkpoints = tmp_path / "rl", tmp_path / "curve.csv", tmp_path / "ck"
    paths = ["--base", base, "--prompts", prompts, "--out", out, "--curve", curve, "--checkpoints", checkpoints]
    import shlex

    command = [sys.executable, "-m", "dataprophet", "grpo", *map(str, paths), *shlex.split(to_flags(settings))]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (checkpoints / "checkpoint-2" / "trainer_state.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists() and any(checkpoints.glob("checkpoint-*"))
    from dataprophet.rl.grpo import grpo

    log = grpo(base, prompts, out, curve, checkpoints, settings)
    assert log["resumed_from_checkpoint"] and log["global_step"] == 40
    assert json.loads((out / "train_log.json").read_text())["resumed_from_checkpoint"]


def test_the_papers_rl_model_class_trains_and_answers_at_tiny_size(tmp_path):
    """Qwen2.5-VL (the paper's RL model) through the same loading, GRPO and evaluation code."""
    from dataprophet.model.modeling import build_tiny_qwen, load_finetuned, load_processor, save_model_dir
    from dataprophet.rl.grpo import grpo
    from dataprophet.settings import EvalSettings
    from dataprophet.truth.evaluate import generate_answers

    texts = [f"how many {c} shapes are there? {n}" for c in ("red", "blue") for n in range(40)]
    from dataprophet.model.modeling import train_tokenizer

    model, processor = build_tiny_qwen(train_tokenizer(texts, 300, qwen_vl=True), seed=0)
    base = tmp_path / "qwen"
    save_model_dir(model, processor, base)
    assert json.loads((base / "config.json").read_text())["model_type"] == "qwen2_5_vl"
    prompts = tmp_path / "prompts.parquet"
    rows = generate_splits("count_shapes", {"train": 8}, seed=0)["train"]
    write_table(rows, prompts)
    settings = GrpoSettings(
        method="lora", learning_rate=1e-3, num_generations=4, batch_size=8, max_steps=2, epochs=0,
        max_completion_length=4, lora_r=4, lora_alpha=8, bf16=False, gradient_checkpointing=False, save_steps=1,
        lora_target=r".*language_model.*\.(q_proj|v_proj)",
    )  # fmt: skip
    log = grpo(base, prompts, tmp_path / "rl", tmp_path / "curve.csv", tmp_path / "ck", settings)
    assert log["global_step"] == 2 and (tmp_path / "rl" / "adapter_model.safetensors").exists()
    assert log["prompts"] == 8 and log["prompts_dropped_too_long"] == 0
    tuned = load_finetuned(base, tmp_path / "rl")
    answers = generate_answers(tuned, load_processor(base), pd.DataFrame(rows[:4]), EvalSettings(batch_size=4))
    assert len(answers) == 4 and all(isinstance(a, str) for a in answers)


# ----------------------------------------------------------------------------- the table


def test_the_table_puts_every_run_beside_the_paper():
    datasets = ["chart_bar", "count_shapes"]
    no_rl = {"chart_bar": 0.5, "count_shapes": 0.2}
    table = build_table(no_rl, {"equal": {"chart_bar": 0.6, "count_shapes": 0.3}}, datasets)
    assert list(table.columns) == ["no_rl", "equal"] and table.loc["Average", "equal"] == pytest.approx(45.0)
    side = paper_side(table, {"chart_bar": "ChartQA", "count_shapes": "CLEVR-Counting"}).set_index(["row", "run"])
    assert side.loc[("chart_bar", "equal"), "paper"] == 71 and side.loc[("Average", "no_rl"), "paper"] == 55.7
    assert side.loc[("Average, paper recomputed from its rows", "equal"), "paper"] == pytest.approx(58.2857, abs=1e-3)
    with pytest.raises(ValueError, match="no score on"):
        build_table(no_rl, {"equal": {"chart_bar": 0.6}}, datasets)


def _moved_share(model, dtype: torch.dtype, lr: float = 1e-6) -> float:
    """The share of weights with a gradient that a single AdamW step at ``lr`` changes, held in
    ``dtype`` and the forward pass under bf16 autocast (the GPU recipe's compute)."""
    import copy

    policy = copy.deepcopy(model).to(dtype).train()
    before = [p.detach().clone() for p in policy.parameters()]
    optimizer = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.01)
    ids = torch.randint(3, 200, (2, 12))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = policy.model.language_model(input_ids=ids).last_hidden_state
        loss = policy.lm_head(logits).float().logsumexp(-1).mean()
    loss.backward()
    optimizer.step()
    # over the weights the loss reached (the vision tower and unused embedding rows get no gradient)
    reached = [(p, b, p.grad != 0) for p, b in zip(policy.parameters(), before) if p.grad is not None]
    moved = sum(int(((p.detach() != b) & g).sum()) for p, b, g in reached)
    return moved / sum(int(g.sum()) for _, _, g in reached)


def test_full_grpo_keeps_fp32_master_weights_so_a_small_step_moves_them(tiny_parts):
    from dataprophet.rl.grpo import policy_dtype

    _, _, model, _ = tiny_parts
    full = GrpoSettings(method="full", bf16=True)
    assert policy_dtype(full, on_gpu=True) == "float32"  # bf16 compute, fp32 weights
    assert policy_dtype(GrpoSettings(method="lora", bf16=True), on_gpu=True) == "bfloat16"  # frozen base only
    # What that choice is for: at verl's lr 1e-6 one step moves (nearly) every fp32 weight,
    # while pure bf16 weights round most updates away.
    fp32 = _moved_share(model, getattr(torch, policy_dtype(full, on_gpu=True)))
    bf16 = _moved_share(model, torch.bfloat16)
    assert fp32 > 0.9, fp32
    assert bf16 < 0.2, bf16


# ----------------------------------------------------------------------------- prompt size


def test_qwen_pixel_limit_lowers_the_image_tokens_and_never_raises_them(tmp_path):
    from PIL import Image

    from dataprophet.model.modeling import build_tiny_qwen, load_processor, save_model_dir, train_tokenizer

    model, processor = build_tiny_qwen(train_tokenizer(["how many shapes? 3"], 300, qwen_vl=True), seed=0)
    save_model_dir(model, processor, tmp_path / "qwen")  # its processor allows 112 x 112 pixels
    page = [Image.new("RGB", (1000, 1000), "white")]

    def grid(max_pixels):
        return load_processor(tmp_path / "qwen", max_pixels=max_pixels).image_processor(images=page)["image_grid_thw"]

    assert grid(None).prod().item() == 64  # 8 x 8 patches of 14 px: 16 image tokens after the 2x2 merge
    assert grid(56 * 56).prod().item() == 16  # a quarter of the pixels: 4 image tokens
    assert grid(10**8).prod().item() == 64  # above the checkpoint's own limit: unchanged


def test_prompts_over_the_token_limit_are_dropped_and_counted(tiny_parts, capsys):
    from dataprophet.rl.grpo import drop_long_prompts, prompt_lengths

    _, processor, _, _ = tiny_parts
    rows = generate_splits("count_shapes", {"train": 6}, seed=0)["train"]
    for row in rows[:2]:
        row["question"] = row["question"] + " please count every shape in the picture" * 6
    frame = pd.DataFrame(rows)
    lengths = prompt_lengths(frame, processor)
    short, long = max(lengths[2:]), min(lengths[:2])
    assert long > short  # the image tokens are in both; only the text differs
    kept, dropped = drop_long_prompts(frame, processor, short, "prompts.parquet")
    assert dropped == 2 and kept["id"].tolist() == frame["id"].tolist()[2:]
    assert "2 of 6 prompts are longer than" in capsys.readouterr().out
    assert drop_long_prompts(frame, processor, 0, "prompts.parquet")[1] == 0  # 0: no filter
    with pytest.raises(ValueError, match=r"prompts\.parquet: every prompt is longer than max_prompt_tokens=5"):
        drop_long_prompts(frame, processor, 5, "prompts.parquet")


def test_grpo_settings_default_to_verls_prompt_limit():
    settings = GrpoSettings()
    assert settings.max_prompt_tokens == 1024 and settings.max_pixels == 512 * 28 * 28
    with pytest.raises(ConfigError, match="max_pixels"):
        GrpoSettings(max_pixels=100)
