"""Model, processor and prompt formatting: one code path for the tiny and the real InternVL.

The mini study builds a tiny InternVL from a config with the transformers InternVL classes
and a tokenizer trained offline, so every later stage (fine-tune, evaluate, features) runs
the exact code that loads ``OpenGVLab/InternVL3-2B-hf`` in the paper study. Nothing here
enables remote code, and weights are saved and loaded as safetensors only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

# Special tokens of the InternVL chat format (names as in the released processor).
IMG_START, IMG_END, IMG_CONTEXT = "<img>", "</img>", "<IMG_CONTEXT>"
VIDEO = "<video>"
IM_START, IM_END, PAD = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
SPECIAL_TOKENS = [PAD, IM_START, IM_END, IMG_START, IMG_END, IMG_CONTEXT, VIDEO]

# A Qwen2-style chat template in the shape InternVL uses; images become <IMG_CONTEXT>,
# which the processor expands to the model's image-token sequence.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{{ '<IMG_CONTEXT>\n' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class TinyModelSpec:
    """Sizes of the offline tiny InternVL (mini and smoke studies)."""

    image_size: int = 64
    patch_size: int = 8
    vision_hidden: int = 64
    vision_layers: int = 2
    vision_heads: int = 4
    vision_layer_scale: float = 0.1  # InternViT's layer-scale init (its library default)
    text_hidden: int = 128
    text_layers: int = 2
    text_heads: int = 4
    text_kv_heads: int = 2
    vocab_size: int = 1024
    embedding_init_std: float = 0.25

    @property
    def image_seq_length(self) -> int:
        # pixel shuffle with downsample ratio 0.5 merges 2x2 patches into one token
        return (self.image_size // self.patch_size) ** 2 // 4


# Qwen2.5-VL's chat format (the RL stage's model at paper scale): an image is
# <|vision_start|><|image_pad|><|vision_end|>, the pad expanded by the processor.
QWEN_VISION_TOKENS = ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
TINY_QWEN_CHAT_TEMPLATE = TINY_CHAT_TEMPLATE.replace(
    "{{ '<IMG_CONTEXT>\n' }}", "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
)


def train_tokenizer(
    texts,
    vocab_size: int,
    qwen_vl: bool = False,
    special_tokens: list[str] | None = None,
    named_tokens: dict[str, str] | None = None,
):
    """Train a byte-level BPE on the suite's questions and answers (offline, deterministic);
    ``qwen_vl`` adds Qwen2.5-VL's vision tokens (the tiny Qwen2.5-VL of the RL tests).
    ``special_tokens`` (pad first, eos second) and ``named_tokens`` replace InternVL's chat
    and image tokens, for tiny models of the other families (tests/tiny_vlms.py)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=(special_tokens or SPECIAL_TOKENS) + (QWEN_VISION_TOKENS if qwen_vl else []),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=special_tokens[1] if special_tokens else IM_END,
        pad_token=special_tokens[0] if special_tokens else PAD,
        padding_side="left",
        extra_special_tokens=named_tokens
        if named_tokens is not None
        else {
            "start_image_token": IMG_START,
            "end_image_token": IMG_END,
            "context_image_token": IMG_CONTEXT,
            "video_token": VIDEO,
        },
    )


def build_processor(tokenizer, image_size: int, max_tiles: int, image_seq_length: int, chat_template: str | None):
    """InternVL processor from image processor + tokenizer, without a video processor.

    The video processor class needs torchvision, which is not importable on the CPU
    development machines; images alone need none of it.
    """
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    image_processor = GotOcr2ImageProcessorPil(
        size={"height": image_size, "width": image_size},
        crop_to_patches=max_tiles > 1,
        min_patches=1,
        max_patches=max_tiles,
    )
    return _ImageOnlyProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_length=image_seq_length,
        chat_template=chat_template,
    )


