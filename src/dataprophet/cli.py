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


# Commands that may reach the hub (paper scale only); every other command runs offline.
NEEDS_NETWORK = frozenset({"prepare", "fetch-base"})


def _quiet_libraries(offline: bool = True) -> None:
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def cmd_generate(args) -> None:
    """Generate one mini-suite dataset's pretrain/train/test splits.

    Reproduce: snakemake results/mini/data/train/ocr_cover.parquet
    (runs: dataprophet generate --dataset ocr_cover --sizes '{"pretrain": 800, "test": 500, "train": 1000}' --seed 0 --image-size 64 --out-dir results/mini/data)
    """
    from dataprophet.contract import write_table
    from dataprophet.suite import generate_splits

    sizes = json.loads(args.sizes)
    splits = generate_splits(args.dataset, sizes, seed=args.seed, image_size=args.image_size)
    for split, records in splits.items():
        write_table(records, Path(args.out_dir) / split / f"{args.dataset}.parquet")


def cmd_prepare(args) -> None:
    """Sample one registry dataset's train and test splits into contract tables (paper scale).

    Reproduce: snakemake --configfile config/paper.yaml results/paper/data/train/chartqa.parquet
    (runs: dataprophet prepare --dataset chartqa --registry config/datasets --sizes '{"test": 1000, "train": 20000}'
    --seed 0 --ids-dir results/paper/data/ids --out-dir results/paper/data --rejects results/paper/data/rejects/chartqa.csv)
    """
    from dataprophet.prepare import prepare_dataset
    from dataprophet.registry import load_registry

    registry = load_registry(args.registry, overrides=args.overrides)
    if args.dataset not in registry:
        raise ValueError(f"unknown dataset {args.dataset!r}; registry {args.registry} has {sorted(registry)}")
    report = prepare_dataset(registry[args.dataset], json.loads(args.sizes), args.seed, args.ids_dir, args.out_dir,
                             args.rejects, args.on_bad_rows)
    for role, counts in report.items():
        print(f"{args.dataset} {role}: asked {counts['asked']}, kept {counts['kept']}, rejected {counts['rejected']}")
    if any(c["rejected"] for c in report.values()):
        print(f"rejected rows and reasons: {args.rejects}")


def cmd_fetch_base(args) -> None:
    """Put the released base checkpoint (InternVL3-2B-hf) in the study folder (paper scale).

    Reproduce: snakemake --configfile config/paper.yaml results/paper/models/base
    (runs: dataprophet fetch-base --model-id OpenGVLab/InternVL3-2B-hf --out results/paper/models/base)
    """
    from dataprophet.basemodel import fetch_base

    origin = fetch_base(args.model_id, args.revision, args.local_dir, args.out)
    print(f"base checkpoint from {origin} in {args.out}")


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
    write_csv(scores, out / "scores.csv", float_format="%.10g")
    write_csv(delta, out / "delta.csv", float_format="%.10g")
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


def cmd_features(args) -> None:
    """Features of dataset splits from the frozen base model (embeddings + answer NLL).

    Reproduce: snakemake results/mini/features/train/ocr_cover.npz
    """
    from dataprophet.contract import read_table
    from dataprophet.features import extract, subsample
    from dataprophet.metric import FeatureSet, perplexity, save_features
    from dataprophet.modeling import load_finetuned, load_processor

    _set_threads(args.threads)
    frames = {Path(p).stem: subsample(read_table(p, validate=True), args.samples, args.seed) for p in args.tables}
    processor = load_processor(args.base, args.max_tiles)
    model = load_finetuned(args.base, None, args.dtype).eval()
    for name, frame in frames.items():
        arrays = extract(model, processor, frame, args.batch_size, args.text_encoder)
        features = FeatureSet(**arrays).validate(name)
        save_features(features, Path(args.out_dir) / f"{name}.npz")
        print(f"{name}: {len(frame)} samples, PPL {perplexity(arrays['nll']):.3f}")


def cmd_prophet(args) -> None:
    """All DataProphet factors per (source, target) and the metric matrix, from features.

    Reproduce: snakemake results/mini/tables/metric.csv
    """
    from dataprophet.atomic import write_csv
    from dataprophet.metric import load_features, metric_matrix, prophet_terms
    from dataprophet.plots import metric_heatmap

    sources = {Path(p).stem: load_features(p, Path(p).stem) for p in args.sources}
    targets = {Path(p).stem: load_features(p, Path(p).stem) for p in args.targets}
    terms = prophet_terms(sources, targets, k=args.k, seed=args.seed)
    metric = metric_matrix(terms)
    write_csv(terms, args.terms, index=False, float_format="%.8g")
    write_csv(metric, args.metric, float_format="%.8g")
    metric_heatmap(metric, args.figure, args.title)


