# Stage "rl": RL post-training with GRPO on a prompt budget (the paper's Table 4).
#   rl_prompts  each run's prompts: equal / DataProphet split of the datasets' train tables,
#               random / per-sample-score draw from the synthetic pool
#   grpo        one job per run: GRPO (TRL) of the RL model (mini: the study's base; paper:
#               Qwen2.5-VL-3B-Instruct, models/rl_base) -> models/rl/<run>, rl/curves/<run>.csv
# Each RL model is scored on every dataset by the rule "evaluate" (eval/rl/<run>; the model
# before RL: eval/base, or eval/rl_base when the RL model is not the study's base).
#   rl_table    the table beside the paper's, and the reward curves

RL_NO_RL = "base" if STUDY.rl_base == "base" else "rl_base"


rule rl_prompts:
    conda:
        CONDA_ENV
    input:
        train=tables("train"),
        metric=f"{R}/tables/metric.csv",
        synthetic=tables("synthetic") if STUDY.rl_synthetic_runs else [],
        scores=[f"{R}/selection/synthetic_scores.parquet"] if STUDY.rl_synthetic_runs else [],
    output:
        prompts=expand(f"{R}/rl/prompts/{{run}}.{{ext}}", run=STUDY.rl_runs, ext=("parquet", "ids.csv")),
        allocation=report(f"{R}/rl/allocation.csv", caption="../report/rl.rst", category="6 RL"),
    params:
        settings=to_flags(STUDY.rl_prompts_settings()),
        folder=lambda wc, output: os.path.dirname(output.prompts[0]),
        synthetic=lambda wc, input: (
            f"--synthetic {' '.join(input.synthetic)} --synthetic-scores {input.scores}" if input.synthetic else ""
        ),
    log:
        f"{R}/logs/rl_prompts.log",
    shell:
        "dataprophet rl-prompts --train {input.train} --metric {input.metric} {params.synthetic} "
        "--out {params.folder} --allocation {output.allocation} {params.settings} > {log} 2>&1"


rule grpo:
    conda:
        CONDA_ENV
    input:
        base=f"{R}/models/{STUDY.rl_base}",
        prompts=f"{R}/rl/prompts/{{rl_run}}.parquet",
    output:
        model=directory(f"{R}/models/rl/{{rl_run}}"),
        curve=f"{R}/rl/curves/{{rl_run}}.csv",
    params:
        launch=lambda wc, resources: launcher(resources.gpu),
        settings=to_flags(STUDY.grpo_settings()),
        checkpoints=f"{R}/checkpoints/rl/{{rl_run}}",
    threads: STUDY.threads.get("finetune", 1)
    resources:
        gpu=STUDY.compute.gpus_for("grpo"),
    log:
        f"{R}/logs/grpo/{{rl_run}}.log",
    benchmark:
        f"{R}/benchmarks/grpo/{{rl_run}}.tsv"
    shell:
        "{params.launch} grpo --base {input.base} --prompts {input.prompts} --out {output.model} "
        "--curve {output.curve} --checkpoints {params.checkpoints} --threads {threads} {params.settings} > {log} 2>&1"


rule rl_table:
    localrule: True
    conda:
        CONDA_ENV
    input:
        no_rl=f"{R}/eval/{RL_NO_RL}/scores.json",
        scores=expand(f"{R}/eval/rl/{{run}}/scores.json", run=STUDY.rl_runs),
        curves=expand(f"{R}/rl/curves/{{run}}.csv", run=STUDY.rl_runs),
    output:
        table=report(f"{R}/rl/table_rl.csv", caption="../report/rl.rst", category="6 RL"),
        paper=report(f"{R}/rl/table_rl_paper.csv", caption="../report/rl.rst", category="6 RL"),
        pdf=f"{R}/figures/rl_rewards.pdf",
        png=report(f"{R}/figures/rl_rewards.png", caption="../report/rl.rst", category="6 RL"),
    params:
        settings=to_flags(STUDY.rl_table_settings()),
    log:
        f"{R}/logs/rl_table.log",
    shell:
        "dataprophet rl-table --no-rl {input.no_rl} --scores {input.scores} --curves {input.curves} "
        "--out {output.table} --paper-out {output.paper} --pdf {output.pdf} --png {output.png} "
        "{params.settings} > {log} 2>&1"
