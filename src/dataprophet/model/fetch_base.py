"""Stage ``fetch_base`` (paper scale): the released checkpoint (InternVL3-2B-hf) in the study folder.

Reproduce: ``snakemake --configfile config/paper.yaml results/paper/models/base`` (the rule
``fetch_base`` calls ``dataprophet fetch-base``). The only command besides ``prepare`` that
may reach the hub.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dataprophet.io.atomic import atomic_dir
from dataprophet.settings import ModelSettings

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
        raise CheckpointError(
            f"{config_file}: 'auto_map' asks for remote code; use the transformers-native "
            f"checkpoint (e.g. OpenGVLab/InternVL3-2B-hf), remote code stays off"
        )
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


def fetch_base(out: Path, settings: ModelSettings) -> dict:
    """Put the released base checkpoint in ``out`` (atomically) and record where it came from.

    ``settings.local_dir`` is a copy already on disk (GPU nodes without internet); otherwise
    the hub snapshot of ``settings.id`` at ``settings.revision`` is downloaded, safetensors
    and configs only. ``settings.system_prompt`` is recorded beside it
    (``modeling.write_system_prompt``), so that every stage using the model adds it.
    """
    from dataprophet.model.modeling import write_system_prompt  # imports torch: only when run

    with atomic_dir(out) as tmp:
        if settings.local_dir is not None:
            source = Path(settings.local_dir)
            if not source.is_dir():
                raise CheckpointError(f"config key 'model.local_dir': {source} is not a folder")
            check_checkpoint(source)
            _copy_checkpoint(source, tmp)
            origin = {"local_dir": str(source.resolve())}
        else:
            from huggingface_hub import snapshot_download

            snapshot_download(
                repo_id=settings.id, revision=settings.revision, local_dir=tmp, allow_patterns=list(CHECKPOINT_PATTERNS)
            )
            origin = {"id": settings.id, "revision": settings.revision}
        check_checkpoint(tmp)
        write_system_prompt(tmp, settings.system_prompt)
        (tmp / "base_source.json").write_text(json.dumps(origin, indent=2, sort_keys=True) + "\n")
    print(f"base checkpoint from {origin} in {out}")
    return origin
