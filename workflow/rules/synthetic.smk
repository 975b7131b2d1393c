# Stage "synthetic": selection from a synthetic pool (the paper's Table 3, right half).
#   synthesize        per dataset, question-answer pairs about its first train images, written
#                     by the configured generators (API or, at mini scale, procedural) and
#                     validated: data/synthetic/<d>.parquet and its rejects
#   features          (prophet.smk) the frozen base model's features of the pool, split "synthetic"
#   synthetic_select  DataProphet's per-sample top-K per target, the uniform draw, ICONS' warm-up
#                     subset, and the generators' shares among the selected pairs
#   gradients, influence (select.smk) ICONS on the pool: synthetic_icons
# The fine-tunes (models/ft/mix/synthetic_<method>/<target>, models/ft/synthetic_icons_warmup)
# are jobs of the rule "finetune" and their scores jobs of "evaluate", as for real data.
#   synthetic_table   the table beside the paper's, and its figure

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


rule synthetic_select:
    conda:
        CONDA_ENV
    input:
        pool=tables("synthetic"),
        features=feature_files("synthetic"),
        # every target a pair is scored against: the selection targets, and all datasets for RL
        targets=[
            f"{R}/features/test/{t}.npz"
            for t in dict.fromkeys([*STUDY.selection_targets, *STUDY.synthetic_select_settings().score_targets])
        ],
    output:
        scores=f"{R}/selection/synthetic_scores.parquet",
        shares=report(
            f"{R}/selection/generator_share.csv", caption="../report/synthetic.rst", category="4 Data selection"
        ),
        mixtures=[
            *expand(
                f"{R}/selection/mixtures/synthetic_dataprophet/{{t}}.{{ext}}",
                t=STUDY.selection_targets,
                ext=("parquet", "ids.csv"),
            ),
            *expand(f"{R}/selection/mixtures/synthetic_{{m}}/all.{{ext}}", m=("uniform", "warmup"), ext=("parquet", "ids.csv")),
        ],
    params:
        settings=to_flags(STUDY.synthetic_select_settings()),
        folder=lambda wc, output: os.path.dirname(os.path.dirname(output.mixtures[-1])),
    log:
        f"{R}/logs/synthetic_select.log",
    benchmark:
        f"{R}/benchmarks/synthetic_select.tsv"
    shell:
        "dataprophet synthetic-select --pool {input.pool} --features {input.features} --target-features {input.targets} "
        "--mixtures {params.folder} --scores {output.scores} --shares {output.shares} {params.settings} > {log} 2>&1"


rule synthetic_table:
    conda:
        CONDA_ENV
    input:
        scores=synthetic_scores(),
        base=f"{R}/eval/base/scores.json",
    output:
        table=report(f"{R}/selection/table_synthetic.csv", caption="../report/synthetic.rst", category="4 Data selection"),
        paper=report(
            f"{R}/selection/table_synthetic_paper.csv", caption="../report/synthetic.rst", category="4 Data selection"
        ),
        pdf=f"{R}/figures/selection_synthetic.pdf",
        png=report(f"{R}/figures/selection_synthetic.png", caption="../report/synthetic.rst", category="4 Data selection"),
    params:
        settings=to_flags(STUDY.synthetic_table_settings()),
    log:
        f"{R}/logs/synthetic_table.log",
    shell:
        "dataprophet synthetic-table --scores {input.scores} --base {input.base} --out {output.table} "
        "--paper-out {output.paper} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"
