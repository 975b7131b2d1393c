"""Per-sample selection over large pools: streamed feature files against loading them whole.

For each pool size it writes a feature file of random unit rows (the mini model's width by
default) and a 500-row target, then, each in a fresh process, times ``select-samples``'
streamed path (``iter_features`` chunks, the project's) and the in-memory baseline
(``load_features`` of the whole pool, then the same scores and top-k), and reads each
process's peak resident memory above its resident memory after imports (the peak can only
be read as the process's highest so far, so small reads show as the import-time peak). The two must choose the same
samples. Then, at one pool size, the streamed path's rows/s against the chunk size. Last,
the pool's tables (``--tables``): taking the chosen rows, images and all, out of a pool
table of N rows with ``--image-kb`` of image bytes each, read whole (``read_table``, then the
chosen ids; how ``synthetic-select`` and ``rl-prompts`` read the synthetic pool before) against
``read_rows`` (the ids column, then only the chosen rows); they must give the same rows.
Reproduce:  python bench/selection_scaling.py                       (10K, 100K, 1M rows; about 5 min, 4 GB disk)
            python bench/selection_scaling.py --sizes 10000 --dim 1536
            python bench/selection_scaling.py --sizes --sweep --tables 20000 100000   (about 2 min, 2 GB disk)
Files go to a temporary folder (``--work`` to choose it), removed at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

WRITE_ROWS = 65536


def write_pool(path: Path, n: int, dim: int, seed: int) -> None:
    """A feature file of ``n`` random rows written chunk by chunk (never whole in memory),
    in the layout ``save_features`` writes."""
    fields = {f: ((n, dim), np.dtype("<f4")) for f in ("q", "a", "i", "qa")}
    fields.update(nll=((n,), np.dtype("<f8")), ids=((n,), np.dtype("<U12")))
    with zipfile.ZipFile(path, "w") as archive:
        for k, (field, (shape, dtype)) in enumerate(fields.items()):
            rng = np.random.default_rng([seed, k])
            header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
            with archive.open(f"{field}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array_header_1_0(handle, header)
                for start in range(0, n, WRITE_ROWS):
                    rows = min(WRITE_ROWS, n - start)
                    if field == "ids":
                        chunk = np.char.add("s", np.arange(start, start + rows).astype(str)).astype(dtype)
                    elif field == "nll":
                        chunk = rng.uniform(0.1, 3.0, size=rows)
                    else:
                        chunk = rng.normal(size=(rows, dim)).astype(np.float32) + np.float32(0.2)
                        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
                    handle.write(np.ascontiguousarray(chunk, dtype=dtype).tobytes())


def write_table_rows(path: Path, n: int, image_kb: int, seed: int) -> None:
    """A contract table of ``n`` rows with random image bytes, written a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataprophet.io.contract import ROW_GROUP_ROWS, SCHEMA

    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(path, SCHEMA) as writer:  # row groups as write_table makes them
        for start in range(0, n, ROW_GROUP_ROWS):
            rows = range(start, min(start + ROW_GROUP_ROWS, n))
            columns = {
                "id": [f"p{r}" for r in rows],
                "dataset": ["pool"] * len(rows),
                "family": ["vqa"] * len(rows),
                "image": [rng.bytes(image_kb * 1024) for _ in rows],
                "question": [f"question {r}?" for r in rows],
                "answers": [[f"answer {r}"] for r in rows],
                "choices": [None] * len(rows),
                "metric": ["exact_match"] * len(rows),
            }
            writer.write_table(pa.table(columns, schema=SCHEMA))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _run(how: str, pool: str, target: str, k: int, rows: int, queue) -> None:
    from dataprophet.prophet.factors import load_features
    from dataprophet.selection.budget import select_top_k
    from dataprophet.selection.select_samples import sample_factors, stream_factors

    goal = load_features(target, "target")
    before = _resident_mb()
    started = time.perf_counter()
    if how == "streamed":
        factors = stream_factors([Path(pool)], {"t": goal}, rows=rows)["t"]
    else:
        factors = sample_factors(load_features(pool, "pool"), goal)
    chosen = list(select_top_k(factors["m"], k))
    queue.put((time.perf_counter() - started, _peak_mb() - before, len(factors), chosen))


