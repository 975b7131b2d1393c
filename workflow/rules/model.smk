# Package "model": the base every fine-tune starts from, and the fine-tunes.
# Stage "base": the model every fine-tune starts from and every feature is read from.
#   mini:  base, a tokenizer + tiny InternVL built offline, pretrained briefly on the pretrain mixture
#   paper: fetch_base, the released checkpoint (InternVL3-2B-hf), fetched once or taken from model.local_dir
# Stage "finetune": one job per fine-tune, all with the `dataprophet finetune` command:
#   seed<k>/<source>        the ground truth: the base fine-tuned on one source, per seed
#   mix/<method>/<target>   a selection mixture, with the same recipe scaled to the budget
#   icons_warmup            ICONS' short LoRA warm-up on a uniform subset of the pool
# With compute.gpus.finetune > 1 the job runs under `accelerate launch`, one process per GPU
# of the job, with the strategy's config from config/accelerate/ (DDP, FSDP, ZeRO-2/3).


if STUDY.scale == "mini":

    rule base:
        conda:
            CONDA_ENV
        input:
            pretrain=expand(f"{R}/data/pretrain/{{d}}.parquet", d=DATASETS),
            train=expand(f"{R}/data/train/{{d}}.parquet", d=DATASETS),
            web=[f"{R}/data/web/pretrain.parquet"] if STUDY.web.samples else [],
        output:
            directory(f"{R}/models/base"),
        params:
            settings=to_flags(STUDY.base_settings()),
            checkpoints=f"{R}/checkpoints/base",
            web=lambda wc, input: f"--web {input.web}" if STUDY.web.samples else "",
        threads: STUDY.threads.get("base", 2)
        log:
            f"{R}/logs/base.log",
        benchmark:
            f"{R}/benchmarks/base.tsv"
        shell:
            "dataprophet base --pretrain {input.pretrain} --tokenizer-extra {input.train} {params.web} --out {output} "
            "--checkpoints {params.checkpoints} --threads {threads} {params.settings} > {log} 2>&1"

else:

    # base: the study's model (InternVL3-2B-hf); rl_base: the RL stage's (Qwen2.5-VL-3B-Instruct)
    rule fetch_base:
        conda:
            CONDA_ENV
        input:
            checked=f"{R}/data/check_data.tsv",  # no download before the hand-fetched files are in place
        output:
            directory(f"{R}/models/{{checkpoint}}"),
        wildcard_constraints:
            checkpoint="base|rl_base",
        params:
            settings=lambda wc: to_flags(STUDY.model if wc.checkpoint == "base" else STUDY.rl_model_settings()),
        log:
            f"{R}/logs/{{checkpoint}}.log",
        shell:
            "dataprophet fetch-base --out {output} {params.settings} > {log} 2>&1"


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
