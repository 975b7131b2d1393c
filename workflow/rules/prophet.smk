# Stage "prophet": features from the frozen base model, then every factor and M(s->t).
# Feature jobs: one per split (the model is loaded once for all datasets; cheap on CPU), or,
# with prophet.jobs_per_dataset, one per (split, dataset) to spread the paper study's passes
# over GPUs.

if STUDY.prophet.jobs_per_dataset:
    FEATURE_JOB = "{split}/{dataset}"
    FEATURE_OUTPUTS = [f"{R}/features/{{split}}/{{dataset}}.npz"]
else:
    FEATURE_JOB = "{split}"
    FEATURE_OUTPUTS = expand(f"{R}/features/{{{{split}}}}/{{d}}.npz", d=DATASETS)

# prophet.model: the model whose features give the study's M (default: the study's base).
# prophet.proxies: {name: model folder}; each proxy's M, under proxies/<name>/, is judged
# against the same ground truth in tables/predictors.csv (docs/proxies.md).
PROPHET_MODEL = STUDY.prophet.model or f"{R}/models/base"
PROXIES = dict(STUDY.prophet.proxies)


wildcard_constraints:
    proxy="[A-Za-z0-9_-]+",


rule features:
    conda:
        CONDA_ENV
    input:
        base=PROPHET_MODEL,
        tables=feature_tables,
    output:
        FEATURE_OUTPUTS,
    params:
        settings=lambda wc: to_flags(STUDY.feature_settings(wc.split)),
    threads: STUDY.threads.get("features", 1)
    resources:
        gpu=STUDY.compute.gpus_for("features"),
    log:
        f"{R}/logs/features/{FEATURE_JOB}.log",
    benchmark:
        f"{R}/benchmarks/features/{FEATURE_JOB}.tsv"
    shell:
        "dataprophet features --base {input.base} --tables {input.tables} --out {output} "
        "--threads {threads} {params.settings} > {log} 2>&1"


rule predict:
    localrule: True
    conda:
        CONDA_ENV
    input:
        sources=feature_files("train"),
        targets=feature_files("test"),
    output:
        terms=f"{R}/tables/prophet_terms.csv",
        metric=report(f"{R}/tables/metric.csv", caption="../report/metric_heatmap.rst", category="2 DataProphet"),
        pdf=f"{R}/figures/metric_heatmap.pdf",
        png=report(f"{R}/figures/metric_heatmap.png", caption="../report/metric_heatmap.rst", category="2 DataProphet"),
    params:
        settings=to_flags(STUDY.predict_settings()),
    log:
        f"{R}/logs/predict.log",
    benchmark:
        f"{R}/benchmarks/predict.tsv"
    shell:
        "dataprophet predict --sources {input.sources} --targets {input.targets} --terms {output.terms} "
        "--metric {output.metric} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


rule proxy_features:
    conda:
        CONDA_ENV
    input:
        model=lambda wc: PROXIES[wc.proxy],
        tables=feature_tables,
    output:
        expand(f"{R}/proxies/{{{{proxy}}}}/features/{{{{split}}}}/{{d}}.npz", d=DATASETS),
    params:
        settings=lambda wc: to_flags(STUDY.feature_settings(wc.split)),
    threads: STUDY.threads.get("features", 1)
    resources:
        gpu=STUDY.compute.gpus_for("features"),
    log:
        f"{R}/logs/proxy_features/{{proxy}}/{{split}}.log",
    benchmark:
        f"{R}/benchmarks/proxy_features/{{proxy}}/{{split}}.tsv"
    shell:
        "dataprophet features --base {input.model} --tables {input.tables} --out {output} "
        "--threads {threads} {params.settings} > {log} 2>&1"


rule proxy_predict:
    localrule: True
    conda:
        CONDA_ENV
    input:
        sources=lambda wc: [f"{R}/proxies/{wc.proxy}/features/train/{d}.npz" for d in DATASETS],
        targets=lambda wc: [f"{R}/proxies/{wc.proxy}/features/test/{d}.npz" for d in DATASETS],
    output:
        terms=f"{R}/proxies/{{proxy}}/prophet_terms.csv",
        metric=f"{R}/proxies/{{proxy}}/metric.csv",
        pdf=f"{R}/proxies/{{proxy}}/metric_heatmap.pdf",
        png=f"{R}/proxies/{{proxy}}/metric_heatmap.png",
    params:
        settings=to_flags(STUDY.predict_settings()),
    log:
        f"{R}/logs/proxy_predict/{{proxy}}.log",
    benchmark:
        f"{R}/benchmarks/proxy_predict/{{proxy}}.tsv"
    shell:
        "dataprophet predict --sources {input.sources} --targets {input.targets} --terms {output.terms} "
        "--metric {output.metric} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"
