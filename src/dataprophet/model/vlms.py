"""The image-text-to-text model families the score's features run on, and what differs between them.

Every family is loaded with the classes transformers ships (``AutoModelForImageTextToText``,
no remote code, safetensors only) and goes through one feature path
(``dataprophet.prophet.features``): the chat template from the model's processor, the image
embedding from the model's own ``get_image_features``, the text embedding from its language
model, the answer NLL from its language-model head. What really differs lives here, each
case named:

- which processor and PIL image processor a family uses (no torchvision: the fast image and
  video processors need it, so processors are built image-only);
- where the language model sits (``language_model``; ``text_model`` in Idefics3/SmolVLM);
- how ``get_image_features`` returns an image's tokens: one tensor of tiles (InternVL,
  LLaVA, Gemma 3; InternVL says each image's tile count in ``num_patches``), one tensor per
  image (Qwen2-VL, Qwen2.5-VL, Idefics3), or all images packed into one sequence
  (LLaVA-OneVision, so it is called once per image); Idefics3's image processor reads a
  flat list as one sample's images, so it is given one list per image;
- Gemma 3's final-logit soft-capping, applied when its config sets it;
- a chat template that only renders alternating turns from a user turn (Gemma 3's): an
  assistant turn is rendered after an empty user turn (``render_turn``).

Reproduce the tests: ``python -m pytest tests/unit/model/test_proxies.py -q``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class Family:
    """One supported ``model_type``: its name in the docs, processor and PIL image processor."""

    name: str
    processor: str  # class in transformers
    image_processor: str  # "module:Class" of the PIL (slow) image processor
    language_attr: str = "language_model"  # the language model inside ``model.model``
    per_image_calls: bool = False  # get_image_features packs all images into one sequence
    nested_images: bool = False  # the image processor reads a flat list as one sample's images


_P = "transformers.models."
FAMILIES: dict[str, Family] = {
    "internvl": Family(
        "InternVL", "InternVLProcessor", _P + "got_ocr2.image_processing_pil_got_ocr2:GotOcr2ImageProcessorPil"
    ),
    "qwen2_vl": Family(
        "Qwen2-VL", "Qwen2VLProcessor", _P + "qwen2_vl.image_processing_pil_qwen2_vl:Qwen2VLImageProcessorPil"
    ),
    "qwen2_5_vl": Family(
        "Qwen2.5-VL", "Qwen2_5_VLProcessor", _P + "qwen2_vl.image_processing_pil_qwen2_vl:Qwen2VLImageProcessorPil"
    ),
    "llava": Family("LLaVA", "LlavaProcessor", _P + "clip.image_processing_pil_clip:CLIPImageProcessorPil"),
    "llava_onevision": Family(
        "LLaVA-OneVision",
        "LlavaOnevisionProcessor",
        _P + "llava_onevision.image_processing_pil_llava_onevision:LlavaOnevisionImageProcessorPil",
        per_image_calls=True,
    ),
    "idefics3": Family(
        "Idefics3 / SmolVLM",
        "Idefics3Processor",
        _P + "idefics3.image_processing_pil_idefics3:Idefics3ImageProcessorPil",
        language_attr="text_model",
        nested_images=True,
    ),
    "gemma3": Family("Gemma 3", "Gemma3Processor", _P + "gemma3.image_processing_pil_gemma3:Gemma3ImageProcessorPil"),
}
PROCESSOR_KWARGS_FILE = "dataprophet_processor.json"  # processor settings of a model folder we built


def family(model_type: str, where: str = "") -> Family:
    """The family of ``model_type``; a clear error naming it when it is not supported."""
    if model_type not in FAMILIES:
        supported = ", ".join(f"{t} ({f.name})" for t, f in FAMILIES.items())
        place = f"{where}: " if where else ""
        raise ValueError(
            f"{place}model type {model_type!r} is not supported as a DataProphet model; supported model types: "
            f"{supported} (docs/proxies.md)"
        )
    return FAMILIES[model_type]


def _class(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _pil_image_processor(model_dir: Path, default: str):
    """The PIL variant of the image processor the folder names (``image_processor_type``), or
    the family's default; the fast variants need torchvision."""
    config = model_dir / "preprocessor_config.json"
    wanted = json.loads(config.read_text()).get("image_processor_type", "") if config.exists() else ""
    cls = _class(default)
    base = wanted.removesuffix("Fast").removesuffix("Pil")
    if base:
        import transformers

        cls = getattr(transformers, base + "Pil", None) or cls
    return cls.from_pretrained(model_dir)


def image_only_processor(model_type: str, image_processor, tokenizer, chat_template: str | None, **kwargs):
    """The family's processor built from an image processor and tokenizer, with no video
    processor (the video processors need torchvision)."""
    import transformers

    base = getattr(transformers, family(model_type).processor)
    accepted = set(inspect.signature(base.__init__).parameters)
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    if "video_processor" in accepted:
        kwargs["video_processor"] = None

    class ImageOnly(base):
        def check_argument_for_proper_class(self, argument_name, argument):
            if argument_name == "video_processor" and argument is None:
                return None
            return super().check_argument_for_proper_class(argument_name, argument)

        def save_pretrained(self, save_directory, **kw):  # the Trainer's checkpoints call it
            save_processor_files(self, save_directory, model_type)
            return []

    ImageOnly.__name__ = f"ImageOnly{base.__name__}"
    ImageOnly.dataprophet_family = model_type  # modeling.save_processor_files writes its settings too
    return ImageOnly(image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template, **kwargs)


