# Stage "evaluate": one job per model over all targets (the model is loaded once).

TARGET_TABLES = expand(f"{R}/data/test/{{d}}.parquet", d=DATASETS)


rule evaluate_base:
    conda:
        CONDA_ENV
    input:
        base=f"{R}/models/base",
        targets=TARGET_TABLES,
    output:
        scores=f"{R}/eval/base/scores.json",
        predictions=f"{R}/eval/base/predictions.parquet",
    params:
        settings=to_json(STUDY.evaluate),
        out_dir=f"{R}/eval/base",
    threads: STUDY.threads.get("evaluate", 1)
    resources:
        gpu=STUDY.compute.gpus_for("evaluate"),
    log:
        f"{R}/logs/evaluate/base.log",
    benchmark:
        f"{R}/benchmarks/evaluate/base.tsv"
    shell:
        "dataprophet evaluate --name base --base {input.base} --targets {input.targets} "
        "--settings {params.settings:q} --out-dir {params.out_dir} --threads {threads} > {log} 2>&1"


rule evaluate_finetuned:
    conda:
        CONDA_ENV
    input:
        base=f"{R}/models/base",
        finetuned=f"{R}/models/ft/seed{{seed}}/{{source}}",
        targets=TARGET_TABLES,
    output:
        scores=f"{R}/eval/seed{{seed}}/{{source}}/scores.json",
        predictions=f"{R}/eval/seed{{seed}}/{{source}}/predictions.parquet",
    params:
        settings=to_json(STUDY.evaluate),
        out_dir=lambda wc: f"{R}/eval/seed{wc.seed}/{wc.source}",
    wildcard_constraints:
        seed=r"\d+",
        source="|".join(DATASETS),
    threads: STUDY.threads.get("evaluate", 1)
    resources:
        gpu=STUDY.compute.gpus_for("evaluate"),
    log:
        f"{R}/logs/evaluate/seed{{seed}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/evaluate/seed{{seed}}/{{source}}.tsv"
    shell:
        "dataprophet evaluate --name {wildcards.source} --base {input.base} --finetuned {input.finetuned} "
        "--targets {input.targets} --settings {params.settings:q} --out-dir {params.out_dir} "
        "--threads {threads} > {log} 2>&1"
