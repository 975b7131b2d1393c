# Stage "data": the mini suite, generated per dataset (pretrain / train / test splits).


rule generate_dataset:
    output:
        **{split: f"{R}/data/{split}/{{dataset}}.parquet" for split in ("pretrain", "train", "test")},
    params:
        sizes=json.dumps(STUDY.sizes, sort_keys=True),
        seed=STUDY.seed,
        image_size=STUDY.image_size,
        out_dir=f"{R}/data",
    wildcard_constraints:
        dataset="|".join(DATASETS),
    log:
        f"{R}/logs/data/{{dataset}}.log",
    shell:
        "dataprophet generate --dataset {wildcards.dataset} --sizes {params.sizes:q} "
        "--seed {params.seed} --image-size {params.image_size} --out-dir {params.out_dir} > {log} 2>&1"
