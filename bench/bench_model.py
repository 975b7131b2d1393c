"""The model a CPU benchmark runs: a saved base model folder, or a tiny InternVL with random
weights whose tokenizer is trained on the benchmark's own data (same classes and shapes as the
mini base). Shared by evaluation_batching.py and feature_scaling.py; not a benchmark itself."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_or_build(model: Path | None, frame: pd.DataFrame) -> tuple[object, object, str]:
    """(processor, model in eval mode, a label saying which) for ``model`` or, when it is None,
    the tiny model built for ``frame``'s questions and answers."""
    from dataprophet.model.modeling import load_base, load_processor

    if model is not None:
        return load_processor(model), load_base(model).eval(), str(model)
    from dataprophet.model.modeling import (
        TINY_CHAT_TEMPLATE,
        TinyModelSpec,
        build_processor,
        build_tiny_model,
        train_tokenizer,
    )

    spec = TinyModelSpec()
    tokenizer = train_tokenizer(list(frame["question"]) + [a[0] for a in frame["answers"]], spec.vocab_size)
    processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
    return processor, build_tiny_model(spec, tokenizer, seed=0).eval(), "tiny InternVL, random weights"
