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
    full weights go to ``out``, resumable checkpoints to ``checkpoints``. The table is read
    lazily (``model.train.mapped_rows``): no process holds it whole, so a 280K-row mixture
    with its images costs each data-parallel rank one row at a time, not a copy."""
    set_threads(threads)
    read_table(train, columns=["id"])  # a missing file or column is named before the model loads
    processor = load_processor(base, settings.max_tiles)
    model = load_model(base, dtype=settings.load_dtype)
    log = run_training(model, processor, Path(train), settings, out, checkpoints, save_full_model=False)
    print(f"fine-tune {train}: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")
    return log
