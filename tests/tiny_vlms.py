"""Tiny random-weight models of every family ``dataprophet.model.vlms`` supports, built offline.

Each has its family's classes (config, model, processor, PIL image processor), a byte-level
tokenizer trained here with the family's special tokens, and a chat template in the
family's turn format, so the feature path meets what the released checkpoints give it.
Used by tests/unit/model/test_proxies.py (``python -m pytest tests/unit/model/test_proxies.py -q``).
"""

from __future__ import annotations

import torch

TEXTS = [
    f"what colour is the {c} {s}? {n}"
    for c in ("red", "blue", "green")
    for s in ("circle", "square")
    for n in range(30)
]
VOCAB = 300


ALTERNATE = (
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
)


def chat_template(open_user: str, open_assistant: str, close: str, image: str, check: str = "") -> str:
    """A jinja chat template: each turn opened by its role's marker, closed by ``close``;
    an image item becomes ``image`` (the processor expands it); ``check`` runs first in
    each turn (``ALTERNATE``: roles must alternate from a user turn, as Gemma 3's template says)."""
    return (
        "{% for message in messages %}" + check + ""
        "{% if message['role'] == 'assistant' %}{{ '" + open_assistant + "' }}"
        "{% elif message['role'] == 'user' %}{{ '" + open_user + "' }}"
        "{% else %}{{ message['role'] + ': ' }}{% endif %}"
        "{% if message['content'] is string %}{{ message['content'] }}"
        "{% else %}{% for item in message['content'] %}"
        "{% if item['type'] == 'image' %}{{ '" + image + "' }}"
        "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
        "{% endfor %}{% endif %}{{ '" + close + "' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '" + open_assistant + "' }}{% endif %}"
    )


def _tokenizer(specials: list[str], named: dict[str, str] | None = None, qwen_vl: bool = False):
    from dataprophet.model.modeling import train_tokenizer

    return train_tokenizer(TEXTS, VOCAB, qwen_vl=qwen_vl, special_tokens=specials, named_tokens=named or {})


def _text(tokenizer, hidden: int = 64, **extra) -> dict:
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": None,
        **extra,
    }


def _vision(hidden: int = 32, image: int = 32, patch: int = 8, **extra) -> dict:
    return {
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": image,
        "patch_size": patch,
        **extra,
    }


def _ids(tokenizer, *tokens: str) -> list[int]:
    return [tokenizer.convert_tokens_to_ids(t) for t in tokens]


def build_internvl():
    from dataprophet.model.modeling import (
        TINY_CHAT_TEMPLATE,
        TinyModelSpec,
        build_processor,
        build_tiny_model,
        train_tokenizer,
    )

    spec = TinyModelSpec(vision_hidden=32, text_hidden=64, vocab_size=VOCAB)
    tokenizer = train_tokenizer(TEXTS, spec.vocab_size)
    processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
    return build_tiny_model(spec, tokenizer, seed=0), processor


def build_qwen2_5_vl():
    from dataprophet.model.modeling import build_tiny_qwen, train_tokenizer

    return build_tiny_qwen(train_tokenizer(TEXTS, VOCAB, qwen_vl=True), seed=0)


def build_qwen2_vl():
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from dataprophet.model import vlms
    from dataprophet.model.modeling import TINY_QWEN_CHAT_TEMPLATE, train_tokenizer

    tokenizer = train_tokenizer(TEXTS, VOCAB, qwen_vl=True)
    start, end, image, video = _ids(tokenizer, "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
    config = Qwen2VLConfig(
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        text_config=_text(
            tokenizer, rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 2, 4]}
        ),
        image_token_id=image,
        video_token_id=video,
        vision_start_token_id=start,
        vision_end_token_id=end,
    )
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config)
    image_processor = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112)
    return model, vlms.image_only_processor("qwen2_vl", image_processor, tokenizer, TINY_QWEN_CHAT_TEMPLATE)


