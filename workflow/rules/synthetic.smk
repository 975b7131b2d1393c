# Package "synthetic": the synthetic pool that the selection (the paper's Table 3, right half) draws from.
#   synthesize        per dataset, question-answer pairs about its first train images, written
#                     by the configured generators (API or, at mini scale, procedural) and
#                     validated: data/synthetic/<d>.parquet and its rejects
# The selection from the pool (synthetic_select, synthetic_table): selection.smk.


# How hard and whether to call an API: handed to the command through the environment, not
# recorded as parameters, so that switching `synthetic.send` on after a dry run, or changing
# the request rate, does not rerun a finished pool (and everything trained on it). Every
# Snakemake process (a cluster job too) parses this file and sets it from the config.
SYNTHESIZE_RUN_FIELDS = ("send", "concurrency", "requests_per_minute", "timeout", "max_retries")
os.environ["DATAPROPHET_SYNTHESIZE_RUN"] = to_flags(STUDY.synthesize_settings(), only=SYNTHESIZE_RUN_FIELDS)


envvars:
    "DATAPROPHET_SYNTHESIZE_RUN",


rule synthesize:
    conda:
        CONDA_ENV
    input:
        train=f"{R}/data/train/{{dataset}}.parquet",
    output:
        pool=f"{R}/data/synthetic/{{dataset}}.parquet",
        rejects=f"{R}/data/synthetic/rejects/{{dataset}}.csv",
    params:
        settings=to_flags(STUDY.synthesize_settings(), skip=SYNTHESIZE_RUN_FIELDS),
        cache=f"{R}/cache/synthetic",
    log:
        f"{R}/logs/synthesize/{{dataset}}.log",
    benchmark:
        f"{R}/benchmarks/synthesize/{{dataset}}.tsv"
    shell:
        "dataprophet synthesize --dataset {wildcards.dataset} --train {input.train} --out {output.pool} "
        "--rejects {output.rejects} --cache {params.cache} {params.settings} $DATAPROPHET_SYNTHESIZE_RUN > {log} 2>&1"
