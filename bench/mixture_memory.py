"""Peak host memory of one fine-tuning process on a large mixture: whole table against lazy rows.

Writes a contract table of ``--rows`` samples (default 100,000, each with its own JPEG of about
``--image-size`` pixels square), saves the tiny InternVL as a base, and runs ``--steps`` LoRA
fine-tuning steps on it three ways, each in a fresh process:

* ``model``: loads the model and processor and stops (the floor every run pays);
* ``eager``: the former path: the whole table read into a DataFrame (images included) and
  checked, then trained on (what every data-parallel rank did);
* ``lazy``: ``dataprophet.model.finetune.finetune``: the table checked a row group at a time,
  copied to a memory-mapped Arrow file, rows read as they are encoded.

For each it prints the process's peak resident memory (VmHWM), and at the end its private
(RssAnon) and file-backed (RssFile) resident memory: a memory-mapped file's pages are the
page cache's, shared by all ranks on a node and dropped under pressure, so RssAnon is what
each rank adds. Numbers are per process; a job with N ranks on a node holds N times the eager
figure, and the lazy figure's RssAnon N times.
Reproduce:  python bench/mixture_memory.py --rows 100000
            (writes about 1 GB under a temporary folder, removed at the end; about 17 minutes
            on two loaded cores, most of it writing the table)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_mixture(path: Path, rows: int, image_size: int) -> None:
    """``rows`` contract rows, each with a distinct JPEG (a smooth gradient with noise and the
    row's index stamped in, so no two images share bytes), written a row group at a time."""
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    from dataprophet.io.contract import ROW_GROUP_ROWS, SCHEMA

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 200, image_size, dtype=np.float32)
    base = (ramp[None, :, None] + ramp[:, None, None] * 0.2 + np.zeros((1, 1, 3), np.float32)).clip(0, 255)
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for start in range(0, rows, ROW_GROUP_ROWS):
            batch = []
            for i in range(start, min(rows, start + ROW_GROUP_ROWS)):
                pixels = base + rng.normal(0, 6, base.shape).astype(np.float32)
                pixels[:8, :, :] = (i * np.arange(1, image_size + 1)[None, :, None]) % 251
                buf = io.BytesIO()
                Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=85)
                batch.append(
                    {
                        "id": f"mix-{i}",
                        "dataset": "bench",
                        "family": "bench",
                        "image": buf.getvalue(),
                        "question": f"what is the number of item {i % 97}?",
                        "answers": [str(i % 13)],
                        "choices": [],
                        "metric": "exact_match",
                    }
                )
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA), row_group_size=ROW_GROUP_ROWS)


def build_base(folder: Path) -> None:
    from dataprophet.model.modeling import (
        TINY_CHAT_TEMPLATE,
        TinyModelSpec,
        build_processor,
        build_tiny_model,
        save_model_dir,
        train_tokenizer,
    )

    spec = TinyModelSpec()
    texts = [f"what is the number of item {k}? {k % 13}" for k in range(97)]
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    processor = build_processor(tokenizer, spec.image_size, 1, spec.image_seq_length, TINY_CHAT_TEMPLATE)
    save_model_dir(build_tiny_model(spec, tokenizer, seed=0), processor, folder)


def memory() -> dict:
    """This process's VmHWM, RssAnon and RssFile in MB (Linux /proc)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "RssAnon", "RssFile"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values


def child(mode: str, root: Path, steps: int) -> None:
    """One measured run; prints a JSON line of its memory and seconds."""
    import torch

    from dataprophet.settings import TrainSettings

    torch.set_num_threads(1)
    settings = TrainSettings(method="lora", max_steps=steps, batch_size=8, save_steps=10_000, logging_steps=10_000)
    table, base = root / "mixture.parquet", root / "base"
    started = time.time()
    if mode == "lazy":
        from dataprophet.model.finetune import finetune

        finetune(base, table, root / f"out_{mode}", root / f"ckpt_{mode}", settings)
    else:
        from dataprophet.model.modeling import load_model, load_processor

        processor = load_processor(base, settings.max_tiles)
        model = load_model(base, dtype=settings.load_dtype)
        if mode == "eager":
            from dataprophet.io.contract import read_table
            from dataprophet.model.train import train

            frame = read_table(table, validate=True)
            train(model, processor, frame, settings, root / f"out_{mode}", root / f"ckpt_{mode}", save_full_model=False)
    print(json.dumps({"mode": mode, "seconds": round(time.time() - started, 1), **memory()}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20, help="fine-tuning steps of 8 samples per run")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the table and runs here")
    parser.add_argument("--child", choices=("model", "eager", "lazy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        child(args.child, args.workdir, args.steps)
        return
    root = args.workdir or Path(tempfile.mkdtemp(prefix="mixture_memory_"))
    root.mkdir(parents=True, exist_ok=True)
    table = root / "mixture.parquet"
    if not table.exists():
        started = time.time()
        write_mixture(table, args.rows, args.image_size)
        print(f"wrote {args.rows} rows in {time.time() - started:.0f} s", flush=True)
    if not (root / "base").exists():
        build_base(root / "base")
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(table).metadata
    size_mb = table.stat().st_size / 2**20
    print(f"table: {meta.num_rows} rows, {size_mb:.0f} MB on disk ({size_mb * 1024 / meta.num_rows:.1f} KB a row)")
    print(f"{'mode':6} {'seconds':>8} {'peak RSS MB':>12} {'end RssAnon MB':>15} {'end RssFile MB':>15}")
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    for mode in ("model", "eager", "lazy"):
        cmd = [sys.executable, __file__, "--child", mode, "--workdir", str(root), "--steps", str(args.steps)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            sys.exit(f"{mode} run failed:\n{done.stderr[-3000:]}")
        line = json.loads([x for x in done.stdout.splitlines() if x.startswith("{")][-1])
        print(f"{mode:6} {line['seconds']:>8} {line['VmHWM']:>12} {line['RssAnon']:>15} {line['RssFile']:>15}")
    if args.workdir is None:
        shutil.rmtree(root)  # about 1 GB at the default size


if __name__ == "__main__":
    main()
