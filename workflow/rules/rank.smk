# Stage "rank": Kendall's tau both ways, ablations from stored factors, paper comparison.


def _dataset_info():
    """Family and the paper dataset each study dataset stands for (itself at paper scale)."""
    if STUDY.scale == "mini":
        from dataprophet.suite import SUITE

        info = {d: {"family": SUITE[d].family, "mirrors": SUITE[d].mirrors} for d in DATASETS}
    else:
        from dataprophet.registry import load_registry

        specs = load_registry(STUDY.registry, overrides=STUDY.registry_overrides)
        info = {d: {"family": specs[d].family, "mirrors": specs[d].paper_name} for d in DATASETS}
    return json.dumps(info, sort_keys=True)


rule rank:
    conda:
        CONDA_ENV
    input:
        truth=f"{R}/tables/delta.csv",
        terms=f"{R}/tables/prophet_terms.csv",
        ceiling=[f"{R}/tables/noise_ceiling.json"] if len(SEEDS) > 1 else [],
    output:
        tau=f"{R}/tables/tau.csv",
        summary=f"{R}/tables/tau_summary.json",
        ablations=f"{R}/tables/ablations.csv",
        comparison=f"{R}/tables/paper_comparison.csv",
        pdf=f"{R}/figures/tau_by_target.pdf",
        png=f"{R}/figures/tau_by_target.png",
    params:
        p=STUDY.prophet,
        datasets=_dataset_info(),
        ceiling=lambda wc, input: f"--noise-ceiling {input.ceiling[0]}" if input.ceiling else "",
        diagonal="--exclude-diagonal" if STUDY.prophet.exclude_diagonal else "",
        stem=f"{R}/figures/tau_by_target",
    log:
        f"{R}/logs/rank.log",
    benchmark:
        f"{R}/benchmarks/rank/rank.tsv"
    shell:
        "dataprophet rank --truth {input.truth} --terms {input.terms} --datasets {params.datasets:q} "
        "--variant {params.p.tau_variant} {params.diagonal} --bootstrap {params.p.bootstrap} --seed {params.p.seed} "
        "{params.ceiling} --tau {output.tau} --ablations {output.ablations} --comparison {output.comparison} "
        "--figure {params.stem} > {log} 2>&1"


rule compute_cost:
    conda:
        CONDA_ENV
    input:
        ground_truth_outputs(),
        f"{R}/tables/tau.csv",
    output:
        f"{R}/tables/compute_cost.csv",
    params:
        benchmarks=f"{R}/benchmarks",
        gpus=json.dumps(STUDY.compute.gpus, sort_keys=True),
    log:
        f"{R}/logs/compute_cost.log",
    shell:
        "dataprophet cost --benchmarks {params.benchmarks} --gpus {params.gpus:q} --out {output} > {log} 2>&1"
