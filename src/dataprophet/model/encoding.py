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


def end_of_turn_ids(tokenizer) -> list[int]:
    """Ids that end an answer: the chat format's ``<|im_end|>`` when the vocabulary has it
    (InternVL's Qwen2 template closes every turn with it), then the tokenizer's eos, so
    training and generation agree whichever of the two a checkpoint names as eos."""
    ids = []
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id and im_end >= 0:
        ids.append(im_end)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids


def answer_ids(processor, answer: str) -> list[int]:
    """Answer tokens followed by the end-of-turn token the model must learn to emit."""
    tokenizer = processor.tokenizer
    ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    return ids + end_of_turn_ids(tokenizer)[:1]


def encode_example(processor, image, question: str, answer: str) -> dict:
    """One training example: prompt ids (image expanded), answer ids, labels, pixel tiles."""
    prompt = processor(images=[image], text=[chat_prompt(processor, question)], return_tensors="pt")
    prompt_ids = prompt["input_ids"][0].tolist()
    target = answer_ids(processor, answer)
    return {
        "input_ids": prompt_ids + target,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + target,
        "pixel_values": prompt["pixel_values"],
    }


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
        pixels = torch.cat([e["pixel_values"] for e in examples], dim=0)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels, "pixel_values": pixels}


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
