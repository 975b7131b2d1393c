# Stage "base": the model every fine-tune starts from and every feature is read from.
#   mini:  tokenizer + tiny InternVL built offline, pretrained briefly on the pretrain mixture
#   paper: the released checkpoint (InternVL3-2B-hf), fetched once or taken from model.local_dir

if STUDY.scale == "mini":

    rule base_model:
        conda:
            CONDA_ENV
        input:
            pretrain=expand(f"{R}/data/pretrain/{{d}}.parquet", d=DATASETS),
            train=expand(f"{R}/data/train/{{d}}.parquet", d=DATASETS),
        output:
            directory(f"{R}/models/base"),
        params:
            spec=json.dumps(STUDY.tiny_model, sort_keys=True),
            settings=to_json(STUDY.pretrain),
            checkpoints=f"{R}/checkpoints/base",
        threads: STUDY.threads.get("base", 2)
        log:
            f"{R}/logs/base.log",
        benchmark:
            f"{R}/benchmarks/base.tsv"
        shell:
            "dataprophet base --pretrain {input.pretrain} --tokenizer-extra {input.train} "
            "--spec {params.spec:q} --settings {params.settings:q} --out {output} "
            "--checkpoints {params.checkpoints} --threads {threads} > {log} 2>&1"

else:

    rule fetch_base:
        conda:
            CONDA_ENV
        output:
            directory(f"{R}/models/base"),
        params:
            model_id=STUDY.model.id,
            revision=f"--revision {STUDY.model.revision}" if STUDY.model.revision else "",
            local_dir=f"--local-dir {STUDY.model.local_dir}" if STUDY.model.local_dir else "",
        log:
            f"{R}/logs/base.log",
        shell:
            "dataprophet fetch-base --model-id {params.model_id} {params.revision} {params.local_dir} "
            "--out {output} > {log} 2>&1"
