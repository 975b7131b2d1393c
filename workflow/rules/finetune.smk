# Stage "finetune": one job per (seed, source), the same recipe for every source.


rule finetune:
    input:
        base=f"{R}/models/base",
        train=f"{R}/data/train/{{source}}.parquet",
    output:
        directory(f"{R}/models/ft/seed{{seed}}/{{source}}"),
    params:
        settings=lambda wc: to_json(STUDY.finetune.with_seed(int(wc.seed))),
        checkpoints=f"{R}/checkpoints/ft/seed{{seed}}/{{source}}",
        max_tiles=STUDY.evaluate.max_tiles,
    wildcard_constraints:
        seed=r"\d+",
        source="|".join(DATASETS),
    threads: STUDY.threads.get("finetune", 1)
    log:
        f"{R}/logs/finetune/seed{{seed}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/finetune/seed{{seed}}/{{source}}.tsv"
    shell:
        "dataprophet finetune --base {input.base} --train {input.train} --settings {params.settings:q} "
        "--max-tiles {params.max_tiles} --out {output} --checkpoints {params.checkpoints} "
        "--threads {threads} > {log} 2>&1"
