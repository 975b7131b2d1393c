# Stage "select": data selection under a fixed budget, trained and scored (the paper's Table 3,
# left half). Per configured target, one mixture per method, each fine-tuned once with the
# per-source recipe scaled to the budget and scored on its target:
#   extend           more samples per source (pool) and validation samples per target (val)
#   allocate         uniform (one column, "all"), dataprophet (Algorithm 1 on M), oracle (on
#                    Delta), warmup (ICONS' uniform warm-up subset); capped by the pools
#   mixture          the drawn rows of one allocation column, with their ids
#   gradients        ICONS' projected per-example LoRA gradients, one job per dataset (icons: the
#                    train and pool rows; synthetic_icons: the synthetic pool, synthetic.smk)
#   influence        ICONS per target and by consensus, and its source x target matrix
# The fine-tunes (ICONS' warm-up, models/ft/icons_warmup; one per mixture, models/ft/mix/<method>/<target>)
# are jobs of the rule "finetune", and their scores (eval/mix/<method>/<target>) jobs of "evaluate".
#   selection_table  the table beside the paper's, and its figure
#   predictors       DataProphet, ICONS and the baselines judged alike, with their costs

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


rule allocate:
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


rule predictors:
    conda:
        CONDA_ENV
    input:
        truth=f"{R}/tables/delta.csv",
        metric=f"{R}/tables/metric.csv",
        icons=f"{R}/tables/icons_matrix.csv",
        ceiling=f"{R}/tables/noise_ceiling.json",
        ranked=f"{R}/tables/tau_summary.json",  # so every prophet stage's benchmark file exists
        proxies=[f"{R}/proxies/{p}/metric.csv" for p in PROXIES],
    output:
        report(f"{R}/tables/predictors.csv", caption="../report/predictors.rst", category="4 Data selection"),
    params:
        settings=to_flags(STUDY.predictors_settings()),
        benchmarks=f"{R}/benchmarks",
    log:
        f"{R}/logs/predictors.log",
    shell:
        "dataprophet predictors --truth {input.truth} --metric {input.metric} --icons {input.icons} "
        "--noise-ceiling-json {input.ceiling} --benchmarks {params.benchmarks} --out {output} "
        "--proxies {input.proxies} {params.settings} > {log} 2>&1"