def processor_settings(processor) -> dict:
    """The processor's own settings (token counts, feature strategy) that a reload needs."""
    skip = {"self", "image_processor", "tokenizer", "video_processor", "chat_template", "kwargs"}
    base = next(c for c in type(processor).__mro__ if not c.__name__.startswith("ImageOnly"))
    names = [n for n in inspect.signature(base.__init__).parameters if n not in skip]
    return {n: getattr(processor, n) for n in names if isinstance(getattr(processor, n, None), int | float | str)}


def save_processor_files(processor, out_dir: str | Path, model_type: str) -> None:
    """Tokenizer, image processor, chat template and the processor's settings."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    processor.tokenizer.save_pretrained(out_dir)
    processor.image_processor.save_pretrained(out_dir)
    (out_dir / "chat_template.jinja").write_text(processor.chat_template)
    (out_dir / PROCESSOR_KWARGS_FILE).write_text(json.dumps(processor_settings(processor), indent=2) + "\n")


def load_family_processor(model_dir: Path, model_type: str, tokenizer, chat_template: str | None):
    """A saved folder's processor: a released checkpoint's ``processor_config.json`` settings,
    or those ``save_processor_files`` wrote."""
    fam = family(model_type, str(model_dir))
    settings: dict = {}
    for name in ("processor_config.json", PROCESSOR_KWARGS_FILE):
        path = model_dir / name
        if path.exists():
            settings.update({k: v for k, v in json.loads(path.read_text()).items() if not isinstance(v, dict)})
    image_processor = _pil_image_processor(model_dir, fam.image_processor)
    return image_only_processor(model_type, image_processor, tokenizer, chat_template, **settings)


def render_turn(processor, role: str, text: str) -> str:
    """One ``role`` turn holding ``text``, rendered by the processor's chat template. A template
    that insists on alternating roles from a user turn (Gemma 3's raises otherwise) gets an
    assistant turn after an empty user turn."""
    turn = {"role": role, "content": [{"type": "text", "text": text}]}
    try:
        return processor.apply_chat_template([turn], tokenize=False)
    except Exception:  # jinja's raise_exception in the template: roles must alternate
        if role != "assistant":
            raise
        return processor.apply_chat_template(
            [{"role": "user", "content": [{"type": "text", "text": ""}]}, turn], tokenize=False
        )


def pad_id(tokenizer) -> int:
    """The id padded positions get (they are masked out): the pad token, else eos, for a
    checkpoint whose tokenizer names no pad token."""
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer names neither a pad nor an eos token; set one in its tokenizer_config.json")
    return tokenizer.eos_token_id


def model_type_of(model) -> str:
    return model.config.model_type


def language_model(model):
    """The decoder that reads the token embeddings (final norm included)."""
    return getattr(model.model, family(model_type_of(model)).language_attr)


def _accepted(fn, batch: dict) -> dict:
    names = set(inspect.signature(fn).parameters)
    return {k: v for k, v in batch.items() if k in names}


def image_vectors(model, processor, images: list, device, dtype) -> torch.Tensor:
    """One vector per image: the model's projected image tokens (``get_image_features``),
    mean over tokens and over an image's tiles, in float32 (not yet normalised)."""
    fam = family(model_type_of(model))
    if fam.per_image_calls and len(images) > 1:
        return torch.cat([image_vectors(model, processor, [im], device, dtype) for im in images])
    batch = [[im] for im in images] if fam.nested_images else images
    pixels = processor.image_processor(images=batch, return_tensors="pt")
    tiles = pixels["num_patches"].tolist() if "num_patches" in pixels else [1] * len(images)
    inputs = _accepted(model.model.get_image_features, pixels)
    inputs = {k: v.to(device) for k, v in inputs.items()}
    if inputs["pixel_values"].is_floating_point():
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
    tokens = model.model.get_image_features(**inputs).pooler_output
    if isinstance(tokens, list | tuple):  # one entry per image
        if len(tokens) != len(images):
            raise RuntimeError(f"{fam.name}: {len(tokens)} image feature entries for {len(images)} images")
        return torch.stack([t.reshape(-1, t.shape[-1]).float().mean(0) for t in tokens])
    if tokens.dim() == 2:  # one image's tokens packed into one sequence
        return tokens.float().mean(0, keepdim=True)
    per_tile = tokens.float().mean(1)
    return torch.stack([t.mean(0) for t in torch.split(per_tile, tiles)])


def forward_inputs(model, batch: dict) -> dict:
    """The entries of a collated batch the model's forward takes (pixel values, grids, masks)."""
    return _accepted(model.model.forward, batch)


def answer_logits(model, hidden: torch.Tensor) -> torch.Tensor:
    """The language-model head on hidden states; Gemma 3's final soft-capping when set."""
    logits = model.lm_head(hidden).float()
    cap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits
