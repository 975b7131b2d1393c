# Stage "finetune": one job per (seed, source), the same recipe for every source.
# With compute.gpus.finetune > 1 the job runs under `accelerate launch`, one process per GPU
# of the job, with the strategy's config from config/accelerate/ (DDP, FSDP, ZeRO-2/3).


rule finetune:
    conda:
        CONDA_ENV
    input:
        base=f"{R}/models/base",
        train=f"{R}/data/train/{{source}}.parquet",
    output:
        directory(f"{R}/models/ft/seed{{seed}}/{{source}}"),
    params:
        launch=lambda wc, resources: launcher(resources.gpu),
        settings=lambda wc: to_flags(STUDY.finetune_settings(int(wc.seed))),
        checkpoints=f"{R}/checkpoints/ft/seed{{seed}}/{{source}}",
    threads: STUDY.threads.get("finetune", 1)
    resources:
        gpu=STUDY.compute.gpus_for("finetune"),
    log:
        f"{R}/logs/finetune/seed{{seed}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/finetune/seed{{seed}}/{{source}}.tsv"
    shell:
        "{params.launch} finetune --base {input.base} --train {input.train} --out {output} "
        "--checkpoints {params.checkpoints} --threads {threads} {params.settings} > {log} 2>&1"
