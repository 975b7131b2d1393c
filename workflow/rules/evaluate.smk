# Stage "evaluate": one job per model (the base, or seed<k>/<source>) over all targets; the
# model is loaded once.


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
