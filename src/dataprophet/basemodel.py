"""The mini base model: tokenizer trained on the suite, tiny InternVL, brief pretraining.

Pretraining uses a mixture drawn disjointly from every dataset's source and target samples,
so the base scores above zero everywhere and still leaves room for fine-tuning to help.
"""

from __future__ import annotations

import pandas as pd

from dataprophet.config import TrainSettings
from dataprophet.contract import read_table
from dataprophet.modeling import TINY_CHAT_TEMPLATE, TinyModelSpec, build_processor, build_tiny_model, train_tokenizer
from dataprophet.train import train


def suite_texts(frames: list[pd.DataFrame]):
    """Questions, answers and choices: the text the tokenizer is trained on."""
    for frame in frames:
        yield from frame["question"]
        for answers in frame["answers"]:
            yield from answers


def build_mini_base(pretrain_tables, tokenizer_tables, spec: dict, settings: TrainSettings, out_dir, checkpoint_dir) -> dict:
    tiny = TinyModelSpec(**spec)
    frames = [read_table(p, validate=True) for p in pretrain_tables]
    text_frames = frames + [read_table(p) for p in tokenizer_tables if p not in pretrain_tables]
    tokenizer = train_tokenizer(suite_texts(text_frames), tiny.vocab_size)
    processor = build_processor(tokenizer, tiny.image_size, 1, tiny.image_seq_length, TINY_CHAT_TEMPLATE)
    model = build_tiny_model(tiny, tokenizer, seed=settings.seed)
    mixture = pd.concat(frames, ignore_index=True)
    return train(model, processor, mixture, settings, out_dir, checkpoint_dir, save_full_model=True)
