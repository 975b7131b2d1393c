# Package "selection": data selection under a fixed budget, trained and scored (the paper's Table 3,
# left half). Per configured target, one mixture per method, each fine-tuned once with the
# per-source recipe scaled to the budget and scored on its target:
#   allocate         uniform (one column, "all"), dataprophet (Algorithm 1 on M), oracle (on
#                    Delta), warmup (ICONS' uniform warm-up subset); capped by the pools
#   mixture          the drawn rows of one allocation column, with their ids
#   gradients        ICONS' projected per-example LoRA gradients, one job per dataset (icons: the
#                    train and pool rows; synthetic_icons: the synthetic pool, synthetic.smk)
#   influence        ICONS per target and by consensus, and its source x target matrix
# The fine-tunes (ICONS' warm-up, models/ft/icons_warmup; one per mixture, models/ft/mix/<method>/<target>)
# are jobs of the rule "finetune", and their scores (eval/mix/<method>/<target>) jobs of "evaluate".
#   selection_table  the table beside the paper's, and its figure
# With a synthetic pool (synthetic.enabled; the pool itself: synthetic.smk):
#   features          (prophet.smk) the frozen base model's features of the pool, split "synthetic"
#   synthetic_select  DataProphet's per-sample top-K per target, the uniform draw, ICONS' warm-up
#                     subset, and the generators' shares among the selected pairs
#   gradients, influence (above) ICONS on the pool: synthetic_icons
# The fine-tunes (models/ft/mix/synthetic_<method>/<target>, models/ft/synthetic_icons_warmup)
# are jobs of the rule "finetune" and their scores jobs of "evaluate", as for real data.
#   synthetic_table   the table beside the paper's, and its figure


rule allocate:
    localrule: True
    conda:
        CONDA_ENV
    input:
        weights=lambda wc: ALLOCATION_WEIGHTS.get(wc.name, []),
        train=tables("train"),
        pool=tables("pool"),
    output:
        f"{R}/selection/allocation_{{name}}.csv",
    wildcard_constraints:
        name=ALLOCATED,
    params:
        settings=lambda wc: to_flags(STUDY.allocate_settings(wc.name)),
        weights=lambda wc, input: f"--weights {input.weights}" if input.weights else "",
    log:
        f"{R}/logs/allocate/{{name}}.log",
    shell:
        "dataprophet allocate {params.weights} --train {input.train} --pool {input.pool} --out {output} "
        "{params.settings} > {log} 2>&1"


rule mixture:
    conda:
        CONDA_ENV
    input:
        allocation=f"{R}/selection/allocation_{{name}}.csv",
        train=tables("train"),
        pool=tables("pool"),
    output:
        table=f"{R}/selection/mixtures/{{name}}/{{target}}.parquet",
        ids=f"{R}/selection/mixtures/{{name}}/{{target}}.ids.csv",
    wildcard_constraints:
        name=ALLOCATED,
        target=f"all|{DATASET_PATTERN}",
    params:
        settings=lambda wc: to_flags(STUDY.mixture_settings(wc.target)),
    log:
        f"{R}/logs/mixture/{{name}}/{{target}}.log",
    shell:
        "dataprophet mixture --allocation {input.allocation} --train {input.train} --pool {input.pool} "
        "--out {output.table} --ids {output.ids} {params.settings} > {log} 2>&1"


# Gradient jobs: one per pool (icons or synthetic_icons; the warm-up model is loaded once for
# all datasets), or, with selection.icons.jobs_per_dataset, one per (pool, dataset) to spread
# the paper study's passes over GPUs.
if STUDY.selection.icons.jobs_per_dataset:
    GRADIENT_JOB = "{icons}/{dataset}"
    GRADIENT_OUTPUTS = [f"{R}/features/{{icons}}/{{dataset}}.npz"]
else:
    GRADIENT_JOB = "{icons}"
    GRADIENT_OUTPUTS = expand(f"{R}/features/{{{{icons}}}}/{{d}}.npz", d=DATASETS)


rule gradients:
    conda:
        CONDA_ENV
    input:
        unpack(gradient_inputs),
    output:
        GRADIENT_OUTPUTS,
    wildcard_constraints:
        icons="icons|synthetic_icons",
    params:
        settings=to_flags(STUDY.gradient_settings()),
    threads: STUDY.threads.get("features", 1)
    resources:
        gpu=STUDY.compute.gpus_for("gradients"),
    log:
        f"{R}/logs/gradients/{GRADIENT_JOB}.log",
    benchmark:
        f"{R}/benchmarks/gradients/{GRADIENT_JOB}.tsv"
    shell:
        "dataprophet gradients --base {input.base} --warmup {input.warmup} --sources {input.sources} "
        "--val {input.val} --out {output} --threads {threads} {params.settings} > {log} 2>&1"


rule influence:
    conda:
        CONDA_ENV
    input:
        gradients=expand(f"{R}/features/{{{{icons}}}}/{{d}}.npz", d=DATASETS),
        sources=lambda wc: [p for d in DATASETS for p in icons_sources(wc.icons, d)],
    output:
        scores=f"{R}/selection/{{icons}}_influence.parquet",
        matrix=f"{R}/tables/{{icons}}_matrix.csv",
        mixtures=[
            *expand(
                f"{R}/selection/mixtures/{{{{icons}}}}/{{t}}.{{ext}}", t=STUDY.selection_targets, ext=("parquet", "ids.csv")
            ),
            f"{R}/selection/mixtures/{{icons}}_consensus/all.parquet",
            f"{R}/selection/mixtures/{{icons}}_consensus/all.ids.csv",
        ],
    wildcard_constraints:
        icons="icons|synthetic_icons",
    params:
        settings=lambda wc: to_flags(STUDY.influence_settings(wc.icons)),
        folder=lambda wc, output: os.path.dirname(os.path.dirname(output.mixtures[-1])),
    log:
        f"{R}/logs/influence/{{icons}}.log",
    benchmark:
        f"{R}/benchmarks/influence/{{icons}}.tsv"
    shell:
        "dataprophet influence --gradients {input.gradients} --sources {input.sources} "
        "--scores {output.scores} --matrix {output.matrix} --mixtures {params.folder} {params.settings} > {log} 2>&1"


rule selection_table:
    localrule: True
    conda:
        CONDA_ENV
    input:
        scores=mixture_scores(),
        base=f"{R}/eval/base/scores.json",
    output:
        table=report(f"{R}/selection/table_real.csv", caption="../report/selection.rst", category="4 Data selection"),
        paper=report(f"{R}/selection/table_real_paper.csv", caption="../report/selection.rst", category="4 Data selection"),
        pdf=f"{R}/figures/selection_real.pdf",
        png=report(f"{R}/figures/selection_real.png", caption="../report/selection.rst", category="4 Data selection"),
    params:
        settings=to_flags(STUDY.selection_table_settings()),
    log:
        f"{R}/logs/selection_table.log",
    shell:
        "dataprophet selection-table --scores {input.scores} --base {input.base} --out {output.table} "
        "--paper-out {output.paper} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


if STUDY.synthetic_enabled:

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
        localrule: True
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
