"""GPU memory per sample of DataProphet's features with each supported model, calculated.

CALCULATED ESTIMATE, not a measurement. For each model: the bf16 weights, and per sample the
activations of the largest of the feature passes (``prophet.features``), which run under
``torch.no_grad`` with no KV cache kept, so a layer's activations are freed when the next
layer runs:

- image pass: one vision layer over every crop's patch positions,
  ``2 B x crops x positions x (2 x I_v + 3 x H_v)`` (residual, norm and attention outputs of
  width H_v; the MLP's first projection and its activation of width I_v);
- answer-NLL pass: one decoder layer over the whole sequence (image tokens + text + answer),
  ``2 B x S x (3 x I + 4 x H)`` (gate, up and their product of width I; residual, norm,
  attention output and input embeddings of width H);
- answer logits, at the answer positions only: ``A x V x 10 B`` (the bf16 head output, its
  float32 copy and cross-entropy's float32 log-softmax), beside the final hidden states;
- attention with a fused kernel (FlashAttention-2 or SDPA's memory-efficient kernel) keeps
  no S x S matrix; the last column is what one would add if attention fell back to the
  plain ("math") kernel: ``heads x S^2 x 6 B`` (bf16 scores and float32 softmax).

Peak per sample = the largest of the image pass, the decoder layer, and the final hidden
states plus the logits. Samples per 80 GB GPU = (72 GiB, leaving 10% for the CUDA context
and allocator slack, minus the weights) / peak, with fused attention.

A paper-scale sample: a 448x448 image (InternVL3-2B's tile, as ``config/paper.yaml``'s
``max_tiles: 1``), 100 text tokens (template, question, answer-format instruction), a
10-token answer (Chart2Text's 256-token captions: ``--answer-tokens 256``). How many crops
and image tokens each model's own processor makes of that image is in the table below.

Reproduce:   python bench/proxy_memory.py                       (the table in docs/proxies.md)
             python bench/proxy_memory.py --answer-tokens 256   (Chart2Text-length answers)
Your model:  python bench/proxy_memory.py --model path/to/saved/model --image-size 448 448
             (sizes from its config.json, parameters from its safetensors headers, image
             tokens and crops counted by running its own processor on a blank image)
"""

from __future__ import annotations

import argparse
import json
import struct
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
BF16 = 2


@dataclass(frozen=True)
class Arch:
    """The sizes the estimate needs. ``crops`` x ``positions``: vision-encoder positions of one
    448x448 image under the model's default processor; ``image_tokens``: what the language
    model reads for it."""

    name: str
    model_type: str
    params: float  # all parameters
    hidden: int  # H, language model
    intermediate: int  # I
    heads: int
    vocab: int  # V
    vision_hidden: int  # H_v
    vision_intermediate: int  # I_v
    crops: int
    positions: int
    image_tokens: int
    how: str  # how the processor treats a 448x448 image


# Sizes from each checkpoint's published config.json (text_config / vision_config) and its
# processor's defaults; parameter counts from the model cards' safetensors totals.
PUBLISHED = [
    Arch("InternVL3-2B-hf (the study's base)", "internvl", 2.09e9, 1536, 8960, 12, 151674, 1024, 4096, 1, 1025, 256,
         "one 448 tile (max_tiles 1), 32x32 patches + class token, pixel shuffle to 256"),
    Arch("Qwen2-VL-2B-Instruct", "qwen2_vl", 2.21e9, 1536, 8960, 12, 151936, 1280, 5120, 1, 1024, 256,
         "native resolution: 32x32 patches of 14 px, 2x2 merge to 256"),
    Arch("Qwen2.5-VL-3B-Instruct", "qwen2_5_vl", 3.75e9, 2048, 11008, 16, 151936, 1280, 3420, 1, 1024, 256,
         "native resolution: 32x32 patches of 14 px, 2x2 merge to 256"),
    Arch("Qwen2.5-VL-7B-Instruct", "qwen2_5_vl", 8.29e9, 3584, 18944, 28, 152064, 1280, 3420, 1, 1024, 256,
         "native resolution: 32x32 patches of 14 px, 2x2 merge to 256"),
    Arch("llava-1.5-7b-hf", "llava", 7.06e9, 4096, 11008, 32, 32064, 1024, 4096, 1, 577, 576,
         "resized to 336, 24x24 patches + class token, 576 tokens"),
    Arch("llava-onevision-qwen2-0.5b-ov-hf", "llava_onevision", 0.89e9, 896, 4864, 14, 151647, 1152, 4304, 5, 729,
         3699, "anyres: base 384 view + 2x2 crops of 768, 27x27 patches each; 729 + 54x54 + 54 newline tokens"),
    Arch("llava-onevision-qwen2-7b-ov-hf", "llava_onevision", 8.03e9, 3584, 18944, 28, 152128, 1152, 4304, 5, 729,
         3699, "as the 0.5B"),
    Arch("SmolVLM-256M-Instruct", "idefics3", 0.256e9, 576, 1536, 9, 49280, 768, 3072, 17, 1024, 1088,
         "longest edge to 2048: 4x4 crops of 512 + a global view, 32x32 patches each, 64 tokens per crop"),
    Arch("SmolVLM-500M-Instruct", "idefics3", 0.507e9, 960, 2560, 15, 49280, 768, 3072, 17, 1024, 1088,
         "as the 256M"),
    Arch("gemma-3-4b-it", "gemma3", 4.30e9, 2560, 10240, 8, 262208, 1152, 4304, 1, 4096, 256,
         "resized to 896, 64x64 patches of 14 px, pooled to 256"),
]  # fmt: skip


