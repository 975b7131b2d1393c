"""Stage ``base`` (mini scale): tokenizer trained on the suite, tiny InternVL, brief pretraining.

Pretraining uses a mixture drawn disjointly from every dataset's source and target samples,
so the base scores above zero everywhere and still leaves room for fine-tuning to help.
Reproduce: ``snakemake results/mini/models/base`` (the rule ``base`` calls ``dataprophet base``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dataprophet.io.contract import read_table
from dataprophet.model.modeling import (
    TINY_CHAT_TEMPLATE,
    TinyModelSpec,
    build_processor,
    build_tiny_model,
    set_threads,
    train_tokenizer,
)
from dataprophet.model.train import train
from dataprophet.settings import BaseSettings


def suite_texts(frames: list[pd.DataFrame]):
    """Questions, answers and choices: the text the tokenizer is trained on."""
    for frame in frames:
        yield from frame["question"]
        for answers in frame["answers"]:
            yield from answers


def base(
    pretrain: list[Path],
    out: Path,
    checkpoints: Path,
    settings: BaseSettings,
    tokenizer_extra: list[Path] = (),
    threads: int = 1,
) -> dict:
    """Train the tokenizer on the pretrain and ``tokenizer_extra`` tables' text, build the tiny
    InternVL and pretrain it on the pretrain tables; the model folder goes to ``out``."""
    set_threads(threads)
    tiny = TinyModelSpec(**settings.model_spec)
    frames = [read_table(p, validate=True) for p in pretrain]
    text_frames = frames + [read_table(p) for p in tokenizer_extra if p not in pretrain]
    tokenizer = train_tokenizer(suite_texts(text_frames), tiny.vocab_size)
    processor = build_processor(tokenizer, tiny.image_size, 1, tiny.image_seq_length, TINY_CHAT_TEMPLATE)
    model = build_tiny_model(tiny, tokenizer, seed=settings.training.seed)
    mixture = pd.concat(frames, ignore_index=True)
    log = train(model, processor, mixture, settings.training, out, checkpoints, save_full_model=True)
    print(f"base model: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")
    return log
