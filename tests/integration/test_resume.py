"""A fine-tune killed with SIGKILL resumes from its last checkpoint and ends where an
uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from workflow_run import finetune_arguments

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import write_table
from dataprophet.model.modeling import save_model_dir
from dataprophet.settings import TrainSettings

SETTINGS = TrainSettings(method="lora", learning_rate=2e-3, max_steps=60, batch_size=8, save_steps=10, logging_steps=10)


@pytest.fixture(scope="module")
def base_and_data(tmp_path_factory, tiny_parts):
    root = tmp_path_factory.mktemp("resume")
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, root / "base")
    records = generate_splits("chart_bar", {"train": 64}, seed=3)["train"]
    write_table(records, root / "train.parquet")
    return root


def _command(root: Path, out: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dataprophet.cli",
        *finetune_arguments(root, out, SETTINGS),
    ]


# Runs `dataprophet <args>` in-process with torch.load recording its file and weights_only flag.
LOAD_RECORDER = """
import json, sys, torch
calls, original = [], torch.load
def recording_load(f, *args, **kwargs):
    calls.append({"file": str(f), "weights_only": kwargs.get("weights_only")})
    return original(f, *args, **kwargs)
torch.load = recording_load
from dataprophet.cli import main
code = main(sys.argv[1:])
print(json.dumps(calls))
sys.exit(code)
"""


def _adapter(path: Path) -> dict[str, torch.Tensor]:
    return load_file(path / "adapter_model.safetensors")


def test_killed_finetune_resumes_to_the_uninterrupted_result(base_and_data):
    root = base_and_data
    subprocess.run(_command(root, "straight"), check=True, capture_output=True)

    process = subprocess.Popen(_command(root, "killed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = root / "killed.ckpt" / "checkpoint-30" / "trainer_state.json"
    deadline = time.time() + 120
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert checkpoint.exists(), "the run ended before its checkpoint could be observed"
    assert not (root / "killed").exists()  # no finished-looking output after a kill

    # Resume with torch.load wrapped: every checkpoint file (optimizer, scheduler, RNG state)
    # must be read with weights_only=True, so a tampered checkpoint cannot run code.
    resumed_run = subprocess.run(
        [sys.executable, "-c", LOAD_RECORDER, *_command(root, "killed")[3:]], check=True, capture_output=True, text=True
    )
    loads = json.loads(resumed_run.stdout.strip().splitlines()[-1])
    assert loads and all(call["weights_only"] is True for call in loads), loads
    assert any(call["file"].endswith("optimizer.pt") for call in loads)
    log = json.loads((root / "killed" / "train_log.json").read_text())
    assert log["resumed_from_checkpoint"] is True
    assert log["global_step"] == SETTINGS.max_steps
    straight, resumed = _adapter(root / "straight"), _adapter(root / "killed")
    assert straight.keys() == resumed.keys()
    for name in straight:
        torch.testing.assert_close(resumed[name], straight[name], atol=1e-5, rtol=1e-4)
    assert not (root / "killed.ckpt").exists()  # checkpoints are cleared once finished


def test_partial_checkpoint_is_discarded(tmp_path):
    from dataprophet.model.train import latest_complete_checkpoint

    good = tmp_path / "checkpoint-10"
    good.mkdir()
    for name in ("trainer_state.json", "optimizer.pt", "scheduler.pt", "adapter_model.safetensors"):
        (good / name).write_text("x")
    partial = tmp_path / "checkpoint-20"
    partial.mkdir()
    (partial / "adapter_model.safetensors").write_text("x")
    assert latest_complete_checkpoint(tmp_path) == good
    assert not partial.exists()


@pytest.mark.parametrize(
    "layout",
    [
        ("optimizer_0/", "pytorch_model_fsdp_0/"),  # FSDP sharded state
        ("optimizer.bin", "model.safetensors"),  # FSDP full state
        ("global_step40/", "model.safetensors"),  # DeepSpeed ZeRO
    ],
)
def test_fsdp_and_deepspeed_checkpoints_count_as_complete(tmp_path, layout):
    """A preempted FSDP or ZeRO fine-tune resumes too: their optimizer state is not optimizer.pt."""
    from dataprophet.model.train import latest_complete_checkpoint

    checkpoint = tmp_path / "checkpoint-40"
    checkpoint.mkdir()
    (checkpoint / "trainer_state.json").write_text("{}")
    for name in layout:
        target = checkpoint / name.rstrip("/")
        target.mkdir() if name.endswith("/") else target.write_text("x")
    assert latest_complete_checkpoint(tmp_path) == checkpoint
    (checkpoint / "trainer_state.json").unlink()  # killed before the state was written
    assert latest_complete_checkpoint(tmp_path) is None and not checkpoint.exists()