def per_sample(arch: Arch, text_tokens: int, answer_tokens: int) -> dict:
    """The estimate's terms for one sample, in bytes (see the module docstring)."""
    seq = arch.image_tokens + text_tokens + answer_tokens
    image = BF16 * arch.crops * arch.positions * (2 * arch.vision_intermediate + 3 * arch.vision_hidden)
    decoder = BF16 * seq * (3 * arch.intermediate + 4 * arch.hidden)
    logits = answer_tokens * arch.vocab * 10 + BF16 * seq * arch.hidden
    math_attention = arch.heads * seq**2 * 6
    return {
        "seq": seq,
        "image_pass": image,
        "decoder_layer": decoder,
        "logits": logits,
        "peak": max(image, decoder, logits),
        "math_attention": math_attention,
        "weights": arch.params * BF16,
    }


def _safetensors_params(folder: Path) -> float:
    """Parameter count from the safetensors headers (no tensor is read)."""
    total = 0
    for path in sorted(folder.glob("*.safetensors")):
        with open(path, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(length))
        for name, entry in header.items():
            if name != "__metadata__":
                n = 1
                for d in entry["shape"]:
                    n *= d
                total += n
    return float(total)


def from_folder(folder: Path, width: int, height: int) -> Arch:
    """The sizes of a saved model: config.json, safetensors headers, and its own processor run
    on a blank ``width`` x ``height`` image."""
    from PIL import Image
    from transformers import AutoConfig

    from dataprophet.model.modeling import check_model_type, load_processor

    config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    check_model_type(config.model_type, folder)
    text, vision = config.get_text_config(), config.vision_config
    processor = load_processor(folder)
    image = Image.new("RGB", (width, height), "white")
    with_image = processor(images=[image], text=[processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "x"}]}], tokenize=False)],
        return_tensors="pt")  # fmt: skip
    without = processor.tokenizer(
        processor.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": "x"}]}], tokenize=False),
        add_special_tokens=False,
    )["input_ids"]
    pixels = with_image["pixel_values"]
    if "image_grid_thw" in with_image:  # Qwen: one row per patch
        crops, positions = 1, int(with_image["image_grid_thw"].prod())
    else:
        crops = int(pixels.shape[:-3].numel())
        side = vision.image_size if isinstance(vision.image_size, int) else vision.image_size[0]
        patch = vision.patch_size if isinstance(vision.patch_size, int) else vision.patch_size[0]
        positions = (side // patch) ** 2
    v_hidden = getattr(vision, "hidden_size", None) or vision.embed_dim
    v_inter = getattr(vision, "intermediate_size", None) or int(v_hidden * getattr(vision, "mlp_ratio", 4))
    return Arch(
        name=str(folder),
        model_type=config.model_type,
        params=_safetensors_params(Path(folder)),
        hidden=text.hidden_size,
        intermediate=text.intermediate_size,
        heads=text.num_attention_heads,
        vocab=text.vocab_size,
        vision_hidden=v_hidden,
        vision_intermediate=v_inter,
        crops=crops,
        positions=positions,
        image_tokens=with_image["input_ids"].shape[1] - len(without),
        how=f"counted on a blank {width}x{height} image",
    )


def table(archs: list[Arch], text_tokens: int, answer_tokens: int, gpu_gib: float = 80.0) -> list[dict]:
    rows = []
    for arch in archs:
        m = per_sample(arch, text_tokens, answer_tokens)
        room = 0.9 * gpu_gib * GIB - m["weights"]
        rows.append(
            {
                "model": arch.name,
                "type": arch.model_type,
                "weights_GiB": m["weights"] / GIB,
                "image_tokens": arch.image_tokens,
                "seq": m["seq"],
                "image_pass_MiB": m["image_pass"] / 2**20,
                "decoder_layer_MiB": m["decoder_layer"] / 2**20,
                "logits_MiB": m["logits"] / 2**20,
                "peak_MiB": m["peak"] / 2**20,
                "per_80GB": int(room // m["peak"]),
                "math_attention_MiB": m["math_attention"] / 2**20,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, nargs="*", default=[], help="saved model folders (default: the table)")
    parser.add_argument("--image-size", type=int, nargs=2, default=[448, 448], metavar=("W", "H"))
    parser.add_argument("--text-tokens", type=int, default=100)
    parser.add_argument("--answer-tokens", type=int, default=10)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    archs = [from_folder(p, *args.image_size) for p in args.model] if args.model else PUBLISHED
    rows = table(archs, args.text_tokens, args.answer_tokens)
    print(f"CALCULATED ESTIMATE (bf16, no grad, fused attention): {args.text_tokens} text tokens, "
          f"{args.answer_tokens} answer tokens per sample")  # fmt: skip
    if args.markdown:
        print("| model | weights GiB | image tokens | sequence | image pass MiB | decoder layer MiB | logits MiB "
              "| **peak MiB / sample** | samples per 80 GB | + math attention MiB |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['model']} | {r['weights_GiB']:.1f} | {r['image_tokens']} | {r['seq']} | "
                  f"{r['image_pass_MiB']:.0f} | {r['decoder_layer_MiB']:.0f} | {r['logits_MiB']:.0f} | "
                  f"**{r['peak_MiB']:.0f}** | {r['per_80GB']} | {r['math_attention_MiB']:.0f} |")  # fmt: skip
        for arch in archs:
            print(f"- {arch.name}: {arch.how}")
        return
    for r in rows:
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()}))


if __name__ == "__main__":
    main()
