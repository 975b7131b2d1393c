# Stage "base": tokenizer + tiny InternVL built offline, pretrained briefly on the pretrain mixture.


rule base_model:
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