def _take(how: str, table: str, chosen: list, queue) -> None:
    import hashlib

    import pandas as pd

    from dataprophet.io.contract import read_rows, read_table

    before = _resident_mb()
    started = time.perf_counter()
    if how == "whole":
        rows = read_table(table).set_index("id", drop=False).loc[chosen]
    else:
        ids = read_table(table, columns=["id"])["id"]
        rows = read_rows([table], pd.Series(Path(table).stem, index=ids), chosen)
    digest = hashlib.sha256(b"".join(rows["image"])).hexdigest()
    queue.put((time.perf_counter() - started, _peak_mb() - before, list(rows["id"]), digest))


def measure(how: str, *args) -> tuple:
    """``_take`` for a table's ``how``, else ``_run``, in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = _take if how in ("whole", "by id") else _run
    paths = [str(a) if isinstance(a, Path) else a for a in args]
    child = context.Process(target=worker, args=(how, *paths, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=128, help="embedding width (mini: 128; InternVL3-2B: 1536)")
    parser.add_argument("--k", type=int, default=1500, help="samples to select (the mini study's budget)")
    parser.add_argument("--rows", type=int, default=None, help="rows per streamed chunk (default: CHUNK_ROWS)")
    parser.add_argument("--sweep", type=int, nargs="*", default=[1024, 4096, 16384, 65536, 262144])
    parser.add_argument("--sweep-size", type=int, default=100_000)
    parser.add_argument("--tables", type=int, nargs="*", default=[], help="pool-table sizes (rows) to take rows from")
    parser.add_argument("--image-kb", type=int, default=20, help="image bytes per pool-table row, in KiB")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    from dataprophet.prophet.factors import CHUNK_ROWS

    rows = args.rows or CHUNK_ROWS
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="selection_scaling_", dir=args.work))
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; width {args.dim}, top {args.k}, chunks of {rows}")
    try:
        target = work / "target.npz"
        write_pool(target, 500, args.dim, seed=1)
        if args.sizes:
            print(
                f"{'pool rows':>10} {'file MB':>8} {'streamed s':>11} {'peak MB':>8} {'in memory s':>12} {'peak MB':>8}"
            )
        for n in args.sizes:
            pool = work / f"pool_{n}.npz"
            write_pool(pool, n, args.dim, seed=0)
            size = pool.stat().st_size / 2**20
            s_time, s_mem, s_n, s_chosen = measure("streamed", pool, target, min(args.k, n), rows)
            m_time, m_mem, m_n, m_chosen = measure("in memory", pool, target, min(args.k, n), rows)
            same = "same top-k" if s_chosen == m_chosen and s_n == m_n == n else "TOP-K DIFFERS"
            print(f"{n:>10,} {size:>8.0f} {s_time:>11.2f} {s_mem:>8.0f} {m_time:>12.2f} {m_mem:>8.0f}  {same}")
            if n != args.sweep_size:
                pool.unlink()
        if args.sweep:
            pool = work / f"pool_{args.sweep_size}.npz"
            if not pool.exists():
                write_pool(pool, args.sweep_size, args.dim, seed=0)
            print(f"streamed, {args.sweep_size:,} rows, by rows per chunk:")
            for chunk in args.sweep:
                seconds, mem, _, _ = measure("streamed", pool, target, min(args.k, args.sweep_size), chunk)
                print(f"{chunk:>10,} rows/chunk: {args.sweep_size / seconds:>12,.0f} rows/s, peak {mem:>6.0f} MB")
        if args.tables:
            print(f"the chosen rows of a pool table ({args.image_kb} KiB of image per row), top {args.k}:")
            print(f"{'table rows':>10} {'file MB':>8} {'whole s':>8} {'peak MB':>8} {'by id s':>8} {'peak MB':>8}")
        for n in args.tables:
            table = work / f"pool_{n}.parquet"
            write_table_rows(table, n, args.image_kb, seed=0)
            rng = np.random.default_rng(2)
            chosen = [f"p{r}" for r in rng.choice(n, size=min(args.k, n), replace=False)]
            w_time, w_mem, w_ids, w_digest = measure("whole", table, chosen)
            i_time, i_mem, i_ids, i_digest = measure("by id", table, chosen)
            same = "same rows" if w_ids == i_ids == chosen and w_digest == i_digest else "ROWS DIFFER"
            size = table.stat().st_size / 2**20
            print(f"{n:>10,} {size:>8.0f} {w_time:>8.2f} {w_mem:>8.0f} {i_time:>8.2f} {i_mem:>8.0f}  {same}")
            table.unlink()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
