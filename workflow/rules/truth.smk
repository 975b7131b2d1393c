# Package "truth": the measured ground truth.
# Stage "evaluate": one job per model (the base, or seed<k>/<source>) over all targets; the
# model is loaded once.
# Then score and Delta tables per fine-tuning seed; their mean with its standard error
# ("seed_mean") and the seed ceilings ("agreement"); the regime statistics ("testbed").
# The Delta heatmap is the rule "heatmap" (analysis.smk).


rule evaluate:
    conda:
        CONDA_ENV
    input:
        unpack(evaluate_inputs),
    output:
        scores=f"{R}/eval/{{model}}/scores.json",
        predictions=f"{R}/eval/{{model}}/predictions.parquet",
    params:
        settings=to_flags(STUDY.evaluate),
        name=lambda wc: wc.model.split("/")[-1],
        finetuned=lambda wc, input: f"--finetuned {input.finetuned}" if "finetuned" in input.keys() else "",
    threads: STUDY.threads.get("evaluate", 1)
    resources:
        gpu=STUDY.compute.gpus_for("evaluate"),
    log:
        f"{R}/logs/evaluate/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/evaluate/{{model}}.tsv"
    shell:
        "dataprophet evaluate --name {params.name} --base {input.base} {params.finetuned} "
        "--targets {input.targets} --predictions {output.predictions} --scores {output.scores} "
        "--threads {threads} {params.settings} > {log} 2>&1"


rule groundtruth:
    localrule: True
    conda:
        CONDA_ENV
    input:
        lambda wc: eval_scores(int(wc.seed)),
    output:
        scores=f"{R}/tables/seed{{seed}}/scores.csv",
        delta=f"{R}/tables/seed{{seed}}/delta.csv",
        summary=f"{R}/tables/seed{{seed}}/transfer_summary.json",
    params:
        settings=to_flags(STUDY.groundtruth_settings()),
    log:
        f"{R}/logs/groundtruth/seed{{seed}}.log",
    shell:
        "dataprophet groundtruth --evaluations {input} --scores {output.scores} --delta {output.delta} "
        "--summary {output.summary} {params.settings} > {log} 2>&1"


# The seed mean reads no tau setting, so changing one reruns the ceilings only (not the mean
# Delta, and so not the oracle's allocation, mixtures and fine-tunes behind it).
rule seed_mean:
    localrule: True
    conda:
        CONDA_ENV
    input:
        [f"{R}/tables/seed{k}/delta.csv" for k in SEEDS],
    output:
        mean=f"{R}/tables/delta.csv",
        se=f"{R}/tables/delta_se.csv",
    params:
        settings=to_flags(STUDY.seed_mean_settings()),
    log:
        f"{R}/logs/seed_mean.log",
    shell:
        "dataprophet seed-mean --deltas {input} --mean {output.mean} --se {output.se} {params.settings} > {log} 2>&1"


rule agreement:
    localrule: True
    conda:
        CONDA_ENV
    input:
        [f"{R}/tables/seed{k}/delta.csv" for k in SEEDS],
    output:
        table=report(f"{R}/tables/noise_ceiling.csv", caption="../report/testbed.rst", category="1 Ground truth"),
        summary=f"{R}/tables/noise_ceiling.json",
    params:
        settings=to_flags(STUDY.agreement_settings()),
    log:
        f"{R}/logs/agreement.log",
    shell:
        "dataprophet agreement --deltas {input} --table {output.table} --summary {output.summary} "
        "{params.settings} > {log} 2>&1"


rule testbed:
    conda:
        CONDA_ENV
    input:
        delta=f"{R}/tables/delta.csv",
        se=f"{R}/tables/delta_se.csv",
        ceiling=f"{R}/tables/noise_ceiling.json",
        scores=f"{R}/tables/seed{PRIMARY_SEED}/scores.csv",
        predictions=predictions_files(),
        references=expand(f"{R}/data/{EVAL_SPLIT}/{{d}}.parquet", d=DATASETS),
    output:
        out=report(f"{R}/tables/testbed.json", caption="../report/testbed.rst", category="1 Ground truth"),
        shares=f"{R}/tables/constant_share.csv",
    params:
        settings=to_flags(STUDY.testbed_settings()),
    log:
        f"{R}/logs/testbed.log",
    shell:
        "dataprophet testbed --delta {input.delta} --se {input.se} --ceiling {input.ceiling} "
        "--scores {input.scores} --predictions {input.predictions} --references {input.references} "
        "--out {output.out} --shares {output.shares} {params.settings} > {log} 2>&1"
