"""Feature extraction cost against the number of samples, and throughput against batch size.

Times ``dataprophet features``' extraction (``prophet.features.dataset_features``: question,
answer and joint text embeddings, image embeddings and the answer NLL) of one generated suite
dataset at growing sizes with the model loaded once, and prints seconds per 1,000 samples:
linear cost means that number stays flat. The baseline in the same run is the smallest size.
Each measurement is the fastest of ``--repeat`` runs (this 2-core VM varies by about 20%).
Then the same extraction at one size for several batch sizes.
Uses a trained base model when one is given (e.g. the mini study's), else the tiny model built
here with random weights (same classes, same shapes as the mini base).
Reproduce:  python bench/feature_scaling.py --model results/mini/models/base      (1K, 5K, 20K; about 8 min)
            python bench/feature_scaling.py --sizes 200 1000 --batch-sizes 16 64
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a saved base model folder (default: a tiny one)")
    parser.add_argument("--dataset", default="chart_bar")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[8, 32, 64, 128, 256])
    parser.add_argument("--sweep-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the fastest is printed")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import pandas as pd
    import torch
    from bench_model import load_or_build

    from dataprophet.data.suite import generate_splits
    from dataprophet.prophet.features import dataset_features
    from dataprophet.settings import FeatureSettings

    torch.set_num_threads(args.threads)
    largest = max([*args.sizes, args.sweep_size])
    frame = pd.DataFrame(generate_splits(args.dataset, {"train": largest}, seed=5)["train"])
    processor, model, which = load_or_build(args.model, frame)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {args.threads} torch thread(s); model: {which}")
    print(f"dataset {args.dataset}; peak memory is the process's, read after each run")

    def run(n: int, batch: int) -> float:
        settings = FeatureSettings(batch_size=batch)
        subset = frame.iloc[:n].reset_index(drop=True)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            features = dataset_features(model, processor, args.dataset, subset, settings)
            times.append(time.perf_counter() - started)
            assert len(features) == n
        return min(times)

    run(min(args.sizes), FeatureSettings.batch_size)  # warm-up: first calls allocate and compile kernels
    print(f"{'samples':>8} {'seconds':>8} {'samples/s':>10} {'s per 1K':>9} {'vs smallest':>12} {'peak MB':>8}")
    baseline = None
    for n in args.sizes:
        seconds = run(n, FeatureSettings.batch_size)
        per_k = seconds / n * 1000
        baseline = baseline or per_k
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>8,} {seconds:>8.1f} {n / seconds:>10.1f} {per_k:>9.2f} {per_k / baseline:>11.2f}x {peak:>8.0f}")
    if args.batch_sizes:
        print(f"{args.sweep_size:,} samples by batch size (the study's default: {FeatureSettings.batch_size}):")
        for batch in args.batch_sizes:
            seconds = run(args.sweep_size, batch)
            print(f"batch {batch:>4}: {args.sweep_size / seconds:>7.1f} samples/s")


if __name__ == "__main__":
    main()
