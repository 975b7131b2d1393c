"""Batched generation against one sample at a time: same model, same data, same answers.

Uses a trained base model when one is given (e.g. the mini study's), else the tiny model
built here with random weights; the data are a generated suite dataset's test samples.
Reproduce:  python bench/evaluation_batching.py --samples 200 --batch-size 125
            python bench/evaluation_batching.py --model results/mini/models/base
Prints samples/s for both (the fastest of ``--repeat`` runs: this 2-core VM varies by about
20%) and their ratio (the performance issue's target: at least 5x), and whether the answers agree.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a saved base model folder (default: a tiny one)")
    parser.add_argument("--dataset", default="count_shapes")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=125)
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest is printed")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import pandas as pd
    import torch
    from bench_model import load_or_build

    from dataprophet.data.suite import generate_splits
    from dataprophet.settings import EvalSettings
    from dataprophet.truth.evaluate import generate_answers

    torch.set_num_threads(args.threads)
    frame = pd.DataFrame(generate_splits(args.dataset, {"test": args.samples}, seed=11)["test"])
    processor, model, which = load_or_build(args.model, frame)
    timings = {}
    answers = {}
    for batch in (1, args.batch_size):
        settings = EvalSettings(batch_size=batch, max_new_tokens=args.max_new_tokens)
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            answers[batch] = generate_answers(model, processor, frame, settings)
            runs.append(time.perf_counter() - started)
        timings[batch] = min(runs)
    agree = sum(a == b for a, b in zip(answers[1], answers[args.batch_size])) / len(frame)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {args.threads} torch thread(s); model: {which}")
    print(f"{len(frame)} samples of {args.dataset}, up to {args.max_new_tokens} new tokens, greedy")
    for batch, seconds in timings.items():
        print(f"batch {batch:>4}: {seconds:7.2f} s, {len(frame) / seconds:7.1f} samples/s")
    print(f"batched / one at a time: {timings[1] / timings[args.batch_size]:.1f}x; answers agree on {agree:.1%}")


if __name__ == "__main__":
    main()
