# The published study (config/published.yaml): the paper's printed matrices as the ground
# truth and M, and only the stages they allow. The rules call the same commands as the model
# study's rank, ablations and heatmap rules; `published_matrices` turns the two files into the
# study's tables and `published_summary` sets Table 1 beside the printed one.


rule published_matrices:
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
