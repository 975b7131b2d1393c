# Stage "ground truth": score and Delta tables per fine-tuning seed, the Delta heatmap, and
# the seed-to-seed agreement (the noise ceiling).


rule groundtruth:
    conda:
        CONDA_ENV
    input:
        lambda wc: eval_scores(seed_of(wc.seed_dir)),
    output:
        scores=f"{R}/tables/{{seed_dir}}scores.csv",
        delta=f"{R}/tables/{{seed_dir}}delta.csv",
        summary=f"{R}/tables/{{seed_dir}}transfer_summary.json",
    params:
        settings=to_flags(STUDY.groundtruth_settings()),
    log:
        f"{R}/logs/groundtruth/{{seed_dir}}groundtruth.log",
    shell:
        "dataprophet groundtruth --evaluations {input} --scores {output.scores} --delta {output.delta} "
        "--summary {output.summary} {params.settings} > {log} 2>&1"


rule heatmap:
    conda:
        CONDA_ENV
    input:
        f"{R}/tables/delta.csv",
    output:
        pdf=f"{R}/figures/delta_heatmap.pdf",
        png=f"{R}/figures/delta_heatmap.png",
    params:
        settings=to_flags(STUDY.heatmap_settings()),
    log:
        f"{R}/logs/heatmap.log",
    shell:
        "dataprophet heatmap --matrix {input} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


rule agreement:
    conda:
        CONDA_ENV
    input:
        [f"{table_dir(s)}/delta.csv" for s in SEEDS],
    output:
        table=f"{R}/tables/noise_ceiling.csv",
        summary=f"{R}/tables/noise_ceiling.json",
    params:
        settings=to_flags(STUDY.agreement_settings()),
    log:
        f"{R}/logs/agreement.log",
    shell:
        "dataprophet agreement --deltas {input} --table {output.table} --summary {output.summary} "
        "{params.settings} > {log} 2>&1"
