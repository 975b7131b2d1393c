"""Stage ``finetune``: the base model fine-tuned on one source dataset.

Reproduce: ``snakemake results/mini/models/ft/seed0/ocr_cover`` (the rule ``finetune`` calls
``dataprophet finetune``; with more than one GPU per job, under ``accelerate launch``).
"""

from __future__ import annotations

from pathlib import Path

from dataprophet.io.contract import read_table
from dataprophet.model.modeling import load_model, load_processor, set_threads
from dataprophet.model.train import train as run_training
from dataprophet.settings import TrainSettings


def finetune(base: Path, train: Path, out: Path, checkpoints: Path, settings: TrainSettings, threads: int = 1) -> dict:
    """Fine-tune ``base`` on the contract table ``train``; the adapter (LoRA) or the
    full weights go to ``out``, resumable checkpoints to ``checkpoints``."""
    set_threads(threads)
    frame = read_table(train, validate=True)
    processor = load_processor(base, settings.max_tiles)
    model = load_model(base, dtype=settings.load_dtype)
    log = run_training(model, processor, frame, settings, out, checkpoints, save_full_model=False)
    print(f"fine-tune {train}: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")
    return log