def cmd_rank(args) -> None:
    """Kendall's tau of the metric against the ground truth, ablations, paper comparison.

    Reproduce: snakemake results/mini/tables/tau.csv
    """
    import pandas as pd

    from dataprophet.atomic import write_csv, write_json
    from dataprophet.metric import metric_matrix
    from dataprophet.plots import tau_by_target
    from dataprophet.prophet import ablation_table, paper_comparison
    from dataprophet.ranking import tau_report

    truth = _defined_truth(pd.read_csv(args.truth, index_col=0))
    terms = pd.read_csv(args.terms)
    info = json.loads(args.datasets)
    tau_kwargs = {"variant": args.variant, "exclude_diagonal": args.exclude_diagonal, "n_boot": args.bootstrap, "seed": args.seed}
    scores = metric_matrix(terms).loc[truth.index, truth.columns]
    per_item, summary = tau_report(truth, scores, **tau_kwargs)
    if args.noise_ceiling:
        ceiling = json.loads(Path(args.noise_ceiling).read_text())["pairs"]
        summary["noise_ceiling_tau_tgt"] = sum(p["tau_tgt_mean"] for p in ceiling) / len(ceiling)
        summary["noise_ceiling_tau_src"] = sum(p["tau_src_mean"] for p in ceiling) / len(ceiling)
    families = {name: d["family"] for name, d in info.items()}
    ablations = ablation_table(truth, terms, families, **tau_kwargs)
    mirrors = {name: d["mirrors"] for name, d in info.items()}
    write_csv(per_item, args.tau, index=False, float_format="%.4f")
    write_json(summary, Path(args.tau).with_name("tau_summary.json"))
    write_csv(ablations, args.ablations, index=False, float_format="%.4f")
    write_csv(paper_comparison(per_item, summary, ablations, mirrors), args.comparison, index=False, float_format="%.4f")
    tau_by_target(per_item, summary, args.figure)
    print(_format_summary(summary))


def _defined_truth(delta):
    """Drop targets whose Delta is undefined (zero base score), saying so."""
    undefined = [t for t in delta.columns if delta[t].isna().any()]
    if undefined:
        print(f"note: Delta undefined (zero base score) on {undefined}; left out of the ranking", file=sys.stderr)
        delta = delta.drop(columns=undefined)
    return delta


def _format_summary(summary: dict) -> str:
    lines = []
    for key in ("tau_tgt", "tau_src"):
        lines.append(f"{key}: {summary[key]:.3f} [{summary[key + '_low']:.3f}, {summary[key + '_high']:.3f}]")
    lines.append(f"tau (overall): {summary['tau']:.3f}")
    if "noise_ceiling_tau_tgt" in summary:
        lines.append(f"noise ceiling (seed-to-seed) tau_tgt: {summary['noise_ceiling_tau_tgt']:.3f}")
    return "\n".join(lines)


def cmd_tau(args) -> None:
    """Evaluate any predictor against any ground truth given as matrices (CSV).

    Matrices have sources as rows and targets as columns; labels are matched by name.
    Reproduce: dataprophet tau --truth results/mini/tables/delta.csv --scores results/mini/tables/metric.csv
    """
    import pandas as pd

    from dataprophet.ranking import tau_report

    truth = _read_matrix(args.truth)
    scores = _read_matrix(args.scores)
    per_item, summary = tau_report(
        truth, scores, variant=args.variant, exclude_diagonal=args.exclude_diagonal, n_boot=args.bootstrap, seed=0
    )
    with pd.option_context("display.max_rows", None):
        for axis in ("target", "source"):
            part = per_item[per_item["axis"] == axis].set_index("name")["tau"]
            print(f"per {axis}:\n{part.round(3).to_string()}\n")
    print(_format_summary(summary))


def _read_matrix(path: str):
    import pandas as pd

    if not Path(path).exists():
        raise FileNotFoundError(f"matrix file {path} does not exist")
    frame = pd.read_csv(path, index_col=0)
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise ValueError(f"{path}: non-numeric column(s) {non_numeric}")
    if frame.index.duplicated().any() or frame.columns.duplicated().any():
        raise ValueError(f"{path}: duplicate row or column labels")
    return frame


