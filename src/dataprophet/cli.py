"""The ``dataprophet`` command line: every Snakemake rule calls one of these subcommands.

Each subcommand reads contract tables and writes its outputs atomically, so a failed or
killed job leaves nothing that looks finished. Run ``dataprophet <command> --help``.
Normally Snakemake runs them; e.g. the whole mini study: ``snakemake --cores 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def cmd_generate(args) -> None:
    """Generate one mini-suite dataset's pretrain/train/test splits.

    Reproduce: dataprophet generate --dataset ocr_cover --sizes '{"pretrain": 600, "train": 500, "test": 200}' --seed 0 --out-dir results/mini/data
    """
    from dataprophet.contract import write_table
    from dataprophet.suite import generate_splits

    sizes = json.loads(args.sizes)
    splits = generate_splits(args.dataset, sizes, seed=args.seed, image_size=args.image_size)
    for split, records in splits.items():
        write_table(records, Path(args.out_dir) / split / f"{args.dataset}.parquet")


def cmd_base(args) -> None:
    """Build the mini base model: tokenizer, tiny InternVL, brief pretraining.

    Reproduce: snakemake --cores 2 results/mini/models/base
    """
    from dataprophet.basemodel import build_mini_base
    from dataprophet.config import TrainSettings, settings_from_json

    _set_threads(args.threads)
    log = build_mini_base(
        pretrain_tables=args.pretrain,
        tokenizer_tables=args.pretrain + args.tokenizer_extra,
        spec=json.loads(args.spec),
        settings=settings_from_json(TrainSettings, args.settings),
        out_dir=args.out,
        checkpoint_dir=args.checkpoints,
    )
    print(f"base model: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")


def cmd_finetune(args) -> None:
    """Fine-tune the base model on one source dataset.

    Reproduce: snakemake --cores 2 results/mini/models/ft/seed0/ocr_cover
    """
    from dataprophet.config import TrainSettings, settings_from_json
    from dataprophet.contract import read_table
    from dataprophet.modeling import load_model, load_processor
    from dataprophet.train import train

    _set_threads(args.threads)
    settings = settings_from_json(TrainSettings, args.settings)
    frame = read_table(args.train, validate=True)
    processor = load_processor(args.base, args.max_tiles)
    model = load_model(args.base)
    log = train(model, processor, frame, settings, args.out, args.checkpoints, save_full_model=False)
    print(f"fine-tune {args.train}: {log['global_step']} steps, loss {log['train_loss']:.3f}, {log['train_seconds']} s")


def cmd_evaluate(args) -> None:
    """Evaluate one model (base, or base + fine-tune) on every target.

    Reproduce: snakemake --cores 2 results/mini/eval/base/scores.json
    """
    from dataprophet.atomic import atomic_path, write_json
    from dataprophet.config import EvalSettings, settings_from_json
    from dataprophet.contract import read_table
    from dataprophet.evaluate import evaluate_targets
    from dataprophet.modeling import load_finetuned, load_processor

    _set_threads(args.threads)
    settings = settings_from_json(EvalSettings, args.settings)
    targets = {Path(p).stem: read_table(p) for p in args.targets}
    processor = load_processor(args.base, settings.max_tiles)
    model = load_finetuned(args.base, args.finetuned, settings.dtype)
    predictions, scores, seconds = evaluate_targets(model, processor, targets, settings)
    out = Path(args.out_dir)
    with atomic_path(out / "predictions.parquet") as tmp:
        predictions.to_parquet(tmp, index=False)
    write_json({"model": args.name, "scores": scores, "seconds": seconds}, out / "scores.json")
    print(f"evaluated {args.name}: mean score {sum(scores.values()) / len(scores):.3f}")


def cmd_groundtruth(args) -> None:
    """Collect evaluation scores into scores.csv and delta.csv for one fine-tuning seed.

    Reproduce: snakemake --cores 2 results/mini/tables/delta.csv
    """
    from dataprophet.atomic import write_csv, write_json
    from dataprophet.groundtruth import delta_matrix, score_table, transfer_summary

    per_model = {}
    for path in args.scores:
        payload = json.loads(Path(path).read_text())
        per_model[payload["model"]] = payload["scores"]
    scores = score_table(per_model, args.sources, args.targets)
    delta = delta_matrix(scores)
    out = Path(args.out_dir)
    write_csv(scores, out / "scores.csv", float_format="%.6f")
    write_csv(delta, out / "delta.csv", float_format="%.6f")
    write_json(transfer_summary(delta), out / "transfer_summary.json")


def cmd_heatmap(args) -> None:
    """Draw a Delta heatmap (PDF and PNG) from delta.csv.

    Reproduce: dataprophet heatmap --matrix results/mini/tables/delta.csv --out results/mini/figures/delta_heatmap
    """
    import pandas as pd

    from dataprophet.plots import delta_heatmap

    delta = pd.read_csv(args.matrix, index_col=0)
    delta_heatmap(delta, args.out, args.title)


def cmd_agreement(args) -> None:
    """Seed-to-seed agreement of the ground truth (the testbed's noise ceiling for tau).

    Reproduce: snakemake --cores 2 results/mini/tables/noise_ceiling.csv
    """
    import itertools

    import pandas as pd

    from dataprophet.atomic import write_csv, write_json
    from dataprophet.groundtruth import seed_agreement

    if len(args.labels) != len(args.deltas):
        raise ValueError(f"{len(args.deltas)} delta tables but {len(args.labels)} labels")
    deltas = {label: pd.read_csv(p, index_col=0) for label, p in zip(args.labels, args.deltas)}
    tables, summaries = [], []
    for a, b in itertools.combinations(deltas, 2):
        table, summary = seed_agreement(deltas[a], deltas[b])
        tables.append(table.assign(pair=f"{a}-{b}"))
        summaries.append({"pair": f"{a}-{b}", **summary})
    write_csv(pd.concat(tables, ignore_index=True), args.out, index=False, float_format="%.4f")
    write_json({"pairs": summaries}, Path(args.out).with_suffix(".json"))
    for s in summaries:
        print(f"{s['pair']}: tau_tgt {s['tau_tgt_mean']:.3f}, tau_src {s['tau_src_mean']:.3f}, spearman {s['matrix_spearman']:.3f}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataprophet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help=cmd_generate.__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True)
    p.add_argument("--sizes", required=True, help='JSON, e.g. {"pretrain": 600, "train": 500, "test": 200}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("base", help=cmd_base.__doc__.splitlines()[0])
    p.add_argument("--pretrain", nargs="+", required=True, help="pretrain-split tables")
    p.add_argument("--tokenizer-extra", nargs="*", default=[], help="more tables whose text trains the tokenizer")
    p.add_argument("--spec", required=True, help="JSON TinyModelSpec fields")
    p.add_argument("--settings", required=True, help="JSON TrainSettings")
    p.add_argument("--out", required=True)
    p.add_argument("--checkpoints", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_base)

    p = sub.add_parser("finetune", help=cmd_finetune.__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--settings", required=True, help="JSON TrainSettings")
    p.add_argument("--max-tiles", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--checkpoints", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_finetune)

    p = sub.add_parser("evaluate", help=cmd_evaluate.__doc__.splitlines()[0])
    p.add_argument("--name", required=True, help="model label written to scores.json")
    p.add_argument("--base", required=True)
    p.add_argument("--finetuned", default=None, help="fine-tune folder (LoRA adapter or full weights)")
    p.add_argument("--targets", nargs="+", required=True)
    p.add_argument("--settings", required=True, help="JSON EvalSettings")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("groundtruth", help=cmd_groundtruth.__doc__.splitlines()[0])
    p.add_argument("--scores", nargs="+", required=True, help="scores.json files, base included")
    p.add_argument("--sources", nargs="+", required=True)
    p.add_argument("--targets", nargs="+", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_groundtruth)

    p = sub.add_parser("heatmap", help=cmd_heatmap.__doc__.splitlines()[0])
    p.add_argument("--matrix", required=True)
    p.add_argument("--out", required=True, help="output path without extension")
    p.add_argument("--title", default="Relative improvement Delta(s->t)")
    p.set_defaults(func=cmd_heatmap)

    p = sub.add_parser("agreement", help=cmd_agreement.__doc__.splitlines()[0])
    p.add_argument("--deltas", nargs="+", required=True, help="delta.csv of each fine-tuning seed")
    p.add_argument("--labels", nargs="+", required=True, help="one label per delta table, e.g. seed0 seed1")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_agreement)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"dataprophet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
