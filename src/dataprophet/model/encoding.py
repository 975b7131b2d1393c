"""Turn contract rows into model inputs: chat prompt, image tiles, answer-only labels.

Loss is taken on answer tokens only (the paper's SFT and the perplexity factor both
condition on image and question), so prompt positions are labelled -100. The answer ids
are tokenised separately and appended, which makes the mask exact whatever the tokenizer.
"""

from __future__ import annotations

import torch

IGNORE_INDEX = -100


def chat_messages(processor, question: str) -> list[dict]:
    """The conversation of one sample: the model's system turn when its folder names one
    (``modeling.write_system_prompt``), then the user turn (image, question)."""
    content = [{"type": "image"}, {"type": "text", "text": question}]
    system = getattr(processor, "system_prompt", None)
    head = [{"role": "system", "content": [{"type": "text", "text": system}]}] if system else []
    return head + [{"role": "user", "content": content}]


def chat_prompt(processor, question: str) -> str:
    """The conversation (``chat_messages``) plus the assistant header, from the chat template."""
    return processor.apply_chat_template(chat_messages(processor, question), add_generation_prompt=True, tokenize=False)


def template_end_of_turn(processor) -> int | None:
    """The special token the chat template closes an assistant turn with (Gemma 3's
    ``<end_of_turn>``, Idefics3's ``<end_of_utterance>``), or None when the template has none."""
    template = getattr(processor, "chat_template", None)
    if not template:
        return None
    from dataprophet.model.vlms import render_turn

    mark = "\u2063"
    rendered = render_turn(processor, "assistant", mark)
    suffix = rendered.split(mark, 1)[1].strip() if mark in rendered else ""
    if not suffix:
        return None
    tokenizer = processor.tokenizer
    first = tokenizer(suffix, add_special_tokens=False)["input_ids"][:1]
    special = set(tokenizer.all_special_ids) | {i for i, t in tokenizer.added_tokens_decoder.items() if t.special}
    return first[0] if first and first[0] in special else None


def end_of_turn_ids(tokenizer, processor=None) -> list[int]:
    """Ids that end an answer: the chat format's ``<|im_end|>`` when the vocabulary has it
    (InternVL's Qwen2 template closes every turn with it), else the special token the
    processor's chat template closes an assistant turn with, then the tokenizer's eos, so
    training and generation agree whichever of these a checkpoint names as eos."""
    ids = []
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id and im_end >= 0:
        ids.append(im_end)
    elif processor is not None and (closing := template_end_of_turn(processor)) is not None:
        ids.append(closing)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids


def answer_ids(processor, answer: str) -> list[int]:
    """Answer tokens followed by the end-of-turn token the model must learn to emit."""
    tokenizer = processor.tokenizer
    ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    return ids + end_of_turn_ids(tokenizer, processor)[:1]


def encode_example(processor, image, question: str, answer: str) -> dict:
    """One training example: prompt ids (image expanded), answer ids, labels, pixel tiles."""
    prompt = processor(images=[image], text=[chat_prompt(processor, question)], return_tensors="pt")
    prompt_ids = prompt["input_ids"][0].tolist()
    target = answer_ids(processor, answer)
    example = {
        "input_ids": prompt_ids + target,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + target,
        "pixel_values": prompt["pixel_values"],
    }
    # what else the family's processor gives (Qwen's grid, LLaVA-OneVision's image sizes,
    # Idefics3's pixel mask, Gemma 3's token types); InternVL gives none of these
    extras = {k: v for k, v in prompt.items() if k not in ("input_ids", "attention_mask", "pixel_values")}
    extras.pop("num_patches", None)
    if extras:
        example["extras"] = extras
    return example


def _pad_to(tensor: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    pad = [0, 0] * (tensor.dim() - dim - 1) + [0, size - tensor.shape[dim]]
    return torch.nn.functional.pad(tensor, pad)


def collate_images(values: list[torch.Tensor]) -> torch.Tensor:
    """Stack per-example image tensors: 5-d ones (samples, images or crops, ...) are zero-padded
    to the most crops first (Idefics3 and LLaVA-OneVision drop all-zero crops), others concatenated."""
    if values[0].dim() == 5:
        most = max(v.shape[1] for v in values)
        values = [_pad_to(v, 1, most) for v in values]
    return torch.cat(values, dim=0)


class TrainCollator:
    """Right-pads ids and labels and stacks image tiles into one batch."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, examples: list[dict]) -> dict:
        width = max(len(e["input_ids"]) for e in examples)
        ids = torch.full((len(examples), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, e in enumerate(examples):
            n = len(e["input_ids"])
            ids[row, :n] = torch.tensor(e["input_ids"])
            labels[row, :n] = torch.tensor(e["labels"])
            mask[row, :n] = 1
        pixels = collate_images([e["pixel_values"] for e in examples])
        batch = {"input_ids": ids, "attention_mask": mask, "labels": labels, "pixel_values": pixels}
        for key in examples[0].get("extras", {}):
            values = [e["extras"][key] for e in examples]
            if values[0].dim() == 2 and values[0].shape[0] == 1 and key.endswith("type_ids"):  # per token
                batch[key] = torch.cat([_pad_to(v, 1, width) for v in values])
            else:
                batch[key] = collate_images(values)
        return batch


class EncodedDataset(torch.utils.data.Dataset):
    """Contract rows encoded lazily; ``cache`` keeps encodings for small (mini) datasets.

    ``rows`` is a DataFrame (held in memory: the mini study, the base's pretraining mix) or a
    ``io.contract.MappedRows`` (a memory-mapped table: each row is read when it is encoded,
    so data-parallel ranks share one copy of the images in the page cache instead of each
    holding the whole table)."""

    def __init__(self, rows, processor, cache: bool):
        from dataprophet.data.instructions import prompt_texts
        from dataprophet.io.contract import decode_image

        self._decode = decode_image
        if hasattr(rows, "to_dict"):  # the prompt: the question and its answer-format instruction
            self.rows = rows[["image", "answers"]].assign(question=prompt_texts(rows)).to_dict("records")
        else:
            self.rows = rows
        self.processor = processor
        self._cache: dict[int, dict] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.rows)

    def _row(self, index: int) -> dict:
        row = self.rows[index]
        if "instruction" in row:  # a mapped row: the prompt is built here (data.instructions)
            from dataprophet.data.instructions import with_instruction

            instruction = row["instruction"]
            row = {**row, "question": with_instruction(row["question"], instruction or "")}
        return row

    def __getitem__(self, index: int) -> dict:
        if self._cache is not None and index in self._cache:
            return self._cache[index]
        row = self._row(index)
        example = encode_example(self.processor, self._decode(row["image"]), row["question"], row["answers"][0])
        if self._cache is not None:
            self._cache[index] = example
        return example
