# Package "analysis": what the study's tables and figures say, from the stages' outputs.
# The published study (config/published.yaml) plans only the first branch below.


if STUDY.published:

    # The published study (config/published.yaml): the paper's printed matrices as the ground
    # truth and M, and only the stages they allow. The rules call the same commands as the model
    # study's rank, ablations and heatmap rules; `published_matrices` turns the two files into the
    # study's tables and `published_summary` sets Table 1 beside the printed one.


    rule published_matrices:
        localrule: True
        conda:
            CONDA_ENV
        input:
            delta=STUDY.published["delta"],
            metric=STUDY.published["metric"],
        output:
            delta=f"{R}/tables/delta.csv",
            metric=f"{R}/tables/metric.csv",
        params:
            settings=to_flags(STUDY.published_matrices_settings()),
        log:
            f"{R}/logs/published_matrices.log",
        shell:
            "dataprophet published-matrices --delta-in {input.delta} --metric-in {input.metric} "
            "--delta {output.delta} --metric {output.metric} {params.settings} > {log} 2>&1"


    rule rank:
        localrule: True
        conda:
            CONDA_ENV
        input:
            truth=f"{R}/tables/delta.csv",
            metric=f"{R}/tables/metric.csv",
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
        shell:
            "dataprophet rank --truth {input.truth} --metric {input.metric} --tau {output.tau} "
            "--summary {output.summary} --comparison {output.comparison} "
            "--pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


    rule ablations:
        localrule: True
        conda:
            CONDA_ENV
        input:
            truth=f"{R}/tables/delta.csv",
            metric=f"{R}/tables/metric.csv",
        output:
            report(f"{R}/tables/ablations.csv", caption="../report/ablations.rst", category="3 Kendall's tau"),
        params:
            settings=to_flags(STUDY.ablation_settings()),
        log:
            f"{R}/logs/ablations.log",
        shell:
            "dataprophet ablations --truth {input.truth} --metric {input.metric} --out {output} {params.settings} > {log} 2>&1"


    # Figure 2 (delta) and the metric figure (metric), from the printed values in the paper's
    # dataset names and each figure's order.
    rule heatmap:
        localrule: True
        conda:
            CONDA_ENV
        input:
            lambda wc: STUDY.published[wc.matrix],
        output:
            pdf=f"{R}/figures/{{matrix}}_heatmap.pdf",
            png=report(f"{R}/figures/{{matrix}}_heatmap.png", caption="../report/published_heatmap.rst", category="1 Published matrices"),
        wildcard_constraints:
            matrix="delta|metric",
        params:
            settings=lambda wc: to_flags(STUDY.published_heatmap_settings(wc.matrix)),
        log:
            f"{R}/logs/heatmap_{{matrix}}.log",
        shell:
            "dataprophet heatmap --matrix {input} --pdf {output.pdf} --png {output.png} {params.settings} > {log} 2>&1"


    rule published_summary:
        localrule: True
        conda:
            CONDA_ENV
        input:
            tau_summary=f"{R}/tables/tau_summary.json",
            tau=f"{R}/tables/tau.csv",
            ablations=f"{R}/tables/ablations.csv",
        output:
            report(f"{R}/report/summary.md", caption="../report/published_summary.rst", category="0 Summary"),
        params:
            settings=to_flags(STUDY.published_summary_settings()),
        log:
            f"{R}/logs/published_summary.log",
        shell:
            "dataprophet published-summary --tau-summary {input.tau_summary} --tau {input.tau} "
            "--ablations {input.ablations} --out {output} {params.settings} > {log} 2>&1"


    rule provenance:
        conda:
            CONDA_ENV
        input:
            STUDY.published["delta"],
            STUDY.published["metric"],
        output:
            report(f"{R}/provenance.json", caption="../report/provenance.rst", category="5 Cost and provenance"),
        params:
            settings=to_flags(STUDY.provenance_settings(config)),
            checkout=workflow.basedir,
        log:
            f"{R}/logs/provenance.log",
        shell:
            "dataprophet provenance --checkout {params.checkout} --out {output} {params.settings} > {log} 2>&1"

else:

    # Stage "heatmap": the Delta heatmap.
    rule heatmap:
        localrule: True
        conda:
            CONDA_ENV
        input:
            delta=f"{R}/tables/delta.csv",
            se=f"{R}/tables/delta_se.csv",
        output:
            pdf=f"{R}/figures/delta_heatmap.pdf",
            png=report(f"{R}/figures/delta_heatmap.png", caption="../report/delta_heatmap.rst", category="1 Ground truth"),
        params:
            settings=to_flags(STUDY.heatmap_settings()),
        log:
            f"{R}/logs/heatmap.log",
        shell:
            "dataprophet heatmap --matrix {input.delta} --se {input.se} --pdf {output.pdf} --png {output.png} "
            "{params.settings} > {log} 2>&1"


    # Stage "rank": Kendall's tau both ways and the paper comparison; "ablations": tau of every
    # variant of the metric from the stored factors (`snakemake ablations` reruns it alone; a new
    # variant is one entry of prophet.ablations); "cost": compute time of the prophet stages
    # against the ground-truth stages.


    rule rank:
        localrule: True
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
        localrule: True
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
        localrule: True
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
        localrule: True
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
        localrule: True
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


    # "predictors": DataProphet, ICONS and the baselines judged alike, with their costs.
    rule predictors:
        localrule: True
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
