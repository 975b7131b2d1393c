"""Supervised fine-tuning with the transformers Trainer (full or LoRA), resumable.

The same function pretrains the mini base model and fine-tunes every source, so all runs
share one recipe. Checkpoints live outside the final output folder, so a killed job resumes
from its last checkpoint on rerun, and the output appears only once training has finished.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from dataprophet.io.atomic import atomic_dir
from dataprophet.model.encoding import EncodedDataset, TrainCollator
from dataprophet.settings import TrainSettings


def apply_freezing(model, settings: TrainSettings) -> None:
    """Freeze the vision tower / projector as the paper's toolkit does by default; with
    weights loaded in half precision (``settings.load_dtype``), upcast the trainable ones to
    float32 and leave the frozen ones as loaded (LLaMA-Factory's policy without pure_bf16)."""
    if settings.freeze_vision:
        for p in model.model.vision_tower.parameters():
            p.requires_grad_(False)
    if settings.freeze_projector:
        for p in model.model.multi_modal_projector.parameters():
            p.requires_grad_(False)
    if settings.load_dtype != "float32":
        for p in model.parameters():
            if p.requires_grad:
                p.data = p.data.float()


def cast_saved_weights(folder: Path, dtype: str) -> None:
    """Rewrite every safetensors file in ``folder`` with its floating-point tensors in
    ``dtype`` (and config.json's dtype), one file at a time; works on what any strategy
    (DDP, FSDP, ZeRO) saved, since it reads the files, not the wrapped model."""
    from safetensors.torch import load_file, save_file

    target = getattr(torch, dtype)
    for path in sorted(folder.glob("*.safetensors")):
        tensors = load_file(str(path))
        if all(not t.is_floating_point() or t.dtype == target for t in tensors.values()):
            continue
        cast = {k: (t.to(target) if t.is_floating_point() else t).contiguous() for k, t in tensors.items()}
        partial = path.with_name(path.name + ".partial")
        save_file(cast, str(partial), metadata={"format": "pt"})
        os.replace(partial, path)
    config = folder / "config.json"
    if config.exists():
        values = json.loads(config.read_text())
        for key in ("dtype", "torch_dtype"):
            if key in values:
                values[key] = dtype
        config.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")


def wrap_lora(model, settings: TrainSettings):
    """LoRA on the language model only (a plain module list would also hit the vision tower)."""
    from peft import LoraConfig, get_peft_model

    names = [n for n, _ in model.named_modules() if re.fullmatch(settings.lora_target, n)]
    if not names:
        raise ValueError(f"lora_target {settings.lora_target!r} matches no module of the model")
    config = LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=settings.lora_target,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


# Optimizer state as each backend writes it: plain / DDP (optimizer.pt), FSDP (optimizer*.bin or
# optimizer_*/), DeepSpeed (inside global_step*/).
OPTIMIZER_PATTERNS = ("optimizer.pt", "optimizer*.bin", "optimizer_*", "global_step*")
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model_fsdp*", "global_step*")


def _is_complete(checkpoint: Path) -> bool:
    """Trainer writes trainer_state.json after the weights and optimizer state, so its
    presence, with both of those, marks a checkpoint that was saved to the end."""

    def has(patterns) -> bool:
        return any(any(checkpoint.glob(p)) for p in patterns)

    return (checkpoint / "trainer_state.json").exists() and has(OPTIMIZER_PATTERNS) and has(WEIGHT_PATTERNS)


def latest_complete_checkpoint(checkpoint_dir: Path, remove_partial: bool = True) -> Path | None:
    """The newest checkpoint whose files were all written; incomplete ones are removed.

    A job killed while saving leaves a partial ``checkpoint-N``; resuming from it would
    fail or silently restart the optimizer, so it is discarded and the previous one used.
    Completeness is judged the same way for DDP, FSDP and DeepSpeed checkpoints. In a
    multi-process run only the main process removes anything (``remove_partial``).
    """
    if not checkpoint_dir.exists():
        return None
    candidates = sorted(checkpoint_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]), reverse=True)
    for candidate in candidates:
        if _is_complete(candidate):
            return candidate
        if remove_partial:
            shutil.rmtree(candidate, ignore_errors=True)
    return None


def is_main_process() -> bool:
    """Rank 0 of an ``accelerate launch`` / torchrun job, or the only process."""
    return int(os.environ.get("RANK", "0")) == 0


def _training_arguments(settings: TrainSettings, checkpoint_dir: Path, on_gpu: bool):
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.lr_scheduler,
        warmup_steps=settings.warmup_ratio,  # a float in [0, 1) is a ratio of total steps
        weight_decay=settings.weight_decay,
        max_steps=settings.max_steps if settings.max_steps > 0 else -1,
        num_train_epochs=settings.epochs,
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=1,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=settings.bf16 and on_gpu,
        activation_checkpointing=settings.gradient_checkpointing,
        use_cpu=not on_gpu,
        ddp_find_unused_parameters=False,  # frozen towers are excluded from DDP, nothing else is unused
        report_to=[],
        disable_tqdm=not sys.stderr.isatty(),  # a bar on a terminal; in logs, the loss every logging_steps
        dataloader_num_workers=settings.dataloader_workers,
        remove_unused_columns=False,
    )


