"""Fine-tuning and evaluation throughput of an InternVL3-2B-shaped model on one GPU.

Builds ``InternVLForConditionalGeneration`` with random weights from the architecture stored in
``config/models/internvl3_2b.json`` (nothing is downloaded), then on synthetic batches shaped
like the paper study's samples (N tiles of 448x448 pixels, 256 image tokens per tile after pixel
shuffle, plus ~100 question/answer text tokens, labels on the answer tokens only):

1. ``--warmup`` + ``--steps`` full fine-tuning steps (AdamW; vision tower frozen by default, as
   in InternVL's fine-tuning recipe; projector and language model trained), in bf16;
2. one evaluation batch: a forward pass over the prompts (prefill) and a greedy ``generate``
   of ``--gen-tokens`` new tokens.

It prints tokens/s and samples/s of training, step seconds, peak GPU memory
(``torch.cuda.max_memory_allocated``), model FLOPs utilisation (MFU), the evaluation speed,
and the GPU-hours the paper study would take on this GPU at the measured speed
(14 fine-tunes x 20K samples x 1 epoch, plus 15 models x 14 targets x 1K evaluation samples).

Reproduce on one GPU (replaces the calculated estimate in docs/compute_estimate.md with a measurement):
    python bench/gpu_step.py --steps 20
    python bench/gpu_step.py --steps 20 --gradient-checkpointing --batch-size 16
CPU smoke check (toy-sized config, float32; the printed numbers mean nothing):
    python bench/gpu_step.py --tiny --steps 2 --warmup 1
The calculated estimate (no model, no GPU) is bench/compute_estimate.py, which holds the FLOP
count (``Shape``) used here for MFU; its docstring gives the formula:
  MFU         = FLOPs per step / (step seconds * peak dense bf16 FLOP/s of the device)
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from compute_estimate import DEFAULT_CONFIG, STUDY, Shape, pair, row
from compute_estimate import load_config_dict as _stored_config_dict

# Dense (no sparsity) bf16 tensor-core peak, TFLOP/s, by substring of torch.cuda.get_device_name().
# Order matters: the more specific names first.
PEAK_BF16_TFLOPS = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H200", 989.4),
    ("H100", 989.4),  # SXM
    ("GH200", 989.4),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("A6000", 154.8),
    ("A10", 125.0),
    ("L4", 121.0),
    ("V100", 125.0),  # fp16; V100 has no bf16
)

TINY = {
    "vision_config": {
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "image_size": [64, 64],
        "patch_size": [8, 8],
    },
    "text_config": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 128,
        "vocab_size": 1024,
        "bos_token_id": 996,
        "eos_token_id": 997,
        "max_position_embeddings": 2048,
    },
    "image_token_id": 1000,
}

# --------------------------------------------------------------------------------------------
# Configuration


def load_config_dict(path: Path = DEFAULT_CONFIG, tiny: bool = False) -> dict:
    """The stored InternVLConfig dict, without its "_comment"-style keys; shrunk with tiny=True."""
    data = _stored_config_dict(path)
    if tiny:
        for key, value in TINY.items():
            if isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    return data


def load_config(path: Path = DEFAULT_CONFIG, tiny: bool = False):
    from transformers import InternVLConfig

    return InternVLConfig(**load_config_dict(path, tiny))


# --------------------------------------------------------------------------------------------
# Synthetic batches


@dataclass
class Layout:
    tiles: int
    tokens_per_tile: int
    prompt_text: int  # text tokens before the answer (system/user template + question)
    answer: int

    @property
    def image_tokens(self) -> int:
        return self.tiles * self.tokens_per_tile

    @property
    def prompt_len(self) -> int:
        return self.image_tokens + 2 + self.prompt_text  # + <img> and </img>

    @property
    def seq_len(self) -> int:
        return self.prompt_len + self.answer


def make_batch(cfg, layout: Layout, batch: int, device, dtype, with_answer: bool, gen: torch.Generator):
    """input_ids / attention_mask / pixel_values (/ labels): [text] <img> IMG*n </img> [text] [answer]."""
    image_id = int(cfg.image_token_id)
    start_id, end_id = image_id - 2, image_id - 1  # <img>, </img> (151665, 151666 in InternVL3)
    tc = cfg.text_config
    specials = [x for x in (tc.bos_token_id, tc.eos_token_id) if isinstance(x, int)]
    text_hi = min([start_id, *specials])  # ordinary text ids lie below every special token
    head = layout.prompt_text // 2
    tail = layout.prompt_text - head
    answer = layout.answer if with_answer else 0

    def text(n):
        return torch.randint(0, text_hi, (batch, n), generator=gen)

    parts = [
        text(head),
        torch.full((batch, 1), start_id),
        torch.full((batch, layout.image_tokens), image_id),
        torch.full((batch, 1), end_id),
        text(tail),
        text(answer),
    ]
    input_ids = torch.cat(parts, dim=1)
    out = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
    if with_answer:
        labels = torch.full_like(input_ids, -100)
        labels[:, -answer:] = input_ids[:, -answer:]  # loss on the answer tokens only
        out["labels"] = labels
    size = pair(cfg.vision_config.image_size)
    out["pixel_values"] = torch.randn(batch * layout.tiles, 3, size[0], size[1], generator=gen)
    out = {k: v.to(device) for k, v in out.items()}
    out["pixel_values"] = out["pixel_values"].to(dtype)
    return out


# --------------------------------------------------------------------------------------------
# Measurement


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_mem_gib(device) -> float | None:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return None


def _host_rss_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def peak_tflops(device, override: float | None) -> tuple[float | None, str]:
    if override:
        return override, "--peak-tflops"
    if device.type != "cuda":
        return None, "no GPU"
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_BF16_TFLOPS:
        if key in name:
            return value, f"table ({key})"
    return None, f"unknown device {name!r}: pass --peak-tflops"


def pick_attention(requested: str, device) -> str:
    if requested != "auto":
        return requested
    if device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def build_model(cfg, device, dtype, attn: str):
    from transformers import InternVLForConditionalGeneration

    with torch.device(device):
        model = InternVLForConditionalGeneration._from_config(cfg, dtype=dtype, attn_implementation=attn)
    return model


def _count(n: int) -> str:
    return f"{n / 1e9:.3f}B" if n >= 1e8 else f"{n / 1e6:.2f}M"


def fmt_hours(h: float) -> str:
    return f"{h:,.2f}"


def study_hours(train_samples_per_s: float, eval_seconds_per_sample: float) -> dict:
    s = STUDY
    train_samples = s["sources"] * s["train_samples"] * s["epochs"]
    eval_samples = s["eval_models"] * s["targets"] * s["test_samples"]
    train_h = train_samples / train_samples_per_s / 3600
    eval_h = eval_samples * eval_seconds_per_sample / 3600
    return {"train": train_h, "eval": eval_h, "total": train_h + eval_h}


def run(args) -> None:
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    device = torch.device(args.device)
    if args.dtype == "auto":
        args.dtype = "fp32" if device.type == "cpu" else "bf16"
    # bf16: weights, gradients and AdamW states in bf16. amp: fp32 weights/states, bf16 autocast
    # (closer to the toolkits' mixed precision in memory; about the same step time).
    param_dtype = {"bf16": torch.bfloat16, "fp32": torch.float32, "amp": torch.float32}[args.dtype]
    autocast = args.dtype == "amp"

    cfg = load_config(args.config, tiny=args.tiny)
    shape = Shape.from_dict(load_config_dict(args.config, tiny=args.tiny))
    attn = pick_attention(args.attn, device)
    model = build_model(cfg, device, param_dtype, attn)
    if not args.train_vision:
        model.model.vision_tower.requires_grad_(False)
    if args.gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.x name
            model.activation_checkpointing_enable({"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    n_all = sum(p.numel() for p in model.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_train = sum(p.numel() for p in trainable)
    fused = {"fused": True} if device.type == "cuda" else {}
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0, **fused)

    layout = Layout(args.tiles, shape.tokens_per_tile, args.text_tokens - args.answer_tokens, args.answer_tokens)
    batch = make_batch(cfg, layout, args.batch_size, device, param_dtype, with_answer=True, gen=gen)
    seq = layout.seq_len

    model.train()
    times = []
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for step in range(args.warmup + args.steps):
        _sync(device)
        t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = model(**batch, use_cache=False).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _sync(device)
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
    if not math.isfinite(loss.item()):
        sys.exit(f"training loss is not finite: {loss.item()}")
    train_peak = _peak_mem_gib(device)

    step_s = sum(times) / len(times)
    tokens_per_s = args.batch_size * seq / step_s
    samples_per_s = args.batch_size / step_s
    model_flops, hw_flops = shape.train_flops(args.tiles, seq, args.train_vision, args.gradient_checkpointing)
    peak, peak_source = peak_tflops(device, args.peak_tflops)
    mfu = model_flops * args.batch_size / step_s / (peak * 1e12) if peak else None
    hfu = hw_flops * args.batch_size / step_s / (peak * 1e12) if peak else None

    # ---- evaluation batch: prefill forward, then greedy generation
    del optimizer
    for p in model.parameters():
        p.grad = None
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model.eval()
    ev = make_batch(cfg, layout, args.eval_batch_size, device, param_dtype, with_answer=False, gen=gen)
    eos = cfg.text_config.eos_token_id
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        # logits of the last position only, as generate's prefill does
        model(**ev, use_cache=False, logits_to_keep=1)  # warm-up of the eval shapes
        _sync(device)
        t0 = time.perf_counter()
        model(**ev, use_cache=False, logits_to_keep=1)
        _sync(device)
        prefill_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = model.generate(
            **ev,
            max_new_tokens=args.gen_tokens,
            min_new_tokens=args.gen_tokens,
            do_sample=False,
            pad_token_id=eos if isinstance(eos, int) else None,
        )
        _sync(device)
        generate_s = time.perf_counter() - t0
    new_tokens = out.shape[1] - ev["input_ids"].shape[1]
    eval_peak = _peak_mem_gib(device)
    eval_s_per_sample = generate_s / args.eval_batch_size
    hours = study_hours(samples_per_s, eval_s_per_sample)

    # ---- report
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print("InternVL3-2B-shaped fine-tuning benchmark" + (" (--tiny: smoke check only)" if args.tiny else ""))
    row("device", dev_name)
    row("config", f"{Path(args.config).name}{' (tiny)' if args.tiny else ''}")
    row("parameters (all / trainable)", f"{_count(n_all)} / {_count(n_train)}")
    row("precision / attention", f"{args.dtype} / {attn}")
    row("vision tower", "trained" if args.train_vision else "frozen")
    row("gradient checkpointing", "on" if args.gradient_checkpointing else "off")
    row(
        "sample shape",
        f"{args.tiles} tiles x {shape.tokens_per_tile} image tokens + {args.text_tokens} text "
        f"({args.answer_tokens} answer) = {seq} tokens",
    )
    row("batch size (train / eval)", f"{args.batch_size} / {args.eval_batch_size}")
    row("timed steps (after warmup)", f"{len(times)} (+{args.warmup})")
    row("final loss", f"{loss.item():.3f}")
    row("step seconds (mean / median)", f"{step_s:.4f} / {statistics.median(times):.4f}")
    row("tokens/s (train)", f"{tokens_per_s:,.0f}")
    row("samples/s (train)", f"{samples_per_s:,.2f}")
    if train_peak is not None:
        row("peak GPU memory train (GiB)", f"{train_peak:.2f}")
        row("peak GPU memory eval (GiB)", f"{eval_peak:.2f}")
    else:
        row("peak host RSS (GiB)", f"{_host_rss_gib():.2f} (no GPU)")
    row("model TFLOPs per sample (train)", f"{model_flops / 1e12:.4g}")
    row("peak bf16 TFLOP/s", f"{peak:.1f} [{peak_source}]" if peak else f"n/a [{peak_source}]")
    row("MFU", f"{100 * mfu:.1f}%" if mfu is not None else "n/a")
    if args.gradient_checkpointing:
        row("HFU (with recompute)", f"{100 * hfu:.1f}%" if hfu is not None else "n/a")
    row("eval prefill seconds / batch", f"{prefill_s:.4f}")
    row("eval generate seconds / batch", f"{generate_s:.4f} ({new_tokens} new tokens)")
    row("eval samples/s (generate)", f"{args.eval_batch_size / generate_s:,.2f}")
    print()
    print("Study GPU-hours at these speeds (this device, 1 GPU, compute only, same sample shape):")
    s = STUDY
    row(f"fine-tune {s['sources']} x {s['train_samples']:,} x {s['epochs']} ep", fmt_hours(hours["train"]))
    row(
        f"evaluate {s['eval_models']} x {s['targets']} x {s['test_samples']:,}",
        fmt_hours(hours["eval"]) + f" (answers of {new_tokens} tokens)",
    )
    row("study GPU-hours", fmt_hours(hours["total"]))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="InternVLConfig JSON (no download)")
    p.add_argument("--tiny", action="store_true", help="toy-sized config on CPU in float32 (smoke test)")
    p.add_argument("--device", default=None, help="default: cuda if available (cpu with --tiny)")
    p.add_argument("--dtype", choices=("auto", "bf16", "amp", "fp32"), default="auto")
    p.add_argument("--attn", default="auto", help="auto (flash_attention_2 if installed, else sdpa), sdpa, eager")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--train-vision", action="store_true", help="also train the vision tower (default: frozen)")
    p.add_argument("--batch-size", type=int, default=None, help="per-GPU samples per step (default 8; 2 tiny)")
    p.add_argument("--eval-batch-size", type=int, default=None, help="default 64 (2 with --tiny)")
    p.add_argument("--tiles", type=int, default=None, help="448px tiles per sample (default 4)")
    p.add_argument("--text-tokens", type=int, default=100, help="question + answer + template tokens")
    p.add_argument("--answer-tokens", type=int, default=20, help="supervised answer tokens (in --text-tokens)")
    p.add_argument("--gen-tokens", type=int, default=None, help="tokens generated in eval (default 10; 4 tiny)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--peak-tflops", type=float, default=None, help="device peak dense bf16 TFLOP/s")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.device is None:
        args.device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if args.batch_size is None:
        args.batch_size = 2 if args.tiny else 8
    if args.eval_batch_size is None:
        args.eval_batch_size = 2 if args.tiny else 64
    if args.gen_tokens is None:
        args.gen_tokens = 4 if args.tiny else 10
    if args.tiles is None:
        args.tiles = 4
    if args.steps < 1 or args.warmup < 0 or args.tiles < 1:
        p.error("--steps and --tiles must be at least 1, --warmup at least 0")
    if not 0 < args.answer_tokens < args.text_tokens:
        p.error("--answer-tokens must be positive and smaller than --text-tokens")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.device == "cpu":
        torch.set_num_threads(1)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("no CUDA device: run on a GPU, or use --tiny (CPU smoke check); bench/compute_estimate.py calculates")
    if args.device == "cpu" and not args.tiny:
        print("warning: full-size model on CPU: very slow; --tiny is the CPU smoke check", file=sys.stderr)
    run(args)


if __name__ == "__main__":
    main()