def _image_only_processor_class():
    from transformers import InternVLProcessor

    class ImageOnlyInternVLProcessor(InternVLProcessor):
        """InternVLProcessor that accepts a missing video processor."""

        def __init__(self, image_processor=None, tokenizer=None, image_seq_length=256, chat_template=None, **kw):
            kw.pop("video_processor", None)
            super().__init__(image_processor, tokenizer, None, image_seq_length, chat_template, **kw)

        def check_argument_for_proper_class(self, argument_name, argument):  # noqa: D401
            if argument_name == "video_processor" and argument is None:
                return None
            return super().check_argument_for_proper_class(argument_name, argument)

    return ImageOnlyInternVLProcessor


def _ImageOnlyProcessor(**kwargs):  # noqa: N802 - factory keeps the transformers import lazy
    return _image_only_processor_class()(**kwargs)


def tiny_config(spec: TinyModelSpec, tokenizer):
    """InternVL config at tiny size; same classes as InternVL3-2B (InternViT + Qwen2)."""
    from transformers import InternVLConfig, InternVLVisionConfig, Qwen2Config

    vision = InternVLVisionConfig(
        hidden_size=spec.vision_hidden,
        num_hidden_layers=spec.vision_layers,
        num_attention_heads=spec.vision_heads,
        intermediate_size=spec.vision_hidden * 4,
        image_size=[spec.image_size, spec.image_size],
        patch_size=[spec.patch_size, spec.patch_size],
        use_mask_token=False,
        use_absolute_position_embeddings=True,
        layer_scale_init_value=spec.vision_layer_scale,
    )
    text = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.text_hidden,
        intermediate_size=spec.text_hidden * 4,
        num_hidden_layers=spec.text_layers,
        num_attention_heads=spec.text_heads,
        num_key_value_heads=spec.text_kv_heads,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
    )
    return InternVLConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tokenizer.convert_tokens_to_ids(IMG_CONTEXT),
        image_seq_length=spec.image_seq_length,
        downsample_ratio=0.5,
        vision_feature_layer=-1,
        tie_word_embeddings=True,
    )


def build_tiny_model(spec: TinyModelSpec, tokenizer, seed: int):
    """Random-init tiny InternVL; embeddings get a larger init so LoRA can move the loss."""
    from transformers import InternVLForConditionalGeneration

    torch.manual_seed(seed)
    model = InternVLForConditionalGeneration(tiny_config(spec, tokenizer))
    with torch.no_grad():
        model.get_input_embeddings().weight.normal_(0.0, spec.embedding_init_std)
    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids(IM_END)
    model.generation_config.pad_token_id = tokenizer.convert_tokens_to_ids(PAD)
    return model


def build_tiny_qwen(tokenizer, seed: int, text_hidden: int = 64, vision_hidden: int = 32):
    """Random-init tiny Qwen2.5-VL (the same classes as Qwen2.5-VL-3B-Instruct) and its
    processor, for tests of the RL stage's paper-scale model path. ``tokenizer`` from
    ``train_tokenizer(..., qwen_vl=True)``."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_VISION_TOKENS}
    config = Qwen2_5_VLConfig(
        vision_config={
            "depth": 2,
            "hidden_size": vision_hidden,
            "intermediate_size": 2 * vision_hidden,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "out_hidden_size": text_hidden,
            "fullatt_block_indexes": [1],
        },
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": text_hidden,
            "intermediate_size": 2 * text_hidden,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 2048,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 2, 4]},
            "bos_token_id": None,
            "eos_token_id": tokenizer.convert_tokens_to_ids(IM_END),
            "pad_token_id": tokenizer.pad_token_id,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    image_processor = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112)
    return model, _qwen_processor(image_processor, tokenizer, TINY_QWEN_CHAT_TEMPLATE)


def _qwen_processor(image_processor, tokenizer, chat_template):
    """Qwen2.5-VL's processor without a video processor (that one needs torchvision)."""
    from transformers import Qwen2_5_VLProcessor

    class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):  # noqa: N801 - the transformers name
        def check_argument_for_proper_class(self, argument_name, argument):
            if argument_name == "video_processor" and argument is None:
                return None
            return super().check_argument_for_proper_class(argument_name, argument)

        def save_pretrained(self, save_directory, **kwargs):  # the Trainer's checkpoints call it
            Path(save_directory).mkdir(parents=True, exist_ok=True)
            save_processor_files(self, save_directory)
            return []

    return ImageOnlyQwen2_5_VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template
    )


