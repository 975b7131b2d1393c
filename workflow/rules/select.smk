# Stage "select": per target, split a budget of samples over the sources (the paper's
# section 5): uniform, DataProphet reweighting (Algorithm 1, from metric.csv) and the oracle
# (from the observed Delta). Fine-tuning on these mixtures is not part of the workflow yet.

ALLOCATION_WEIGHTS = {
    "uniform": f"{R}/tables/metric.csv",  # supplies the labels only
    "dataprophet": f"{R}/tables/metric.csv",
    "oracle": f"{R}/tables/delta.csv",
}


def selection_outputs():
    return [f"{R}/selection/allocation_{m}.csv" for m in STUDY.selection.methods]


rule allocate:
    conda:
        CONDA_ENV
    input:
        weights=lambda wc: ALLOCATION_WEIGHTS[wc.method],
    output:
        f"{R}/selection/allocation_{{method}}.csv",
    params:
        budget=STUDY.selection_budget,
    wildcard_constraints:
        method="uniform|dataprophet|oracle",
    log:
        f"{R}/logs/selection/{{method}}.log",
    shell:
        "dataprophet allocate --weights {input.weights} --method {wildcards.method} --budget {params.budget} "
        "--out {output} > {log} 2>&1"
