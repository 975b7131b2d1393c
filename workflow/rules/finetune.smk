# Stage "finetune": one job per fine-tune, all with the `dataprophet finetune` command:
#   seed<k>/<source>        the ground truth: the base fine-tuned on one source, per seed
#   mix/<method>/<target>   a selection mixture, with the same recipe scaled to the budget
#   icons_warmup            ICONS' short LoRA warm-up on a uniform subset of the pool
# With compute.gpus.finetune > 1 the job runs under `accelerate launch`, one process per GPU
# of the job, with the strategy's config from config/accelerate/ (DDP, FSDP, ZeRO-2/3).


rule finetune:
    conda:
        CONDA_ENV
    input:
        base=f"{R}/models/base",
        train=lambda wc: finetune_job(wc.run)[0],
    output:
        directory(f"{R}/models/ft/{{run}}"),
    params:
        launch=lambda wc, resources: launcher(resources.gpu),
        settings=lambda wc: to_flags(finetune_job(wc.run)[1]),
        checkpoints=f"{R}/checkpoints/ft/{{run}}",
    threads: STUDY.threads.get("finetune", 1)
    resources:
        gpu=STUDY.compute.gpus_for("finetune"),
    log:
        f"{R}/logs/finetune/{{run}}.log",
    benchmark:
        f"{R}/benchmarks/finetune/{{run}}.tsv"
    shell:
        "{params.launch} finetune --base {input.base} --train {input.train} --out {output} "
        "--checkpoints {params.checkpoints} --threads {threads} {params.settings} > {log} 2>&1"
