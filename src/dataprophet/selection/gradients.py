"""Stage ``gradients``: ICONS' gradient features of each dataset, in batched passes.

For every row of the dataset's source tables (its train and pool tables, or its synthetic
pool) and of its validation table (as a target): the gradient of that example's mean answer-token loss with respect to
the LoRA parameters of the ICONS warm-up model, randomly projected (``selection.icons``).

Per-example gradients come from one backward pass per batch: hooks on every LoRA layer keep
the layer's input x and the gradient g at its output, and the gradient of a linear layer's
weight for example b is sum_t g[b, t] x[b, t]^T (``LoraGradients``). This equals a backward
pass per example (tested) because examples in a batch never see each other: right padding
with an attention mask, and the loss is a sum of per-example means.
One job computes every dataset of a pool, loading the warm-up model once; with
``selection.icons.jobs_per_dataset`` (GPU clusters) one job per dataset.
Reproduce: ``snakemake results/mini/features/icons/chart_bar.npz`` (real data) or
``results/mini/features/synthetic_icons/chart_bar.npz`` (the synthetic pool, with the
warm-up on it); the rule ``gradients`` calls ``dataprophet gradients``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from dataprophet.io.atomic import atomic_path
from dataprophet.io.contract import read_table
from dataprophet.io.progress import batch_starts
from dataprophet.model.encoding import IGNORE_INDEX, EncodedDataset, TrainCollator
from dataprophet.selection.icons import project
from dataprophet.settings import GradientSettings


class LoraGradients:
    """Forward hooks on the LoRA A and B layers of a peft model that record, for one batch,
    each layer's input and the gradient at its output; ``per_example`` turns them into each
    example's weight gradients, layer by layer in a fixed order (module name)."""

    def __init__(self, model):
        self.layers = [
            (name, module)
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear)
            and (".lora_A." in name or ".lora_B." in name)
            and module.weight.requires_grad
        ]
        if not self.layers:
            raise ValueError("the model has no trainable LoRA layers to take gradients of")
        self.inputs: dict[str, torch.Tensor] = {}
        self.grads: dict[str, torch.Tensor] = {}
        self._handles = [module.register_forward_hook(self._hook(name)) for name, module in self.layers]

    def _hook(self, name):
        def hook(module, args, output):
            self.inputs[name] = args[0].detach()

            def keep(grad):
                self.grads[name] = grad.detach()

            output.register_hook(keep)

        return hook

    @property
    def dims(self) -> int:
        return sum(m.weight.numel() for _, m in self.layers)

    def per_example(self):
        """(batch, out * in) gradient of each layer's weight, per example, in layer order."""
        for name, _ in self.layers:
            x, g = self.inputs[name], self.grads[name]
            yield torch.einsum("bto,bti->boi", g.float(), x.float()).reshape(g.shape[0], -1)

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def example_losses(model, batch: dict) -> torch.Tensor:
    """(batch,) each example's mean next-token loss over its answer tokens."""
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], pixel_values=batch["pixel_values"]
    ).logits
    labels = batch["labels"][:, 1:]
    nll = F.cross_entropy(logits[:, :-1].transpose(1, 2).float(), labels, ignore_index=IGNORE_INDEX, reduction="none")
    mask = (labels != IGNORE_INDEX).float()
    return (nll * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


def batch_gradients(model, capture: LoraGradients, batch: dict) -> list[torch.Tensor]:
    """Per-example LoRA gradients of one batch from a single backward pass."""
    model.zero_grad(set_to_none=True)
    example_losses(model, batch).sum().backward()
    return list(capture.per_example())


def projected_gradients(model, processor, frame, settings: GradientSettings, label: str = "") -> np.ndarray:
    """(rows, projection_dim) projected per-example gradients of the contract rows ``frame``."""
    device = next(model.parameters()).device
    dataset = EncodedDataset(frame, processor, cache=False)
    collate = TrainCollator(processor.tokenizer.pad_token_id)
    capture = LoraGradients(model)
    out = np.zeros((len(frame), settings.projection_dim), dtype=np.float32)
    try:
        for start in batch_starts(len(frame), settings.batch_size, f"gradients {label}"):
            rows = range(start, min(start + settings.batch_size, len(frame)))
            batch = {k: v.to(device) for k, v in collate([dataset[i] for i in rows]).items()}
            pieces = batch_gradients(model, capture, batch)
            projected, _ = project(pieces, settings.projection_dim, settings.seed, settings.block_dims)
            out[start : rows.stop] = projected.detach().cpu().numpy()
    finally:
        capture.close()
    return out


def load_warmed_up(base: Path, warmup: Path, dtype: str = "float32"):
    """The base with the warm-up's LoRA adapter kept separate and trainable (not merged)."""
    from peft import PeftModel

    from dataprophet.model.modeling import inference_device, load_model

    if not (Path(warmup) / "adapter_config.json").exists():
        raise FileNotFoundError(f"{warmup} holds no LoRA adapter (adapter_config.json); ICONS warms up with LoRA")
    model = PeftModel.from_pretrained(load_model(base, dtype=dtype), str(warmup), is_trainable=True)
    model.eval()  # no dropout: a gradient is a function of the example alone
    return model.to(inference_device())


def group_sources(sources: list[Path], val: list[Path], out: list[Path]) -> list[tuple[list[Path], Path, Path]]:
    """(source tables, val table, output) per dataset: a dataset's source tables are those whose
    file name (stem) is its val table's, in the order given."""
    if len(val) != len(out):
        raise ValueError(f"{len(val)} val tables but {len(out)} output paths; give one output per val table")
    names = [Path(v).stem for v in val]
    if len(set(names)) != len(names):
        raise ValueError(f"val tables repeat a dataset name: {names}")
    unmatched = [str(p) for p in sources if Path(p).stem not in names]
    if unmatched:
        raise ValueError(f"source tables {unmatched} match no val table's dataset ({names})")
    groups = []
    for v, o in zip(val, out):
        own = [Path(p) for p in sources if Path(p).stem == Path(v).stem]
        if not own:
            raise ValueError(f"val table {v} has no source table of the same name among --sources")
        groups.append((own, Path(v), Path(o)))
    return groups


def gradients(
    base: Path,
    warmup: Path,
    sources: list[Path],
    val: list[Path],
    out: list[Path],
    settings: GradientSettings,
    threads: int = 1,
) -> dict:
    """Projected gradients of each dataset of ``val``: the rows of its ``sources`` tables (those
    of the same file name: train and pool, or the synthetic pool), as a source, and its val
    rows, as a target, to the ``out`` path at the val table's position (npz: pool_ids, pool,
    val_ids, val). The warm-up model is loaded once for all of them."""
    from dataprophet.model.modeling import load_processor, set_threads

    groups = group_sources(sources, val, out)
    set_threads(threads)
    frames = [(pd.concat([read_table(p) for p in own], ignore_index=True), read_table(v)) for own, v, _ in groups]
    processor = load_processor(base, settings.max_tiles)
    model = load_warmed_up(base, warmup)
    totals = {"examples": 0, "seconds": 0.0}
    for (_, v, path), (source, target) in zip(groups, frames):
        started = time.time()
        pool_grads = projected_gradients(model, processor, source, settings, f"{v.stem} pool")
        val_grads = projected_gradients(model, processor, target, settings, f"{v.stem} val")
        seconds = time.time() - started
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(
                handle,
                pool_ids=np.asarray(source["id"].astype(str), dtype=str),
                pool=pool_grads,
                val_ids=np.asarray(target["id"].astype(str), dtype=str),
                val=val_grads,
            )
        n = len(source) + len(target)
        print(f"{v.stem}: gradients of {n} examples in {seconds:.1f} s ({n / max(seconds, 1e-9):.1f}/s) -> {path}")
        totals["examples"] += n
        totals["seconds"] += seconds
    return totals
