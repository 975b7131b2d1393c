"""Shared fixtures: a tiny tokenizer, processor and InternVL built locally (no network)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="session")
def tiny_parts():
    """(tokenizer, processor, model, spec) at the smallest useful size."""
    from dataprophet.model.modeling import (
        TINY_CHAT_TEMPLATE,
        TinyModelSpec,
        build_processor,
        build_tiny_model,
        train_tokenizer,
    )

    texts = [
        f"what colour is the {c} {s}? {n}"
        for c in ("red", "blue", "green")
        for s in ("circle", "square")
        for n in range(30)
    ]
    spec = TinyModelSpec(vision_hidden=32, text_hidden=64, vocab_size=300)
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
    model = build_tiny_model(spec, tokenizer, seed=0)
    return tokenizer, processor, model, spec


INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(config, items):
    """Every test under tests/integration/ is an integration test (`make test-fast` skips them)."""
    for item in items:
        if INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.integration)
