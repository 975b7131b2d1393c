# Stage "data": contract tables per dataset under data/<split>/<dataset>.parquet.
#   mini:  generate, the suite's pretrain / train / test splits
#   paper: prepare, the registry's real datasets sampled with a seed (train / test); the drawn
#          ids are kept in data/ids/ (not a rule output, so a rerun reuses them instead of
#          deleting them)

if STUDY.scale == "mini":

    # The dev split (testbed pilots) only where sizes.dev asks for one.
    GENERATED = {"pretrain", "train", "test"} | ({"dev"} if int(STUDY.sizes.get("dev", 0)) > 0 else set())

    rule generate:
        conda:
            CONDA_ENV
        output:
            **{s: f"{R}/data/{s}/{{dataset}}.parquet" for s in sorted(GENERATED)},
        params:
            settings=lambda wc: to_flags(STUDY.generate_settings(wc.dataset)),
            dev=lambda wc, output: f"--dev {output.dev}" if "dev" in GENERATED else "",
        log:
            f"{R}/logs/data/{{dataset}}.log",
        shell:
            "dataprophet generate --dataset {wildcards.dataset} --pretrain {output.pretrain} "
            "--train {output.train} --test {output.test} {params.dev} {params.settings} > {log} 2>&1"

    # Testbed v2: the base's web pretraining data (no benchmark sample).
    rule web:
        conda:
            CONDA_ENV
        output:
            f"{R}/data/web/pretrain.parquet",
        params:
            settings=to_flags(STUDY.web_settings()),
        log:
            f"{R}/logs/data/web.log",
        shell:
            "dataprophet web --out {output} {params.settings} > {log} 2>&1"

else:

    rule prepare:
        conda:
            CONDA_ENV
        output:
            train=f"{R}/data/train/{{dataset}}.parquet",
            test=f"{R}/data/test/{{dataset}}.parquet",
            rejects=f"{R}/data/rejects/{{dataset}}.csv",
        params:
            settings=to_flags(STUDY.prepare_settings()),
            registry=STUDY.registry,
            overrides=f"--overrides {STUDY.registry_overrides}" if STUDY.registry_overrides else "",
            train_ids=f"{R}/data/ids/{{dataset}}.train.json",
            test_ids=f"{R}/data/ids/{{dataset}}.test.json",
        log:
            f"{R}/logs/data/{{dataset}}.log",
        benchmark:
            f"{R}/benchmarks/data/{{dataset}}.tsv"
        shell:
            "dataprophet prepare --dataset {wildcards.dataset} --registry {params.registry} {params.overrides} "
            "--train {output.train} --test {output.test} --train-ids {params.train_ids} "
            "--test-ids {params.test_ids} --rejects {output.rejects} {params.settings} > {log} 2>&1"
