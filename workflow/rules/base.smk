# Stage "base": the model every fine-tune starts from and every feature is read from.
#   mini:  base, a tokenizer + tiny InternVL built offline, pretrained briefly on the pretrain mixture
#   paper: fetch_base, the released checkpoint (InternVL3-2B-hf), fetched once or taken from model.local_dir

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
