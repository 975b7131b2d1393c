"""The GPU benchmark (bench/gpu_step.py) and the InternVL3-2B architecture it builds.

Nothing here needs a GPU or the network: the full-size model is only built on the meta device,
and the benchmark runs at toy size on CPU (--tiny). The FLOP count it shares with the calculated
estimate (bench/compute_estimate.py's Shape) is checked against torch's FLOP counter here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from load_script import load_script
from netguard.guarded import offline_env

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config" / "models" / "internvl3_2b.json"
BENCH = ROOT / "bench" / "gpu_step.py"


def _bench_module():
    return load_script(BENCH)  # gpu_step imports compute_estimate beside it


def _stored_config():
    from transformers import InternVLConfig

    data = json.loads(CONFIG.read_text())
    assert "_comment" in data  # says which values are unverified
    return InternVLConfig(**{k: v for k, v in data.items() if not k.startswith("_")})


def test_stored_config_has_published_sizes():
    cfg = _stored_config()
    assert cfg.model_type == "internvl"
    assert (cfg.image_token_id, cfg.image_seq_length, cfg.downsample_ratio) == (151667, 256, 0.5)
    assert cfg.projector_hidden_act == "gelu"
    v = cfg.vision_config  # InternViT-300M-448px-V2.5
    assert v.model_type == "internvl_vision"
    assert (v.hidden_size, v.num_hidden_layers, v.num_attention_heads, v.intermediate_size) == (1024, 24, 16, 4096)
    assert tuple(v.image_size) == (448, 448) and tuple(v.patch_size) == (14, 14)
    assert v.norm_type == "layer_norm" and v.attention_bias and not v.use_qk_norm
    t = cfg.text_config  # Qwen2.5-1.5B
    assert t.model_type == "qwen2"
    assert (t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.num_key_value_heads) == (1536, 28, 12, 2)
    assert t.intermediate_size == 8960 and t.vocab_size == 151674
    assert t.max_position_embeddings == 32768 and t.rms_norm_eps == 1e-6
    assert t.rope_parameters["rope_theta"] == 1e6
    # 448 / 14 = 32 patches a side; pixel shuffle 0.5 -> 16 x 16 = 256 tokens per tile
    assert (448 // 14 * cfg.downsample_ratio) ** 2 == cfg.image_seq_length


def test_meta_model_has_about_2_1b_parameters():
    from transformers import InternVLForConditionalGeneration

    with torch.device("meta"):
        model = InternVLForConditionalGeneration(_stored_config())

    def count(module):
        return sum(p.numel() for p in module.parameters())

    total = count(model)
    vision = count(model.model.vision_tower)
    language = count(model.model.language_model) + count(model.lm_head)
    print(f"parameters: total {total:,}, vision {vision:,}, language model {language:,}")
    # InternVL3-2B is published as 2.1B parameters; accept 2.05B..2.15B
    assert 2.05e9 <= total <= 2.15e9
    assert 0.29e9 <= vision <= 0.32e9  # InternViT-300M
    assert 1.70e9 <= language <= 1.85e9  # Qwen2.5-1.5B with an untied lm_head
    # the published bf16 checkpoint (model.safetensors) is 4.18 GB: 2 bytes per parameter
    assert abs(2 * total / 1e9 - 4.18) < 0.02
    assert model.lm_head.weight is not model.model.language_model.embed_tokens.weight


@pytest.mark.parametrize("train_vision", [False, True])
def test_flop_formula_matches_flop_counter(train_vision):
    """The MFU numerator equals torch's FLOP count of one training step (eager attention)."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(1)
    bench = _bench_module()
    cfg = bench.load_config(tiny=True)
    shape = bench.Shape.from_dict(bench.load_config_dict(tiny=True))
    model = bench.build_model(cfg, torch.device("cpu"), torch.float32, "eager")
    if not train_vision:
        model.model.vision_tower.requires_grad_(False)
    layout = bench.Layout(3, shape.tokens_per_tile, 80, 20)
    batch = bench.make_batch(cfg, layout, 2, torch.device("cpu"), torch.float32, True, torch.Generator().manual_seed(0))
    counter = FlopCounterMode(display=False)
    with counter:
        model(**batch, use_cache=False).loss.backward()
    per_sample, _ = shape.train_flops(3, layout.seq_len, train_vision)
    assert counter.get_total_flops() == 2 * per_sample


def _run(*args: str, tmp_path: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    netlog = tmp_path / "network_attempts.log"
    env = offline_env(netlog, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, str(BENCH), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not netlog.exists() or not netlog.read_text().strip(), netlog.read_text()
    return result


@pytest.mark.integration  # a subprocess that builds and trains a toy model
def test_tiny_benchmark_runs_on_cpu(tmp_path):
    out = _run("--tiny", "--steps", "2", "--warmup", "1", tmp_path=tmp_path).stdout
    for key in (
        "tokens/s (train)",
        "samples/s (train)",
        "step seconds (mean / median)",
        "peak host RSS (GiB)",
        "MFU",
        "eval generate seconds / batch",
        "study GPU-hours",
    ):
        assert key in out, f"{key!r} missing from:\n{out}"
    assert re.search(r"timed steps \(after warmup\)\s+2 \(\+1\)", out), out
    assert "(4 new tokens)" in out
