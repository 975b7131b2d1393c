"""Progress of the long loops (generation, features, gradients): a tqdm bar when the output
is a terminal, and a plain line every ``every`` seconds otherwise, so a job's log shows how
far it got while it runs."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator


def batch_starts(total: int, size: int, desc: str, every: float = 30.0) -> Iterator[int]:
    """The start offset of each batch of ``size`` over ``total`` items, with progress."""
    starts = range(0, total, size)
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=total, desc=desc, unit="sample", leave=False) as bar:
            for start in starts:
                yield start
                bar.update(min(size, total - start))
        return
    started = last = time.time()
    for start in starts:
        yield start
        now = time.time()
        if now - last >= every:
            done = min(start + size, total)
            print(f"{desc}: {done}/{total} samples, {now - started:.0f} s", flush=True)
            last = now