def save_processor_files(processor, out_dir: str | Path) -> None:
    """Tokenizer, image processor and chat template: what ``load_processor`` reads back (and,
    for the families of ``dataprophet.model.vlms``, the processor's settings)."""
    family = getattr(processor, "dataprophet_family", None)
    if family is not None:
        from dataprophet.model import vlms

        vlms.save_processor_files(processor, out_dir, family)
        return
    out_dir = Path(out_dir)
    processor.tokenizer.save_pretrained(out_dir)
    processor.image_processor.save_pretrained(out_dir)
    (out_dir / "chat_template.jinja").write_text(processor.chat_template)


def save_model_dir(model, processor, out_dir: str | Path) -> None:
    """save_pretrained for model (safetensors) and the processor files."""
    model.save_pretrained(Path(out_dir), safe_serialization=True)
    save_processor_files(processor, out_dir)


def load_processor(model_dir: str | Path, max_tiles: int = 1, max_pixels: int | None = None):
    """Build the processor from a saved folder explicitly.

    ``AutoProcessor`` on a tiny folder silently returns only the tokenizer, and the real
    processor needs torchvision for its video part; so tokenizer, image processor and chat
    template are loaded one by one, the same way for the tiny model and InternVL3-2B, and
    for Qwen2.5-VL (the RL stage's model at paper scale); the other families a proxy may be
    (``dataprophet.model.vlms``) likewise. ``max_tiles`` is InternVL's; ``max_pixels``
    Qwen2.5-VL's (images are scaled down to at most that many pixels, 28x28 per image token,
    when that is below the checkpoint's own limit: 12.8 M pixels, 16,384 tokens, for
    Qwen2.5-VL-3B-Instruct).
    """
    from transformers import AutoConfig, AutoTokenizer
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists():
        raise FileNotFoundError(f"{model_dir} is not a saved model folder (no config.json)")
    config = AutoConfig.from_pretrained(model_dir, trust_remote_code=False)
    check_model_type(config.model_type, model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
    if config.model_type == "qwen2_5_vl":  # the RL stage's model at paper scale
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

        template = _read_chat_template(model_dir) or tokenizer.chat_template or TINY_QWEN_CHAT_TEMPLATE
        image_processor = Qwen2VLImageProcessorPil.from_pretrained(model_dir)
        if max_pixels is not None and max_pixels < image_processor.size["longest_edge"]:  # a limit, never a raise
            image_processor.size["longest_edge"] = max(max_pixels, image_processor.size["shortest_edge"])
        processor = _qwen_processor(image_processor, tokenizer, template)
        processor.system_prompt = _read_system_prompt(model_dir)
        return processor
    if config.model_type != "internvl":  # another supported family (a proxy for the score)
        from dataprophet.model import vlms

        template = _read_chat_template(model_dir) or tokenizer.chat_template
        processor = vlms.load_family_processor(model_dir, config.model_type, tokenizer, template)
        processor.system_prompt = _read_system_prompt(model_dir)
        return processor
    image_processor = GotOcr2ImageProcessorPil.from_pretrained(model_dir)
    image_processor.crop_to_patches = max_tiles > 1
    image_processor.max_patches = max_tiles
    template = _read_chat_template(model_dir) or tokenizer.chat_template or TINY_CHAT_TEMPLATE
    processor = _ImageOnlyProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_length=config.image_seq_length,
        chat_template=template,
    )
    processor.system_prompt = _read_system_prompt(model_dir)  # see write_system_prompt
    return processor


# Named system prompts. "intern_vl": the default system message of LLaMA-Factory's
# `intern_vl` chat template (src/llamafactory/data/template.py), the toolkit the paper
# fine-tuned with, and of InternVL's own chat code; the -hf checkpoint's template has none.
SYSTEM_PROMPTS = {
    "intern_vl": (
        "你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。"
    ),
}
PROMPT_FILE = "dataprophet_prompt.json"  # in a model folder: the system prompt its stages use