def cmd_score(args) -> None:
    """Rank your candidate source datasets for your target with a base model (training-free).

    Inputs: contract .parquet tables or folders with data.jsonl (see README, "Choosing data").
    Reproduce: dataprophet score --model results/mini/models/base --target results/mini/data/test/chart_bar.parquet --sources results/mini/data/train/*.parquet
    """
    import pandas as pd

    from dataprophet.features import extract, subsample
    from dataprophet.metric import FeatureSet, metric_matrix, prophet_terms
    from dataprophet.modeling import load_finetuned, load_processor
    from dataprophet.userdata import load_user_dataset

    _set_threads(args.threads)
    target_name, target = load_user_dataset(args.target)
    sources = dict(load_user_dataset(p) for p in args.sources)
    if target_name in sources:
        target_name = f"{target_name} (target)"
    processor = load_processor(args.model, args.max_tiles)
    model = load_finetuned(args.model, None, args.dtype).eval()

    def features(name, frame):
        arrays = extract(model, processor, subsample(frame, args.samples, args.seed), args.batch_size, args.text_encoder)
        return FeatureSet(**arrays).validate(name)

    terms = prophet_terms(
        {n: features(n, f) for n, f in sources.items()}, {target_name: features(target_name, target)}, k=args.k, seed=args.seed
    )
    terms["M"] = metric_matrix(terms)[target_name].loc[terms["source"]].to_numpy()
    ranking = terms.sort_values("M", ascending=False).drop(columns=["target"]).reset_index(drop=True)
    ranking.index += 1
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(f"candidate sources for target {target_name}, best first:")
        print(ranking.to_string(float_format=lambda v: f"{v:.4g}"))
    if args.out:
        from dataprophet.atomic import write_csv

        write_csv(ranking, args.out, index_label="rank")


