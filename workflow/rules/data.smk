# Stage "data": contract tables per dataset under data/<split>/<dataset>.parquet.
#   mini:  generate, the suite's pretrain / train / test splits
#   paper: prepare, the registry's real datasets sampled with a seed (train / test); the drawn
#          ids are kept in data/ids/ (not a rule output, so a rerun reuses them instead of
#          deleting them); check_data first: every hand-fetched file the study reads is in
#          place (or the run stops, listing each one, before any download or GPU job)
#   extend: more samples past the train/test tables (source pools, target validation), for the
#          selection stages


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
    import sys

    from dataprophet.data.check_data import describe_missing, missing_inputs
    from dataprophet.data.registry import load_registry

    # At DAG build (a dry run included): name every hand-fetched file that is missing, with
    # where to get it, so the user learns before submitting anything; check_data then stops
    # a real run at its start.
    MISSING_INPUTS = missing_inputs(
        load_registry(STUDY.registry, overrides=STUDY.registry_overrides), DATASETS
    )
    if MISSING_INPUTS:
        print(
            "WARNING (check_data will stop this run before any download or GPU job): "
            + describe_missing(MISSING_INPUTS),
            file=sys.stderr,
        )

    localrules:
        check_data,

    rule check_data:
        conda:
            CONDA_ENV
        output:
            f"{R}/data/check_data.tsv",
        params:
            settings=to_flags(STUDY.check_data_settings()),
            registry=STUDY.registry,
            overrides=f"--overrides {STUDY.registry_overrides}" if STUDY.registry_overrides else "",
        log:
            f"{R}/logs/data/check_data.log",
        shell:
            "dataprophet check-data --registry {params.registry} {params.overrides} --report {output} "
            "{params.settings} > {log} 2>&1"

    rule prepare:
        conda:
            CONDA_ENV
        input:
            checked=rules.check_data.output[0],
        output:
            train=f"{R}/data/train/{{dataset}}.parquet",
            test=f"{R}/data/test/{{dataset}}.parquet",
            rejects=f"{R}/data/rejects/{{dataset}}.csv",
            sizes=f"{R}/data/sizes/{{dataset}}.json",
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
            "--test-ids {params.test_ids} --rejects {output.rejects} --sizes-report {output.sizes} "
            "{params.settings} > {log} 2>&1"


rule extend:
    conda:
        CONDA_ENV
    input:
        train=f"{R}/data/train/{{dataset}}.parquet",
        test=f"{R}/data/test/{{dataset}}.parquet",
    output:
        pool=f"{R}/data/pool/{{dataset}}.parquet",
        val=f"{R}/data/val/{{dataset}}.parquet",
    params:
        source=EXTEND_SOURCE,
        settings=lambda wc: to_flags(STUDY.extend_settings(wc.dataset)),
    log:
        f"{R}/logs/extend/{{dataset}}.log",
    shell:
        "dataprophet extend --dataset {wildcards.dataset} --train {input.train} --test {input.test} "
        "--pool {output.pool} --val {output.val} {params.source} {params.settings} > {log} 2>&1"
