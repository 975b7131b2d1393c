"""The paper study's GPU-hours by calculation (CALCULATED, NOT MEASURED): docs/compute_estimate.md.

No model is built and no GPU is needed. The numbers come from the architecture stored in
``config/models/internvl3_2b.json``, a FLOP count of one sample (``Shape``; the same count that
``bench/gpu_step.py`` uses for its measured MFU) and an *assumed* hardware utilisation (``--mfu``).

Reproduce the tables of docs/compute_estimate.md (each runs in seconds on a CPU):
    python bench/compute_estimate.py                    # the study as config/paper.yaml sets it up, by dataset
    python bench/compute_estimate.py --eval-tiles 1     # evaluation at one tile too
    python bench/compute_estimate.py --max-tiles 6      # training tiles: 7 for most images
    python bench/compute_estimate.py --tiles 4          # one assumed tile count for every sample
    python bench/compute_estimate.py --tiles 1          # the same at the 1-tile shapes of config/paper.yaml
By dataset, each dataset's tile count is what transformers' InternVL (GOT-OCR2) image processor
makes of an image of its typical size (``TYPICAL_IMAGE_SIZE``), or of the median size of the
prepared tables with ``--data results/paper/data/train``; the selection and synthetic mixtures'
fine-tunes are priced at the mean tile count over the sources.

FLOP formula (model FLOPs, PaLM convention: attention counted without the causal discount,
activation recomputation not counted; the hardware count adds one forward of the checkpointed layers):
  per sample  = v * tiles * F_vit  +  3 * tiles * t_img * 2 * N_proj  +  3 * T * (2 * N_lm + 4 * L * T * d_attn)
  F_vit       = 2 * N_vit * P + 2 * N_patch * (P - 1) + 4 * L_v * P^2 * d_v   (forward of one 448px tile, P = 1025)
  v           = 1 with a frozen vision tower (forward only: nothing before it needs a gradient), 3 if trained
  N_*         = weight-matrix parameters (embedding lookup excluded, lm_head included: logits are
                computed at every position), T = sequence length, t_img = 256 image tokens per tile
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config" / "models" / "internvl3_2b.json"

# The paper study (DataProphet, ICLR 2026): one fine-tune per source, every model on every target.
STUDY = {
    "sources": 14,
    "train_samples": 20_000,
    "epochs": 1,
    "eval_models": 15,  # the base model and the 14 fine-tunes
    "targets": 14,
    "test_samples": 1_000,
}

# Batched greedy decoding is bound by kernel launches and memory traffic, not FLOPs; the estimate
# charges each decode step a fixed time (--decode-step-ms on H100, this factor more on A100).
A100_DECODE_FACTOR = 1.5

# --------------------------------------------------------------------------------------------
# Configuration


def load_config_dict(path: Path = DEFAULT_CONFIG) -> dict:
    """The stored InternVLConfig dict, without its "_comment"-style keys."""
    data = json.loads(Path(path).read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def pair(x) -> tuple[int, int]:
    """An image or patch size given as one number or a pair, as (first, second)."""
    return (int(x[0]), int(x[1])) if isinstance(x, (list, tuple)) else (int(x), int(x))


@dataclass(frozen=True)
class Shape:
    """Architecture numbers the FLOP count needs, read from an InternVLConfig dict."""

    # vision tower
    v_hidden: int
    v_layers: int
    v_ff: int
    v_patch: int
    v_grid: int  # patches per side of one tile
    # projector / pixel shuffle
    shuffle: int  # 1 / downsample_ratio
    # language model
    hidden: int
    layers: int
    ff: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int

    @classmethod
    def from_dict(cls, cfg: dict) -> Shape:
        v, t = cfg["vision_config"], cfg["text_config"]
        image, patch = pair(v["image_size"]), pair(v["patch_size"])
        heads = int(t["num_attention_heads"])
        return cls(
            v_hidden=int(v["hidden_size"]),
            v_layers=int(v["num_hidden_layers"]),
            v_ff=int(v["intermediate_size"]),
            v_patch=patch[0],
            v_grid=image[0] // patch[0],
            shuffle=round(1 / float(cfg.get("downsample_ratio", 0.5))),
            hidden=int(t["hidden_size"]),
            layers=int(t["num_hidden_layers"]),
            ff=int(t["intermediate_size"]),
            heads=heads,
            kv_heads=int(t.get("num_key_value_heads") or heads),
            head_dim=int(t.get("head_dim") or int(t["hidden_size"]) // heads),
            vocab=int(t["vocab_size"]),
        )

    # --- sizes
    @property
    def tokens_per_tile(self) -> int:
        return (self.v_grid // self.shuffle) ** 2

    @property
    def vit_positions(self) -> int:
        return self.v_grid**2 + 1  # patches + class token

    @property
    def n_vit(self) -> int:
        """Vision weight matrices: q, k, v, o and the two MLP matrices per layer (patch conv apart)."""
        d = self.v_hidden
        return self.v_layers * (4 * d * d + 2 * d * self.v_ff)

    @property
    def n_patch(self) -> int:
        return 3 * self.v_patch * self.v_patch * self.v_hidden

    @property
    def n_proj(self) -> int:
        wide = self.v_hidden * self.shuffle**2
        return wide * self.hidden + self.hidden * self.hidden

    @property
    def n_lm(self) -> int:
        """LM weight matrices per token: q, k, v, o, gate/up/down per layer, plus lm_head."""
        d, a, kv = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim
        per_layer = d * a + 2 * d * kv + a * d + 3 * d * self.ff
        return self.layers * per_layer + d * self.vocab

    # --- forward FLOPs
    def vit_forward_per_tile(self) -> float:
        p = self.vit_positions
        return 2 * self.n_vit * p + 2 * self.n_patch * (p - 1) + 4 * self.v_layers * p * p * self.v_hidden

    def proj_forward_per_tile(self) -> float:
        return 2 * self.n_proj * self.tokens_per_tile

    def lm_forward(self, tokens: int, context: int | None = None) -> float:
        """Forward FLOPs of `tokens` positions, each attending over `context` (default: tokens)."""
        context = tokens if context is None else context
        return tokens * (2 * self.n_lm + 4 * self.layers * context * self.heads * self.head_dim)

    # --- per sample
    def train_flops(self, tiles: int, seq: int, train_vision: bool = False, recompute: bool = False):
        """(model FLOPs, hardware FLOPs) of one training sample of `tiles` tiles and length `seq`."""
        vit = tiles * self.vit_forward_per_tile()
        proj = tiles * self.proj_forward_per_tile()
        lm = self.lm_forward(seq)
        # a trained vision tower: forward + both gradients, except the patch conv's input gradient
        # (pixel_values need none)
        patch = tiles * 2 * self.n_patch * (self.vit_positions - 1)
        model = (3 * vit - patch if train_vision else vit) + 3 * proj + 3 * lm
        # activation checkpointing re-runs the checkpointed layers' forward in the backward: the
        # decoder layers (not the lm_head) and, when it is trained, the vision encoder (an upper
        # bound: PyTorch's non-reentrant checkpoint stops recomputing once it has what it needs)
        redo = lm - 2 * self.hidden * self.vocab * seq + (vit if train_vision else 0)
        hardware = model + (redo if recompute else 0)
        return model, hardware

    def eval_flops(self, tiles: int, prompt: int, new_tokens: int) -> float:
        """Prefill of the prompt (with its image) and greedy decoding of `new_tokens` tokens."""
        prefill = tiles * (self.vit_forward_per_tile() + self.proj_forward_per_tile()) + self.lm_forward(prompt)
        decode = sum(self.lm_forward(1, prompt + i + 1) for i in range(new_tokens))
        return prefill + decode


def row(key: str, value) -> None:
    print(f"{key:<36} {value}")


# A typical image of each paper dataset, (width, height) in pixels, as its card or paper
# describes the images; approximate and NOT measured here. `--data DIR` measures the real
# sizes from the prepared tables instead (DIR/<dataset>.parquet, e.g. results/paper/data/train).
TYPICAL_IMAGE_SIZE = {
    "ocr_vqa": (500, 750),  # book covers, portrait
    "screenqa": (1080, 1920),  # RICO phone screenshots, portrait
    "chartqa": (800, 600),  # Statista / Pew / OWID chart images
    "chart2text": (800, 557),  # Statista charts
    "docvqa": (1700, 2200),  # scanned letter-size pages
    "finance_qa": (1700, 2200),  # financial report pages
    "a_okvqa": (640, 480),  # COCO
    "vc_gvqa": (500, 375),  # Visual Genome / GQA
    "open_spatial": (1024, 768),  # OpenImages
    "clevr_relation": (480, 320),  # CLEVR renders
    "clevr_counting": (480, 320),
    "tallyqa": (640, 480),  # COCO and Visual Genome
    "geomverse": (600, 600),  # rendered geometry figures
    "mapqa": (1000, 600),  # US choropleth maps
}
# The paper study's other training runs, each one epoch over a 280K mixture whose images come
# from all 14 sources (costed at the mean tile count): the selection stage's 44 mixtures
# (1 uniform, 14 targets x DataProphet / oracle / ICONS, 1 ICONS consensus) and the
# synthetic pool's 29 (1 uniform, 14 targets x DataProphet / ICONS).
MIXTURE_FINETUNES = {"selection (Table 3 left)": 44, "synthetic pool (Table 3 right)": 29}
MIXTURE_SAMPLES = 280_000


def feature_flops(shape, tiles: int, seq: int, text_tokens: int) -> float:
    """FLOPs of one sample's features from the frozen base: an image pass (vision tower and
    projector), an answer-NLL pass over the whole sample (image again, question, answer) and
    three short text-only passes (question, answer, question + answer)."""
    image = tiles * (shape.vit_forward_per_tile() + shape.proj_forward_per_tile())
    return 2 * image + shape.lm_forward(seq) + 3 * shape.lm_forward(text_tokens)


@functools.cache
def _image_processor(max_tiles: int):
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    return GotOcr2ImageProcessorPil(
        size={"height": 448, "width": 448}, crop_to_patches=max_tiles > 1, min_patches=1, max_patches=max_tiles
    )


@functools.cache
def processor_tiles(width: int, height: int, max_tiles: int) -> int:
    """The 448px tiles (thumbnail included) InternVL's image processor makes of one image of
    this size: transformers' GOT-OCR2 processor, as the workflow configures it."""
    from PIL import Image

    pixels = _image_processor(max_tiles)(images=[Image.new("RGB", (width, height))], return_tensors="pt")
    return int(pixels["pixel_values"].shape[0])


