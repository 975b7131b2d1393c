# Stage "ground truth": scores.csv, delta.csv, the Delta heatmap, and seed-to-seed agreement.


GROUND_TRUTH_SHELL = (
    "dataprophet groundtruth --scores {input} --sources {params.datasets} --targets {params.datasets} "
    "--out-dir {params.out_dir} > {log} 2>&1"
)


rule ground_truth:
    conda:
        CONDA_ENV
    input:
        eval_scores(PRIMARY_SEED),
    output:
        scores=f"{R}/tables/scores.csv",
        delta=f"{R}/tables/delta.csv",
        summary=f"{R}/tables/transfer_summary.json",
    params:
        datasets=" ".join(DATASETS),
        out_dir=table_dir(PRIMARY_SEED),
    log:
        f"{R}/logs/ground_truth.log",
    shell:
        GROUND_TRUTH_SHELL


rule ground_truth_replicate:
    conda:
        CONDA_ENV
    input:
        lambda wc: eval_scores(int(wc.seed)),
    output:
        scores=f"{R}/tables/seed{{seed}}/scores.csv",
        delta=f"{R}/tables/seed{{seed}}/delta.csv",
        summary=f"{R}/tables/seed{{seed}}/transfer_summary.json",
    params:
        datasets=" ".join(DATASETS),
        out_dir=lambda wc: table_dir(int(wc.seed)),
    wildcard_constraints:
        seed="|".join(str(s) for s in SEEDS[1:]) or "NONE",
    log:
        f"{R}/logs/ground_truth_seed{{seed}}.log",
    shell:
        GROUND_TRUTH_SHELL


rule delta_heatmap:
    conda:
        CONDA_ENV
    input:
        f"{R}/tables/delta.csv",
    output:
        pdf=f"{R}/figures/delta_heatmap.pdf",
        png=f"{R}/figures/delta_heatmap.png",
    params:
        stem=f"{R}/figures/delta_heatmap",
        title=f"{STUDY.name} study: relative improvement Delta(s->t), seed {PRIMARY_SEED}",
    log:
        f"{R}/logs/delta_heatmap.log",
    shell:
        "dataprophet heatmap --matrix {input} --out {params.stem} --title {params.title:q} > {log} 2>&1"


rule noise_ceiling:
    conda:
        CONDA_ENV
    input:
        [f"{table_dir(s)}/delta.csv" for s in SEEDS],
    output:
        table=f"{R}/tables/noise_ceiling.csv",
        summary=f"{R}/tables/noise_ceiling.json",
    params:
        labels=" ".join(f"seed{s}" for s in SEEDS),
    log:
        f"{R}/logs/noise_ceiling.log",
    shell:
        "dataprophet agreement --deltas {input} --labels {params.labels} --out {output.table} > {log} 2>&1"