def build_llava():
    from transformers import LlavaConfig, LlavaForConditionalGeneration
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    from dataprophet.model import vlms

    tokenizer = _tokenizer(["<pad>", "</s>", "<image>"], {"image_token": "<image>"})
    config = LlavaConfig(
        vision_config={"model_type": "clip_vision_model", **_vision(projection_dim=32)},
        text_config={"model_type": "llama", **_text(tokenizer)},
        image_token_id=_ids(tokenizer, "<image>")[0],
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
    )
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config)
    image_processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    template = chat_template("USER: ", "ASSISTANT: ", "</s>", "<image>\\n")
    processor = vlms.image_only_processor(
        "llava",
        image_processor,
        tokenizer,
        template,
        patch_size=8,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's class token, as llava-1.5-*-hf set it
    )
    return model, processor


def build_llava_onevision():
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    from dataprophet.model import vlms
    from dataprophet.model.modeling import TINY_CHAT_TEMPLATE

    tokenizer = _tokenizer(
        ["<|endoftext|>", "<|im_end|>", "<|im_start|>", "<image>", "<video>"],
        {"image_token": "<image>", "video_token": "<video>"},
    )
    pinpoints = [[32, 32], [32, 64], [64, 32], [64, 64]]
    config = LlavaOnevisionConfig(
        vision_config={"model_type": "siglip_vision_model", **_vision()},
        text_config={"model_type": "qwen2", **_text(tokenizer)},
        image_token_id=_ids(tokenizer, "<image>")[0],
        video_token_id=_ids(tokenizer, "<video>")[0],
        image_grid_pinpoints=pinpoints,
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    model = LlavaOnevisionForConditionalGeneration(config)
    image_processor = LlavaOnevisionImageProcessorPil(size={"height": 32, "width": 32}, image_grid_pinpoints=pinpoints)
    template = TINY_CHAT_TEMPLATE.replace("<IMG_CONTEXT>", "<image>")
    processor = vlms.image_only_processor(
        "llava_onevision",
        image_processor,
        tokenizer,
        template,
        num_image_tokens=16,
        vision_feature_select_strategy="full",
    )
    return model, processor


def build_idefics3():
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    from dataprophet.model import vlms

    tokenizer = _tokenizer(
        ["<|endoftext|>", "<end_of_utterance>", "<image>", "<fake_token_around_image>", "<global-img>"]
    )
    config = Idefics3Config(
        vision_config=_vision(),
        text_config={"model_type": "llama", **_text(tokenizer)},
        image_token_id=_ids(tokenizer, "<image>")[0],
        scale_factor=2,
    )
    torch.manual_seed(0)
    model = Idefics3ForConditionalGeneration(config)
    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=False, size={"longest_edge": 32}, max_image_size={"longest_edge": 32}
    )
    template = chat_template("User:", "Assistant:", "<end_of_utterance>\\n", "<image>")
    return model, vlms.image_only_processor("idefics3", image_processor, tokenizer, template, image_seq_len=4)


def build_gemma3():
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    from dataprophet.model import vlms

    named = {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"}
    tokenizer = _tokenizer(["<pad>", "<eos>", "<start_of_turn>", "<end_of_turn>", *named.values()], named)
    config = Gemma3Config(
        text_config=_text(tokenizer, head_dim=16, sliding_window=64, final_logit_softcapping=30.0),
        vision_config={"model_type": "siglip_vision_model", **_vision()},
        mm_tokens_per_image=4,
        image_token_id=_ids(tokenizer, "<image_soft_token>")[0],
        boi_token_id=_ids(tokenizer, "<start_of_image>")[0],
        eoi_token_id=_ids(tokenizer, "<end_of_image>")[0],
    )
    torch.manual_seed(0)
    model = Gemma3ForConditionalGeneration(config)
    with torch.no_grad():  # Gemma 3 initialises its image projection to zeros: every image would embed to 0
        model.model.multi_modal_projector.mm_input_projection_weight.normal_(0.0, 0.05)
    image_processor = Gemma3ImageProcessorPil(size={"height": 32, "width": 32})
    template = chat_template(
        "<start_of_turn>user\\n", "<start_of_turn>model\\n", "<end_of_turn>\\n", "<start_of_image>", ALTERNATE
    )
    return model, vlms.image_only_processor("gemma3", image_processor, tokenizer, template, image_seq_length=4)


BUILDERS = {
    "internvl": build_internvl,
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": build_qwen2_5_vl,
    "llava": build_llava,
    "llava_onevision": build_llava_onevision,
    "idefics3": build_idefics3,
    "gemma3": build_gemma3,
}