def measured_sizes(folder: Path, limit: int = 200) -> dict[str, tuple[int, int]]:
    """The median (width, height) of the first ``limit`` images of each contract table in ``folder``."""
    import io

    import pyarrow.parquet as pq
    from PIL import Image

    sizes = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        images = pq.read_table(path, columns=["image"]).column("image").to_pylist()[:limit]
        dims = [Image.open(io.BytesIO(b)).size for b in images]
        if dims:
            sizes[path.stem] = (int(statistics.median(w for w, _ in dims)), int(statistics.median(h for _, h in dims)))
    if not sizes:
        raise SystemExit(f"--data {folder}: no contract tables (*.parquet) found")
    return sizes


def paper_max_tiles() -> tuple[int, int]:
    """(``finetune.max_tiles``, ``evaluate.max_tiles``) of config/paper.yaml: the tiles of
    training (and features, ICONS' gradients) and those of evaluation."""
    import yaml

    config = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    return int(config["finetune"].get("max_tiles", 1)), int(config["evaluate"].get("max_tiles", 1))


def estimate_by_dataset(args) -> dict:
    """GPU-hours of the paper study as configured, from each dataset's own tile count."""
    shape = Shape.from_dict(load_config_dict(args.config))
    train_default, eval_default = paper_max_tiles()
    max_tiles = args.max_tiles or train_default
    eval_tiles = args.eval_tiles or eval_default
    sizes = measured_sizes(args.data) if args.data else TYPICAL_IMAGE_SIZE
    text, answer, s = args.text_tokens, args.answer_tokens, STUDY
    print(
        "CALCULATED ESTIMATE (not a measurement): paper study GPU-hours, InternVL3-2B, "
        f"max_tiles {max_tiles} (training, features), eval max_tiles {eval_tiles}"
    )
    print(f"image sizes: {'median of ' + str(args.data) if args.data else 'typical sizes (TYPICAL_IMAGE_SIZE)'}")
    print(f"{'dataset':<16}{'size':>11}{'tiles':>7}{'eval':>6}{'tiles@6':>9}{'tiles@12':>10}{'tokens':>8}{'eval':>7}")
    per = {}
    for name, (w, h) in sizes.items():
        tiles, evaluated = processor_tiles(w, h, max_tiles), processor_tiles(w, h, eval_tiles)
        seq = tiles * shape.tokens_per_tile + 2 + text
        eval_seq = evaluated * shape.tokens_per_tile + 2 + text
        per[name] = {"tiles": tiles, "seq": seq, "eval_tiles": evaluated, "eval_seq": eval_seq}
        more = [processor_tiles(w, h, n) for n in (6, 12)]
        print(f"{name:<16}{f'{w}x{h}':>11}{tiles:>7}{evaluated:>6}{more[0]:>9}{more[1]:>10}{seq:>8}{eval_seq:>7}")
    flops = {"fine-tune": 0.0, "evaluate": 0.0, "features": 0.0}
    for name, p in per.items():
        tiles, seq = p["tiles"], p["seq"]
        train = shape.train_flops(tiles, seq, args.train_vision, recompute=True)[1]  # with checkpointing
        gen = args.long_gen_tokens if name == "chart2text" else args.gen_tokens
        feature = feature_flops(shape, tiles, seq, args.feature_text_tokens)
        p["train"] = train
        flops["fine-tune"] += s["train_samples"] * s["epochs"] * train
        flops["evaluate"] += (
            s["eval_models"] * s["test_samples"] * shape.eval_flops(p["eval_tiles"], p["eval_seq"] - answer, gen)
        )
        flops["features"] += (args.source_subsample + s["test_samples"]) * feature
    mean_train = statistics.fmean(p["train"] for p in per.values())
    for label, runs in MIXTURE_FINETUNES.items():
        flops[f"mixtures, {label}"] = runs * MIXTURE_SAMPLES * mean_train
    print()
    print(f"{'H100 SXM hours':<40}" + "".join(f"{f'{u:.0%} util':>10}" for u in args.mfu))
    # Decoding is bound by memory traffic and kernel launches, not FLOPs: charge each decode step.
    batches = math.ceil(s["eval_models"] * s["test_samples"] / args.eval_batch_size)
    decode_h = batches * ((s["targets"] - 1) * args.gen_tokens + args.long_gen_tokens) * args.decode_step_ms / 3.6e6
    hours = {}
    for part, value in flops.items():
        hours[part] = [value / (989.4e12 * u) / 3600 + (decode_h if part == "evaluate" else 0.0) for u in args.mfu]
        print(f"{part:<40}" + "".join(f"{h:>10.1f}" for h in hours[part]))
    total = [sum(h[i] for h in hours.values()) for i in range(len(args.mfu))]
    print(f"{'total (ICONS and RL not in)':<40}" + "".join(f"{h:>10.1f}" for h in total))
    print(
        f"Fine-tunes with activation checkpointing; evaluation with {args.decode_step_ms:g} ms per decode step "
        f"(batch {args.eval_batch_size}); features over {args.source_subsample:,} samples per source and the 1K "
        f"test samples per target; mixtures at the mean tile count over the sources."
    )
    return {"max_tiles": max_tiles, "eval_tiles": eval_tiles, "datasets": per, "hours": hours, "total": total}