def cmd_allocate(args) -> None:
    """Split a per-target sample budget over the sources (uniform, DataProphet, oracle).

    Reproduce: snakemake results/mini/selection/allocation_dataprophet.csv
    (runs: dataprophet allocate --weights results/mini/tables/metric.csv --method dataprophet --budget 14000
    --out results/mini/selection/allocation_dataprophet.csv)
    """
    import warnings

    import pandas as pd

    from dataprophet.atomic import write_csv
    from dataprophet.selection import allocation_table

    weights = _read_matrix(args.weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = allocation_table(weights, args.budget, args.method)
    for warning in caught:
        print(f"note: {warning.message}")
    write_csv(table, args.out)
    print(f"{args.method}: {args.budget} samples per target over {len(table)} sources -> {args.out}")
    print(table.to_string())


def cmd_cost(args) -> None:
    """Compute time of the prophet stages vs the ground-truth stages, from benchmark files.

    Each job's seconds are weighted by the devices it held (``--gpus``, at least one), so on
    a cluster a 4-GPU fine-tune counts four times a 1-GPU feature job.
    Reproduce: snakemake results/mini/tables/compute_cost.csv
    """
    import pandas as pd

    from dataprophet.atomic import write_csv

    root = Path(args.benchmarks)
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        stage = path.relative_to(root).parts[0].removesuffix(".tsv")
        rows.append({"stage": stage, "job": str(path.relative_to(root)), "seconds": float(pd.read_csv(path, sep="\t")["s"].iloc[0])})
    jobs = pd.DataFrame(rows)
    gpus = json.loads(args.gpus)
    jobs["devices"] = [max(1, int(gpus.get(stage, 0))) for stage in jobs["stage"]]
    jobs["device_seconds"] = jobs["seconds"] * jobs["devices"]
    per_stage = jobs.groupby("stage").agg(count=("seconds", "size"), sum=("seconds", "sum"),
                                          devices=("devices", "max"), device_seconds=("device_seconds", "sum"))
    per_stage = per_stage.reset_index()
    truth = per_stage[per_stage["stage"].isin(["finetune", "evaluate"])]["device_seconds"].sum()
    prophet = per_stage[per_stage["stage"].isin(["features", "prophet", "rank"])]["device_seconds"].sum()
    per_stage["fraction_of_finetune_plus_evaluate"] = per_stage["device_seconds"] / truth if truth else float("nan")
    write_csv(per_stage, args.out, index=False, float_format="%.3f")
    print(per_stage.to_string(index=False))
    print(f"prophet (features + scores + ranking) / (fine-tune + evaluate), device-seconds = {prophet / truth:.3%}")


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

    p = sub.add_parser("prepare", help=cmd_prepare.__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="registry name, e.g. chartqa")
    p.add_argument("--registry", default="config/datasets", help="folder of registry files")
    p.add_argument("--overrides", default=None, help="yaml {dataset: {changes}} merged into the registry")
    p.add_argument("--sizes", required=True, help='JSON, e.g. {"train": 20000, "test": 1000}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ids-dir", required=True, help="sampled ids are saved here and reused on reruns")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--rejects", required=True, help="CSV of rejected rows (empty unless --on-bad-rows skip)")
    p.add_argument("--on-bad-rows", choices=["error", "skip"], default="error")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("fetch-base", help=cmd_fetch_base.__doc__.splitlines()[0])
    p.add_argument("--model-id", default="OpenGVLab/InternVL3-2B-hf")
    p.add_argument("--revision", default=None)
    p.add_argument("--local-dir", default=None, help="use this folder instead of downloading")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_fetch_base)

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

    p = sub.add_parser("features", help=cmd_features.__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--tables", nargs="+", required=True)
    p.add_argument("--samples", type=int, default=0, help="uniform subsample per dataset (0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--text-encoder", choices=["mllm", "minilm"], default="mllm")
    p.add_argument("--max-tiles", type=int, default=1)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_features)

    p = sub.add_parser("prophet", help=cmd_prophet.__doc__.splitlines()[0])
    p.add_argument("--sources", nargs="+", required=True, help="source (train) feature files")
    p.add_argument("--targets", nargs="+", required=True, help="target (test) feature files")
    p.add_argument("--k", type=int, default=10, help="k-means clusters for the diversity term")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--terms", required=True)
    p.add_argument("--metric", required=True)
    p.add_argument("--figure", required=True, help="heatmap path without extension")
    p.add_argument("--title", default="DataProphet score M(s->t)")
    p.set_defaults(func=cmd_prophet)

    p = sub.add_parser("rank", help=cmd_rank.__doc__.splitlines()[0])
    p.add_argument("--truth", required=True, help="delta.csv")
    p.add_argument("--terms", required=True, help="prophet_terms.csv")
    p.add_argument("--datasets", required=True, help='JSON {name: {"family": ..., "mirrors": ...}}')
    p.add_argument("--variant", choices=["a", "b"], default="b")
    p.add_argument("--exclude-diagonal", action="store_true")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise-ceiling", default=None, help="noise_ceiling.json, reported beside tau")
    p.add_argument("--tau", required=True)
    p.add_argument("--ablations", required=True)
    p.add_argument("--comparison", required=True)
    p.add_argument("--figure", required=True)
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("tau", help=cmd_tau.__doc__.splitlines()[0])
    p.add_argument("--truth", required=True, help="CSV matrix: sources as rows, targets as columns")
    p.add_argument("--scores", required=True, help="CSV matrix with the same labels, in any order")
    p.add_argument("--variant", choices=["a", "b"], default="b")
    p.add_argument("--exclude-diagonal", action="store_true")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.set_defaults(func=cmd_tau)

    p = sub.add_parser("score", help=cmd_score.__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="saved base model folder")
    p.add_argument("--target", required=True, help="target dataset (.parquet or folder with data.jsonl)")
    p.add_argument("--sources", nargs="+", required=True, help="candidate source datasets")
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--text-encoder", choices=["mllm", "minilm"], default="mllm")
    p.add_argument("--max-tiles", type=int, default=1)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--out", default=None, help="optional CSV of the ranking")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("allocate", help=cmd_allocate.__doc__.splitlines()[0])
    p.add_argument("--weights", required=True, help="sources x targets CSV: metric.csv (dataprophet), delta.csv (oracle)")
    p.add_argument("--method", choices=["uniform", "dataprophet", "oracle"], required=True)
    p.add_argument("--budget", type=int, required=True, help="samples per target")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_allocate)

    p = sub.add_parser("cost", help=cmd_cost.__doc__.splitlines()[0])
    p.add_argument("--benchmarks", required=True, help="the study's benchmarks/ folder")
    p.add_argument("--gpus", default="{}", help='JSON GPUs per job by stage, e.g. {"finetune": 4}')
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_cost)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_libraries(offline=args.command not in NEEDS_NETWORK)
    try:
        args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"dataprophet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
