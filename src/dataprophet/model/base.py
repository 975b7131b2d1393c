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


def benchmark_mixture(web: pd.DataFrame, benchmarks: list[pd.DataFrame], share: float, seed: int) -> pd.DataFrame:
    """The web table plus ``share`` of the whole mixture drawn from the benchmark tables, as
    evenly over them as the count allows (a seeded draw without replacement in each)."""
    if not 0 <= share < 1:
        raise ValueError(f"benchmark_share must be in [0, 1), got {share}")
    wanted = round(share / (1 - share) * len(web))
    if wanted == 0 or not benchmarks:
        return web.reset_index(drop=True)
    per, extra = divmod(wanted, len(benchmarks))
    parts = [web]
    for k, frame in enumerate(benchmarks):
        n = per + (1 if k < extra else 0)
        if n > len(frame):
            raise ValueError(f"benchmark_share asks {n} samples of a pretrain table of {len(frame)} rows")
        parts.append(frame.sample(n=n, random_state=seed + k))
    return pd.concat(parts, ignore_index=True)


def base(
    pretrain: list[Path],
    out: Path,
    checkpoints: Path,
    settings: BaseSettings,
    tokenizer_extra: list[Path] = (),
    threads: int = 1,
    web: Path | None = None,
) -> dict:
    """Train the tokenizer on the pretrain, ``web`` and ``tokenizer_extra`` tables' text, build
    the tiny InternVL and pretrain it; the model folder goes to ``out``.

    Without ``web`` the mixture is the pretrain tables (testbed v1). With it (testbed v2) the
    mixture is the web table plus a slice of the pretrain tables making up
    ``settings.benchmark_share`` of it (``benchmark_mixture``); the benchmarks' train tables
    are still read for the tokenizer, so every benchmark word has its tokens."""
    set_threads(threads)
    tiny = TinyModelSpec(**settings.model_spec)
    frames = [read_table(p, validate=True) for p in pretrain]
    web_frame = read_table(web, validate=True) if web is not None else None
    text_frames = frames + ([web_frame] if web_frame is not None else [])
    text_frames += [read_table(p) for p in tokenizer_extra if p not in pretrain]
    tokenizer = train_tokenizer(suite_texts(text_frames), tiny.vocab_size)
    processor = build_processor(tokenizer, tiny.image_size, 1, tiny.image_seq_length, TINY_CHAT_TEMPLATE)
    model = build_tiny_model(tiny, tokenizer, seed=settings.training.seed)
    if web_frame is None:
        mixture = pd.concat(frames, ignore_index=True)
    else:
        mixture = benchmark_mixture(web_frame, frames, settings.benchmark_share, seed=settings.training.seed)
        print(f"base mixture: {len(web_frame)} web samples + {len(mixture) - len(web_frame)} benchmark samples")
    log = train(model, processor, mixture, settings.training, out, checkpoints, save_full_model=True)
    print(f"base model: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")
    return log
