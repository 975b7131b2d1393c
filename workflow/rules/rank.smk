# Stage "rank": Kendall's tau both ways, ablations from stored factors, paper comparison; and
# "cost": compute time of the prophet stages against the ground-truth stages.


rule rank:
    conda:
        CONDA_ENV
    input:
        truth=f"{R}/tables/delta.csv",
        terms=f"{R}/tables/prophet_terms.csv",
        ceiling=f"{R}/tables/noise_ceiling.json",
    output:
        tau=f"{R}/tables/tau.csv",
        summary=f"{R}/tables/tau_summary.json",
        ablations=f"{R}/tables/ablations.csv",
        comparison=f"{R}/tables/paper_comparison.csv",
        pdf=f"{R}/figures/tau_by_target.pdf",
        png=f"{R}/figures/tau_by_target.png",
    params:
        settings=to_flags(STUDY.rank_settings()),
    log:
        f"{R}/logs/rank.log",
    benchmark:
        f"{R}/benchmarks/rank.tsv"
    shell:
        "dataprophet rank --truth {input.truth} --terms {input.terms} --noise-ceiling-json {input.ceiling} --tau {output.tau} "
        "--summary {output.summary} --ablations {output.ablations} --comparison {output.comparison} "
        "--pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


rule cost:
    conda:
        CONDA_ENV
    input:
        ground_truth_outputs(),
        f"{R}/tables/tau.csv",
    output:
        f"{R}/tables/compute_cost.csv",
    params:
        settings=to_flags(STUDY.cost_settings()),
        benchmarks=f"{R}/benchmarks",
    log:
        f"{R}/logs/cost.log",
    shell:
        "dataprophet cost --benchmarks {params.benchmarks} --out {output} {params.settings} > {log} 2>&1"
