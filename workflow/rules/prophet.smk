# Stage "prophet": features from the frozen base model, then every factor and M(s->t).

FEATURE_SAMPLES = {"train": STUDY.prophet.samples_source, "test": STUDY.prophet.samples_target}


def _features_shell(tables):
    return (
        "dataprophet features --base {input.base} --tables " + tables + " --samples {params.samples} "
        "--seed {params.p.seed} --batch-size {params.p.batch_size} --text-encoder {params.p.text_encoder} "
        "--max-tiles {params.max_tiles} --dtype {params.dtype} --out-dir {params.out_dir} "
        "--threads {threads} > {log} 2>&1"
    )


if STUDY.prophet.jobs_per_dataset:

    # One job per (split, dataset): spreads the paper study's feature passes over GPUs.
    rule features:
        conda:
            CONDA_ENV
        input:
            base=f"{R}/models/base",
            table=f"{R}/data/{{split}}/{{dataset}}.parquet",
        output:
            f"{R}/features/{{split}}/{{dataset}}.npz",
        params:
            samples=lambda wc: FEATURE_SAMPLES[wc.split],
            p=STUDY.prophet,
            max_tiles=STUDY.evaluate.max_tiles,
            dtype=STUDY.evaluate.dtype,
            out_dir=lambda wc: f"{R}/features/{wc.split}",
        wildcard_constraints:
            split="train|test",
            dataset="|".join(DATASETS),
        threads: STUDY.threads.get("features", 1)
        resources:
            gpu=STUDY.compute.gpus_for("features"),
        log:
            f"{R}/logs/features/{{split}}/{{dataset}}.log",
        benchmark:
            f"{R}/benchmarks/features/{{split}}/{{dataset}}.tsv"
        shell:
            _features_shell("{input.table}")

else:

    # One job per split: the model is loaded once for all datasets (cheap on CPU).
    rule features:
        conda:
            CONDA_ENV
        input:
            base=f"{R}/models/base",
            tables=lambda wc: expand(f"{R}/data/{wc.split}/{{d}}.parquet", d=DATASETS),
        output:
            expand(f"{R}/features/{{{{split}}}}/{{d}}.npz", d=DATASETS),
        params:
            samples=lambda wc: FEATURE_SAMPLES[wc.split],
            p=STUDY.prophet,
            max_tiles=STUDY.evaluate.max_tiles,
            dtype=STUDY.evaluate.dtype,
            out_dir=lambda wc: f"{R}/features/{wc.split}",
        wildcard_constraints:
            split="train|test",
        threads: STUDY.threads.get("features", 1)
        resources:
            gpu=STUDY.compute.gpus_for("features"),
        log:
            f"{R}/logs/features/{{split}}.log",
        benchmark:
            f"{R}/benchmarks/features/{{split}}.tsv"
        shell:
            _features_shell("{input.tables}")


rule prophet_scores:
    conda:
        CONDA_ENV
    input:
        sources=expand(f"{R}/features/train/{{d}}.npz", d=DATASETS),
        targets=expand(f"{R}/features/test/{{d}}.npz", d=DATASETS),
    output:
        terms=f"{R}/tables/prophet_terms.csv",
        metric=f"{R}/tables/metric.csv",
        pdf=f"{R}/figures/metric_heatmap.pdf",
        png=f"{R}/figures/metric_heatmap.png",
    params:
        p=STUDY.prophet,
        stem=f"{R}/figures/metric_heatmap",
    log:
        f"{R}/logs/prophet_scores.log",
    benchmark:
        f"{R}/benchmarks/prophet/scores.tsv"
    shell:
        "dataprophet prophet --sources {input.sources} --targets {input.targets} --k {params.p.kmeans_k} "
        "--seed {params.p.seed} --terms {output.terms} --metric {output.metric} --figure {params.stem} > {log} 2>&1"
