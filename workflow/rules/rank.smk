# Stage "rank": Kendall's tau both ways and the paper comparison; "ablations": tau of every
# variant of the metric from the stored factors (`snakemake ablations` reruns it alone; a new
# variant is one entry of prophet.ablations); "cost": compute time of the prophet stages
# against the ground-truth stages.


rule rank:
    conda:
        CONDA_ENV
    input:
        truth=f"{R}/tables/delta.csv",
        terms=f"{R}/tables/prophet_terms.csv",
        ceiling=f"{R}/tables/noise_ceiling.json",
    output:
        tau=report(f"{R}/tables/tau.csv", caption="../report/tau.rst", category="3 Kendall's tau"),
        summary=f"{R}/tables/tau_summary.json",
        comparison=report(f"{R}/tables/paper_comparison.csv", caption="../report/paper_comparison.rst", category="3 Kendall's tau"),
        pdf=f"{R}/figures/tau_by_target.pdf",
        png=report(f"{R}/figures/tau_by_target.png", caption="../report/tau.rst", category="3 Kendall's tau"),
    params:
        settings=to_flags(STUDY.rank_settings()),
    log:
        f"{R}/logs/rank.log",
    benchmark:
        f"{R}/benchmarks/rank.tsv"
    shell:
        "dataprophet rank --truth {input.truth} --terms {input.terms} --noise-ceiling-json {input.ceiling} --tau {output.tau} "
        "--summary {output.summary} --comparison {output.comparison} "
        "--pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


rule ablations:
    conda:
        CONDA_ENV
    input:
        truth=f"{R}/tables/delta.csv",
        terms=f"{R}/tables/prophet_terms.csv",
    output:
        report(f"{R}/tables/ablations.csv", caption="../report/ablations.rst", category="3 Kendall's tau"),
    params:
        settings=to_flags(STUDY.ablation_settings()),
    log:
        f"{R}/logs/ablations.log",
    benchmark:
        f"{R}/benchmarks/ablations.tsv"
    shell:
        "dataprophet ablations --truth {input.truth} --terms {input.terms} --out {output} {params.settings} > {log} 2>&1"


rule cost:
    conda:
        CONDA_ENV
    input:
        # every timed stage has finished once these exist (the selection mixtures included)
        without_figures(ground_truth_outputs()),
        f"{R}/tables/tau.csv",
        f"{R}/tables/ablations.csv",
        f"{R}/selection/table_real.csv",
        f"{R}/tables/icons_matrix.csv",
        without_figures([*synthetic_outputs(), *rl_outputs()]),
    output:
        report(f"{R}/tables/compute_cost.csv", caption="../report/cost.rst", category="5 Cost and provenance"),
    params:
        settings=to_flags(STUDY.cost_settings()),
        benchmarks=f"{R}/benchmarks",
    log:
        f"{R}/logs/cost.log",
    shell:
        "dataprophet cost --benchmarks {params.benchmarks} --out {output} {params.settings} > {log} 2>&1"


# `snakemake figures`: every figure redrawn from the stored tables. No outputs, so it runs when
# asked for and nothing else reruns because of it (not part of `all`).
rule figures:
    conda:
        CONDA_ENV
    params:
        settings=to_flags(STUDY.figures_settings()),
        results=R,
    log:
        f"{R}/logs/figures.log",
    shell:
        "dataprophet figures --results {params.results} {params.settings} > {log} 2>&1"


# "summary": every paper number the study reproduces beside ours (report/summary.md, also in
# the HTML report); "provenance": what produced the results (provenance.json).
rule summary:
    conda:
        CONDA_ENV
    input:
        tau_summary=f"{R}/tables/tau_summary.json",
        tau=f"{R}/tables/tau.csv",
        ablations=f"{R}/tables/ablations.csv",
        table_real=f"{R}/selection/table_real.csv",
        predictors=f"{R}/tables/predictors.csv",
        synthetic=[p for p in synthetic_outputs() if p.endswith(".csv") and "paper" not in p],
        rl=[p for p in rl_outputs() if p.endswith("table_rl.csv")],
        sizes=[f"{R}/data/sizes/{d}.json" for d in DATASETS] if STUDY.scale == "paper" else [],
    output:
        report(f"{R}/report/summary.md", caption="../report/summary.rst", category="0 Summary"),
    params:
        settings=to_flags(STUDY.summary_settings()),
        synthetic=lambda wc, input: (
            f"--table-synthetic {input.synthetic[0]} --generator-share {input.synthetic[1]}" if input.synthetic else ""
        ),
        rl=lambda wc, input: f"--table-rl {input.rl[0]}" if input.rl else "",
        sizes=lambda wc, input: f"--data-sizes {' '.join(input.sizes)}" if input.sizes else "",
    log:
        f"{R}/logs/summary.log",
    shell:
        "dataprophet summary --tau-summary {input.tau_summary} --tau {input.tau} --ablations {input.ablations} "
        "--table-real {input.table_real} --predictors {input.predictors} {params.synthetic} {params.rl} {params.sizes} "
        "--out {output} "
        "{params.settings} > {log} 2>&1"


rule provenance:
    conda:
        CONDA_ENV
    input:
        without_figures([*ground_truth_outputs(), *prophet_outputs(), *selection_outputs(), *synthetic_outputs(), *rl_outputs()]),
    output:
        report(f"{R}/provenance.json", caption="../report/provenance.rst", category="5 Cost and provenance"),
    params:
        settings=to_flags(STUDY.provenance_settings(config)),
        checkout=workflow.basedir,
    log:
        f"{R}/logs/provenance.log",
    shell:
        "dataprophet provenance --checkout {params.checkout} --out {output} {params.settings} > {log} 2>&1"
