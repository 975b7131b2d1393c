"""Atomic file writes: outputs appear complete or not at all, so a killed job never
leaves a file that Snakemake or a later stage would take as finished."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: str | Path, mode: int) -> None:
    """Give a temporary file or folder the mode a plain ``open`` or ``mkdir`` would have
    (``mkstemp`` and ``mkdtemp`` make them private, 0600 / 0700), so the group can read
    results on a shared cluster whenever the umask allows it."""
    os.chmod(tmp, mode & ~_umask())


def _publish_tree(folder: Path) -> None:
    """``_publish`` for a folder and everything in it: libraries that write through their own
    temporary files (safetensors, the Trainer's checkpoints) leave them 0600, and the
    weights of a fine-tune must be readable as the umask allows, like every other output."""
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            _publish(os.path.join(root, name), 0o777)
        for name in files:
            path = os.path.join(root, name)
            _publish(path, 0o777 if os.stat(path).st_mode & 0o100 else 0o666)
    _publish(folder, 0o777)


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"output {path} is a folder; give the path of a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _publish(tmp, 0o666)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_dir(path: str | Path):
    """Yield a temporary directory beside ``path``; swap it into place only on success.

    The files written into it appear together, and a previous ``path`` goes whole: no file
    of an earlier run is left beside the new ones. The old folder is first renamed aside and
    removed only once the new one is in place, so a kill leaves either the old set or the
    new one (and at worst a hidden ``.<name>.*.old`` folder beside it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        _publish_tree(tmp)
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_json(obj, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_csv(frame, path: str | Path, **kwargs) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **kwargs)
