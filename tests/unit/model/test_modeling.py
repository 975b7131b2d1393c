"""The tiny InternVL builder, processor round trip and answer-only label masking."""

from __future__ import annotations

import json

import torch
from PIL import Image

from dataprophet.model.encoding import IGNORE_INDEX, TrainCollator, chat_prompt, encode_example
from dataprophet.model.modeling import IMG_CONTEXT, load_base, load_processor, save_model_dir


def _image(colour=(255, 0, 0)):
    return Image.new("RGB", (64, 64), colour)


def test_tiny_model_uses_the_real_internvl_classes(tiny_parts):
    tokenizer, processor, model, spec = tiny_parts
    assert type(model).__name__ == "InternVLForConditionalGeneration"
    assert model.config.text_config.model_type == "qwen2"
    assert model.config.image_token_id == tokenizer.convert_tokens_to_ids(IMG_CONTEXT)
    assert spec.image_seq_length == 16


def test_processor_expands_one_image_into_image_seq_length_tokens(tiny_parts):
    tokenizer, processor, _, spec = tiny_parts
    batch = processor(images=[_image()], text=[chat_prompt(processor, "what colour?")], return_tensors="pt")
    image_tokens = (batch["input_ids"][0] == tokenizer.convert_tokens_to_ids(IMG_CONTEXT)).sum().item()
    assert image_tokens == spec.image_seq_length
    assert batch["pixel_values"].shape == (1, 3, 64, 64)


def test_labels_cover_only_the_answer_and_end_of_turn(tiny_parts):
    tokenizer, processor, _, _ = tiny_parts
    example = encode_example(processor, _image(), "what colour is the circle?", "red")
    answer = tokenizer("red", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    supervised = [t for t in example["labels"] if t != IGNORE_INDEX]
    assert supervised == answer
    # The supervised tokens are the tail of the sequence, and the sequence equals tokenising
    # prompt + answer + end-of-turn in one go (the split does not change tokenisation).
    assert example["input_ids"][-len(answer) :] == answer
    whole = processor(
        images=[_image()], text=[chat_prompt(processor, "what colour is the circle?") + "red" + tokenizer.eos_token]
    )
    assert list(whole["input_ids"][0]) == example["input_ids"]


def test_collator_right_pads_and_ignores_padding(tiny_parts):
    tokenizer, processor, model, _ = tiny_parts
    a = encode_example(processor, _image(), "what colour?", "red")
    b = encode_example(processor, _image((0, 0, 255)), "what colour is the big square here?", "blue")
    batch = TrainCollator(tokenizer.pad_token_id)([a, b])
    short = 0 if len(a["input_ids"]) < len(b["input_ids"]) else 1
    n = min(len(a["input_ids"]), len(b["input_ids"]))
    assert batch["attention_mask"][short, n:].sum() == 0
    assert (batch["labels"][short, n:] == IGNORE_INDEX).all()
    loss = model(**batch).loss
    assert torch.isfinite(loss)


def test_save_and_load_round_trip_gives_identical_logits(tiny_parts, tmp_path):
    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").exists()
    reloaded_processor = load_processor(tmp_path / "m")
    reloaded = load_base(tmp_path / "m")
    batch = reloaded_processor(
        images=[_image()], text=[chat_prompt(reloaded_processor, "what colour?")], return_tensors="pt"
    )
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, reloaded(**batch).logits)


def test_answers_end_with_im_end_even_when_eos_is_another_token(tiny_parts):
    """A Qwen2 checkpoint may name <|endoftext|> as eos while its chat turns end with
    <|im_end|>: training targets end with <|im_end|> and generation stops at either."""
    import copy

    from dataprophet.model.encoding import answer_ids, end_of_turn_ids

    tokenizer, processor, _, _ = tiny_parts
    other = copy.deepcopy(processor)
    other.tokenizer.eos_token = "<|endoftext|>"
    im_end = other.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert end_of_turn_ids(other.tokenizer) == [im_end, other.tokenizer.convert_tokens_to_ids("<|endoftext|>")]
    assert answer_ids(other, "red")[-1] == im_end
    assert end_of_turn_ids(tokenizer) == [im_end]  # the tiny tokenizer's eos is <|im_end|> already


def test_half_precision_policy_loads_upcasts_trains_and_saves_in_bfloat16(tiny_parts, tmp_path):
    """The paper recipe's precision policy at tiny size: weights loaded in bf16, the trainable
    ones upcast to float32 for the optimizer, the frozen towers left in bf16, and the result
    written in bf16 (half the size on disk), with two data-loader worker processes."""
    from safetensors import safe_open

    from dataprophet.data.suite import generate_splits
    from dataprophet.io.contract import write_table
    from dataprophet.model.finetune import finetune
    from dataprophet.model.modeling import load_base, load_finetuned, load_model, save_model_dir
    from dataprophet.model.train import apply_freezing
    from dataprophet.settings import TrainSettings

    _, processor, model, _ = tiny_parts
    save_model_dir(model, processor, tmp_path / "base")
    write_table(generate_splits("chart_bar", {"train": 8}, seed=1)["train"], tmp_path / "train.parquet")
    settings = TrainSettings(
        method="full", max_steps=2, batch_size=4, learning_rate=1e-3, freeze_vision=True, freeze_projector=True,
        load_dtype="bfloat16", save_dtype="bfloat16", dataloader_workers=2, save_steps=10,
    )  # fmt: skip
    loaded = load_model(tmp_path / "base", dtype="bfloat16")
    apply_freezing(loaded, settings)
    dtypes = {p.dtype for p in loaded.parameters() if p.requires_grad}
    frozen = {p.dtype for p in loaded.model.vision_tower.parameters()}
    assert dtypes == {torch.float32} and frozen == {torch.bfloat16}

    finetune(tmp_path / "base", tmp_path / "train.parquet", tmp_path / "ft", tmp_path / "ckpt", settings)
    files = list((tmp_path / "ft").glob("*.safetensors"))
    assert files
    for path in files:
        with safe_open(str(path), "pt") as f:
            assert {f.get_tensor(k).dtype for k in f.keys()}  # noqa: SIM118 (a safetensors handle) == {torch.bfloat16}
    config = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert config.get("dtype", config.get("torch_dtype")) == "bfloat16"
    tuned, base = load_finetuned(tmp_path / "base", tmp_path / "ft"), load_base(tmp_path / "base")
    vision = dict(base.model.vision_tower.named_parameters())
    assert all(torch.equal(p, vision[n].bfloat16().float()) for n, p in tuned.model.vision_tower.named_parameters())
    lm = dict(base.model.language_model.named_parameters())
    assert any(not torch.equal(p, lm[n].bfloat16().float()) for n, p in tuned.model.language_model.named_parameters())