def system_prompt_text(value: str | None) -> str | None:
    """The text of a ``system_prompt`` setting: a name of ``SYSTEM_PROMPTS`` or the text itself."""
    if value is None or not str(value).strip():
        return None
    return SYSTEM_PROMPTS.get(value, value)


def write_system_prompt(model_dir: str | Path, value: str | None) -> None:
    """Record in ``model_dir`` the system prompt every stage using this model adds (none: no file)."""
    import json

    text = system_prompt_text(value)
    path = Path(model_dir) / PROMPT_FILE
    if text is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(json.dumps({"system_prompt": text}, ensure_ascii=False, indent=2) + "\n")


def _read_system_prompt(model_dir: Path) -> str | None:
    import json

    path = model_dir / PROMPT_FILE
    return json.loads(path.read_text())["system_prompt"] if path.exists() else None


def _read_chat_template(model_dir: Path) -> str | None:
    import json

    jinja = model_dir / "chat_template.jinja"
    if jinja.exists():
        return jinja.read_text()
    as_json = model_dir / "chat_template.json"
    if as_json.exists():
        return json.loads(as_json.read_text()).get("chat_template")
    return None


def attention_backend(dtype: str) -> str:
    """FlashAttention-2 when it is installed, a GPU is present and the weights are half
    precision (its requirement); PyTorch SDPA otherwise (CPU, fp32 training weights)."""
    if dtype in ("bfloat16", "float16") and torch.cuda.is_available():
        from transformers.utils import is_flash_attn_2_available

        if is_flash_attn_2_available():  # importable and built for this torch, not just present
            return "flash_attention_2"
    return "sdpa"


def check_model_type(model_type: str, model_dir: str | Path) -> None:
    """A clear error naming the model type when no feature path is written for it."""
    from dataprophet.model import vlms

    vlms.family(model_type, str(model_dir))


def load_model(model_dir: str | Path, adapter_dir: str | Path | None = None, dtype: str = "float32"):
    """Load a saved model (safetensors only), optionally with a LoRA adapter on top."""
    import json

    from transformers import AutoModelForImageTextToText

    model_dir = Path(model_dir)
    if not model_dir.exists():
        raise FileNotFoundError(f"base model directory {model_dir} does not exist")
    if (model_dir / "config.json").exists():
        check_model_type(json.loads((model_dir / "config.json").read_text()).get("model_type", ""), model_dir)
    model = AutoModelForImageTextToText.from_pretrained(
        model_dir,
        dtype=getattr(torch, dtype),
        use_safetensors=True,
        trust_remote_code=False,
        attn_implementation=attention_backend(dtype),
    )
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir)
        model = model.merge_and_unload()
    return model


def inference_device() -> torch.device:
    """The GPU when there is one: evaluation and features run there (training leaves device
    placement to the Trainer, which puts each process of a multi-GPU job on its own GPU)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_base(base_dir: str | Path, dtype: str = "float32"):
    """The base model for inference, on the GPU when there is one."""
    return load_model(base_dir, dtype=dtype).to(inference_device())


def load_finetuned(base_dir: str | Path, finetuned_dir: str | Path, dtype: str = "float32"):
    """A fine-tune of the base for inference (a LoRA adapter folder, merged into the base, or
    a full-weights folder), on the GPU when there is one."""
    finetuned_dir = Path(finetuned_dir)
    if not finetuned_dir.is_dir():
        raise FileNotFoundError(f"fine-tune folder {finetuned_dir} does not exist")
    if (finetuned_dir / "adapter_config.json").exists():
        model = load_model(base_dir, adapter_dir=finetuned_dir, dtype=dtype)
    else:
        model = load_model(finetuned_dir, dtype=dtype)
    return model.to(inference_device())


def set_threads(threads: int) -> None:
    """CPU threads for torch in this process (Snakemake's ``threads`` of the job)."""
    torch.set_num_threads(max(1, int(threads)))