def estimate(args) -> None:
    """GPU-hours of the paper study by calculation, at assumed MFU (docs/compute_estimate.md)."""
    shape = Shape.from_dict(load_config_dict(args.config))
    tiles, text, answer = args.tiles, args.text_tokens, args.answer_tokens
    seq = tiles * shape.tokens_per_tile + 2 + text
    prompt = seq - answer
    s = STUDY
    train_model, train_hw = shape.train_flops(tiles, seq, args.train_vision, recompute=True)
    n_train = s["sources"] * s["train_samples"] * s["epochs"]
    n_eval_short = s["eval_models"] * (s["targets"] - 1) * s["test_samples"]
    n_eval_long = s["eval_models"] * 1 * s["test_samples"]  # Chart2Text: captions
    eval_short = shape.eval_flops(tiles, prompt, args.gen_tokens)
    eval_long = shape.eval_flops(tiles, prompt, args.long_gen_tokens)
    # Features of the frozen base model: image pass (vision + projector), answer-NLL pass (image +
    # question + answer), three short text-only passes (question, answer, question+answer).
    feat_per_sample = feature_flops(shape, tiles, seq, args.feature_text_tokens)
    n_feat = s["sources"] * args.source_subsample + s["targets"] * s["test_samples"]
    # Decoding is bound by memory traffic and kernel launches, not FLOPs: charge each decode step.
    decode_steps = (
        math.ceil(n_eval_short / args.eval_batch_size) * args.gen_tokens
        + math.ceil(n_eval_long / args.eval_batch_size) * args.long_gen_tokens
    )
    decode_h = decode_steps * args.decode_step_ms / 1000 / 3600

    print("CALCULATED ESTIMATE (not a measurement): paper study GPU-hours, InternVL3-2B")
    row("sample shape", f"{tiles} tiles x {shape.tokens_per_tile} + {text} text = {seq} tokens")
    row(
        "N_vit / N_proj / N_lm (matmul)",
        f"{shape.n_vit / 1e9:.3f}B / {shape.n_proj / 1e9:.4f}B / {shape.n_lm / 1e9:.3f}B",
    )
    row("vision fwd TFLOPs per tile", f"{shape.vit_forward_per_tile() / 1e12:.3f}")
    row("train TFLOPs/sample (+ckpt)", f"{train_model / 1e12:.2f} ({train_hw / 1e12:.2f})")
    row("eval TFLOPs/sample (short/long)", f"{eval_short / 1e12:.2f} / {eval_long / 1e12:.2f}")
    row("feature TFLOPs/sample", f"{feat_per_sample / 1e12:.2f}")
    row("samples: train / eval / features", f"{n_train:,} / {n_eval_short + n_eval_long:,} / {n_feat:,}")
    total_train = n_train * train_model
    total_ckpt = n_train * shape.train_flops(tiles, seq, args.train_vision, recompute=True)[1]
    total_eval = n_eval_short * eval_short + n_eval_long * eval_long
    total_feat = n_feat * feat_per_sample
    row(
        "total PFLOPs: train/+ckpt/eval/feat",
        f"{total_train / 1e15:,.0f} / {total_ckpt / 1e15:,.0f} / {total_eval / 1e15:,.0f} / {total_feat / 1e15:,.0f}",
    )
    print()
    print(f"{'GPU':<12}{'util':>5}{'fine-tune':>11}{'+ckpt':>8}{'evaluate':>10}{'features':>10}{'total':>8}")
    for gpu, tflops, decode_factor in (("A100-80GB", 312.0, A100_DECODE_FACTOR), ("H100 SXM", 989.4, 1.0)):
        for util in args.mfu:
            rate = tflops * 1e12 * util
            ft, ck, fe = (x / rate / 3600 for x in (total_train, total_ckpt, total_feat))
            ev = total_eval / rate / 3600 + decode_h * decode_factor
            print(f"{gpu:<12}{util:>5.0%}{ft:>11.1f}{ck:>8.1f}{ev:>10.1f}{fe:>10.1f}{ft + ev + fe:>8.1f}")
    print(
        f"GPU-hours; util = achieved share of peak dense bf16 (A100 312, H100 989.4 TFLOP/s); "
        f"+ckpt = fine-tune with activation checkpointing (one more LM forward); total without it.\n"
        f"Decode steps charged {args.decode_step_ms:g} ms each on H100, x{A100_DECODE_FACTOR:g} on A100 "
        f"(batch {args.eval_batch_size}; answers {args.gen_tokens} tokens, Chart2Text {args.long_gen_tokens}); "
        f"features over {args.source_subsample:,} samples per source + all target test samples."
    )


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="InternVLConfig JSON (no download)")
    p.add_argument("--train-vision", action="store_true", help="also train the vision tower (default: frozen)")
    p.add_argument("--eval-batch-size", type=int, default=64, help="samples per evaluation batch")
    p.add_argument(
        "--tiles", type=int, default=None, help="448px tiles of every sample (default: each dataset's own count)"
    )
    p.add_argument("--text-tokens", type=int, default=100, help="question + answer + template tokens")
    p.add_argument("--answer-tokens", type=int, default=20, help="supervised answer tokens (in --text-tokens)")
    p.add_argument("--gen-tokens", type=int, default=10, help="tokens generated per evaluation answer")
    p.add_argument("--mfu", type=float, nargs="+", default=[0.35, 0.40], help="assumed utilisation(s)")
    p.add_argument("--long-gen-tokens", type=int, default=256, help="Chart2Text caption budget")
    p.add_argument("--decode-step-ms", type=float, default=30.0, help="one batched decode step on H100")
    p.add_argument("--source-subsample", type=int, default=5_000, help="feature samples per source (paper.yaml)")
    p.add_argument(
        "--max-tiles", type=int, default=None, help="per-dataset estimate, training tiles (paper.yaml's finetune)"
    )
    p.add_argument(
        "--eval-tiles", type=int, default=None, help="per-dataset estimate, evaluation tiles: default paper.yaml's"
    )
    p.add_argument("--data", type=Path, default=None, help="measure image sizes from these contract tables")
    p.add_argument("--feature-text-tokens", type=int, default=60, help="tokens of a text-only feature pass")
    args = p.parse_args(argv)
    args.by_dataset = args.tiles is None
    if args.tiles is None:
        args.tiles = 4
    if args.tiles < 1:
        p.error("--tiles must be at least 1")
    if not 0 < args.answer_tokens < args.text_tokens:
        p.error("--answer-tokens must be positive and smaller than --text-tokens")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    estimate_by_dataset(args) if args.by_dataset else estimate(args)


if __name__ == "__main__":
    main()
