# Stage "select": per target, split a budget of samples over the sources (the paper's
# section 5): uniform, DataProphet reweighting (Algorithm 1, from metric.csv) and the oracle
# (from the observed Delta). Fine-tuning on these mixtures is not part of the workflow yet.

ALLOCATION_WEIGHTS = {
    "uniform": f"{R}/tables/metric.csv",  # supplies the labels only
    "dataprophet": f"{R}/tables/metric.csv",
    "oracle": f"{R}/tables/delta.csv",
}


rule allocate:
    conda:
        CONDA_ENV
    input:
        weights=lambda wc: ALLOCATION_WEIGHTS[wc.method],
    output:
        f"{R}/selection/allocation_{{method}}.csv",
    params:
        settings=lambda wc: to_flags(STUDY.allocate_settings(wc.method)),
    log:
        f"{R}/logs/allocate/{{method}}.log",
    shell:
        "dataprophet allocate --weights {input.weights} --out {output} {params.settings} > {log} 2>&1"
