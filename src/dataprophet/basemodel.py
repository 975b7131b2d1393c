"""The mini base model: tokenizer trained on the suite, tiny InternVL, brief pretraining.

Pretraining uses a mixture drawn disjointly from every dataset's source and target samples,
so the base scores above zero everywhere and still leaves room for fine-tuning to help.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

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


# ---------------------------------------------------------------- paper scale: released checkpoint

# Files a transformers checkpoint needs; pickled weights (*.bin, *.pt) are never fetched.
CHECKPOINT_PATTERNS = ("*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken")


class CheckpointError(ValueError):
    """A base checkpoint folder that cannot be used safely; the message names the folder."""


def check_checkpoint(folder: str | Path) -> None:
    """Refuse folders that would need remote code or pickled weights, before any GPU time."""
    folder = Path(folder)
    config_file = folder / "config.json"
    if not config_file.exists():
        raise CheckpointError(f"{folder}: no config.json; not a transformers checkpoint")
    config = json.loads(config_file.read_text())
    if "auto_map" in config:
        raise CheckpointError(f"{config_file}: 'auto_map' asks for remote code; use the transformers-native "
                              f"checkpoint (e.g. OpenGVLab/InternVL3-2B-hf), remote code stays off")
    if not any(folder.glob("*.safetensors")):
        raise CheckpointError(f"{folder}: no *.safetensors weights (pickled weights are not loaded)")


def _copy_checkpoint(source: Path, dest: Path) -> None:
    """Hard links when source and destination share a file system (a 4 GB checkpoint costs
    nothing), else copies; only the checkpoint patterns are taken."""
    for pattern in CHECKPOINT_PATTERNS:
        for path in source.glob(pattern):
            target = dest / path.name
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


def fetch_base(model_id: str, revision: str | None, local_dir: str | None, out_dir) -> dict:
    """Put the released base checkpoint in ``out_dir`` (atomically) and record where it came from.

    ``local_dir`` is a copy already on disk (GPU nodes without internet); otherwise the hub
    snapshot of ``model_id`` at ``revision`` is downloaded, safetensors and configs only.
    """
    from dataprophet.atomic import atomic_dir

    with atomic_dir(out_dir) as tmp:
        if local_dir is not None:
            source = Path(local_dir)
            if not source.is_dir():
                raise CheckpointError(f"config key 'model.local_dir': {source} is not a folder")
            check_checkpoint(source)
            _copy_checkpoint(source, tmp)
            origin = {"local_dir": str(source.resolve())}
        else:
            from huggingface_hub import snapshot_download

            snapshot_download(repo_id=model_id, revision=revision, local_dir=tmp,
                              allow_patterns=list(CHECKPOINT_PATTERNS))
            origin = {"id": model_id, "revision": revision}
        check_checkpoint(tmp)
        (tmp / "base_source.json").write_text(json.dumps(origin, indent=2, sort_keys=True) + "\n")
    return origin
