# Stage "data": contract tables per dataset under data/<split>/<dataset>.parquet.
#   mini:  the generated suite (pretrain / train / test splits)
#   paper: the registry's real datasets, sampled with a seed (train / test); the drawn ids
#          are kept in data/ids/ (not a rule output, so a rerun reuses them instead of deleting them)

if STUDY.scale == "mini":

    rule generate_dataset:
        conda:
            CONDA_ENV
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

else:

    rule prepare_dataset:
        conda:
            CONDA_ENV
        output:
            train=f"{R}/data/train/{{dataset}}.parquet",
            test=f"{R}/data/test/{{dataset}}.parquet",
            rejects=f"{R}/data/rejects/{{dataset}}.csv",
        params:
            sizes=json.dumps({k: STUDY.sizes[k] for k in ("train", "test")}, sort_keys=True),
            seed=STUDY.seed,
            registry=STUDY.registry,
            overrides=f"--overrides {STUDY.registry_overrides}" if STUDY.registry_overrides else "",
            on_bad_rows=STUDY.on_bad_rows,
            ids_dir=f"{R}/data/ids",
            out_dir=f"{R}/data",
        wildcard_constraints:
            dataset="|".join(DATASETS),
        log:
            f"{R}/logs/data/{{dataset}}.log",
        benchmark:
            f"{R}/benchmarks/data/{{dataset}}.tsv"
        shell:
            "dataprophet prepare --dataset {wildcards.dataset} --registry {params.registry} {params.overrides} "
            "--sizes {params.sizes:q} --seed {params.seed} --ids-dir {params.ids_dir} --out-dir {params.out_dir} "
            "--rejects {output.rejects} --on-bad-rows {params.on_bad_rows} > {log} 2>&1"
