"""Fine-tuning with two processes (DDP over gloo on CPU), run for real at tiny size.

On a multi-GPU node the workflow starts fine-tunes with `accelerate launch --num_processes N`,
which runs torch's elastic launcher (torchrun) underneath; accelerate's --cpu mode runs a
single process, so here torchrun starts the two processes directly. What is tested is what
runs inside them: the Trainer's distributed setup, rank-0 checkpoint handling and saving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from workflow_run import finetune_arguments

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import write_table
from dataprophet.model.modeling import load_base, load_finetuned, save_model_dir
from dataprophet.settings import TrainSettings

ROOT = Path(__file__).resolve().parents[2]
# The paper recipe's shape at tiny size: full fine-tuning, vision tower and projector frozen,
# one epoch over the data (not a step count).
SETTINGS = TrainSettings(
    method="full",
    learning_rate=1e-3,
    max_steps=0,
    epochs=1,
    batch_size=4,
    save_steps=4,
    freeze_vision=True,
    freeze_projector=True,
    logging_steps=2,
)


def _launch(root: Path, processes: int, out: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        str(processes),
        "-m",
        "dataprophet.cli",
        *finetune_arguments(root, out, SETTINGS),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.integration
def test_two_process_finetune(tmp_path, tiny_parts):
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "base")
    write_table(generate_splits("chart_bar", {"train": 32}, seed=5)["train"], tmp_path / "train.parquet")

    result = _launch(tmp_path, 2, "ft")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    log = json.loads((tmp_path / "ft" / "train_log.json").read_text())
    # 32 samples, 2 processes x batch 4 = 8 per step, one epoch: 4 optimizer steps.
    assert log["world_size"] == 2 and log["global_step"] == 4
    assert log["settings"]["freeze_vision"] is True
    # Only the language model moved; the frozen vision tower is bit-identical to the base.
    tuned = load_finetuned(tmp_path / "base", tmp_path / "ft")
    base = load_base(tmp_path / "base")
    vision = dict(base.model.vision_tower.named_parameters())
    assert all(torch.equal(p, vision[n]) for n, p in tuned.model.vision_tower.named_parameters())
    lm_base = dict(base.model.language_model.named_parameters())
    assert any(not torch.equal(p, lm_base[n]) for n, p in tuned.model.language_model.named_parameters())
    # Checkpoints are cleaned up and no staging folder is left behind.
    assert not (tmp_path / "ft.ckpt").exists() and not (tmp_path / ".ft.staging").exists()