# A CPU run keeps the encodings of a table up to this size (the mini study's); larger ones are
# encoded again each epoch, as on GPU, so memory stays flat.
CACHE_ROWS = 20_000
# The columns a fine-tune reads; the memory-mapped copy of a table holds only these.
TRAIN_COLUMNS = ["image", "question", "answers", "instruction"]


def mapped_rows(table: Path, checkpoint_dir: Path):
    """The rows of the contract table ``table`` as ``MappedRows``: on first use its rows are
    checked (``validate_file``, a row group at a time) and copied to
    ``checkpoint_dir/rows.arrow``; a resumed run maps the copy it left unless the table has
    been rewritten since (its path, size and modification time are kept beside the copy).
    Called by the main process first (``main_process_first``), so the other ranks find the
    file written."""
    from dataprophet.io.contract import MappedRows, validate_file, write_mapped

    mapped, stamp_file = checkpoint_dir / "rows.arrow", checkpoint_dir / "rows.arrow.json"
    info = Path(table).stat()
    stamp = {"table": str(Path(table).resolve()), "bytes": info.st_size, "mtime_ns": info.st_mtime_ns}
    fresh = mapped.exists() and stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp
    if not fresh:  # first use, or the table was rewritten since the copy was made
        validate_file(table)
        write_mapped(table, mapped, TRAIN_COLUMNS)
        stamp_file.write_text(json.dumps(stamp) + "\n")
    return MappedRows(mapped)


def train(
    model,
    processor,
    frame: pd.DataFrame | Path,
    settings: TrainSettings,
    out_dir: str | Path,
    checkpoint_dir: str | Path,
    save_full_model: bool,
) -> dict:
    """Train on ``frame`` (contract rows) and save to ``out_dir``; returns the training log.

    ``frame`` is a DataFrame, or the path of a contract table to read lazily: the main process
    checks its rows and copies them into a memory-mapped Arrow file in ``checkpoint_dir``
    (``mapped_rows``), which every data-parallel rank then reads a row at a time.

    ``save_full_model`` saves merged full weights (the base); otherwise a LoRA run saves its
    adapter and a full run its weights, beside the processor files.
    """
    from transformers import Trainer

    from dataprophet.model.modeling import save_model_dir

    checkpoint_dir = Path(checkpoint_dir)
    on_gpu = torch.cuda.is_available()
    torch.manual_seed(settings.seed)
    apply_freezing(model, settings)
    if settings.method == "lora":
        model = wrap_lora(model, settings)
    args = _training_arguments(settings, checkpoint_dir, on_gpu)
    if isinstance(frame, pd.DataFrame):
        dataset = EncodedDataset(frame, processor, cache=not on_gpu)
    else:
        with args.main_process_first(desc="mapping the training rows"):
            rows = mapped_rows(Path(frame), checkpoint_dir)
        # on CPU (the mini study) small tables keep their encodings for the next epoch
        dataset = EncodedDataset(rows, processor, cache=not on_gpu and len(rows) <= CACHE_ROWS)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=TrainCollator(processor.tokenizer.pad_token_id),
        processing_class=processor,
    )
    resume = latest_complete_checkpoint(checkpoint_dir, remove_partial=is_main_process())
    started = time.time()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.time() - started
    log = {
        "settings": asdict(settings),
        "samples": len(dataset),
        "world_size": int(trainer.args.world_size),
        "resumed_from_checkpoint": bool(resume),
        "train_seconds": round(seconds, 2),
        "global_step": int(result.global_step),
        "train_loss": float(result.training_loss),
        "trainable_parameters": int(sum(p.numel() for p in model.parameters() if p.requires_grad)),
        "history": [h for h in trainer.state.log_history if "loss" in h],
    }
    if settings.method == "lora" and save_full_model:
        model = model.merge_and_unload()
        with atomic_dir(out_dir) as tmp:
            save_model_dir(model, processor, tmp)
            if settings.save_dtype != "float32":
                cast_saved_weights(tmp, settings.save_dtype)
            (tmp / "train_log.json").write_text(json.dumps(log, indent=2) + "\n")
    else:
        _save_distributed(trainer, processor, log, Path(out_dir))
    if is_main_process():
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return log


def _save_distributed(trainer, processor, log: dict, out_dir: Path) -> None:
    """Save the trained weights (full, or the LoRA adapter) from every process count.

    ``Trainer.save_model`` must run on every rank (FSDP and ZeRO-3 gather the shards there)
    and writes from the main one, so all ranks save into one fixed staging folder; the main
    rank adds the processor files and the log and renames it into place only at the end.
    """
    from dataprophet.model.modeling import save_processor_files

    staging = out_dir.parent / f".{out_dir.name}.staging"
    accelerator = trainer.accelerator
    if is_main_process():
        shutil.rmtree(staging, ignore_errors=True)
    accelerator.wait_for_everyone()
    trainer.save_model(str(staging))
    accelerator.wait_for_everyone()
    if is_main_process():
        if log["settings"]["save_dtype"] != "float32":
            cast_saved_weights(staging, log["settings"]["save_dtype"])
        save_processor_files(processor, staging)
        (staging / "train_log.json").write_text(json.dumps(log, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    accelerator.wait_for_everyone()
