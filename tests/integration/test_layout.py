"""The workflow's shape: rule, command and stage module share one name; the CLI is a table;
every stage writes exactly the output paths it is given (fast, no model)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataprophet.cli import COMMANDS, entry_function, main
from dataprophet.io.contract import COLUMNS
from dataprophet.prophet.factors import FeatureSet, save_features

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["a", "b", "c", "d"]


def _rule_files() -> list[tuple[str, str, str]]:
    """(rule file name without .smk, rule name, its shell command) over every rule file."""
    rules = []
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for match in re.finditer(r"^\s*rule (\w+):\n(.*?)(?=^\s*rule \w+:|\Z)", path.read_text(), flags=re.M | re.S):
            shell = re.search(r"shell:\s*\n\s*(\"[^\n]*)", match.group(2))
            rules.append((path.stem, match.group(1), shell.group(1) if shell else ""))
    return rules


def _rules() -> dict[str, str]:
    """{rule name: its shell command} over every rule file."""
    return {rule: shell for _, rule, shell in _rule_files()}


def _command(shell: str) -> str:
    """The dataprophet command a rule's shell line calls."""
    command = re.match(r'"(?:dataprophet|\{params\.launch\}) ([\w-]+) ', shell)
    assert command, f"no dataprophet command in {shell}"
    return command.group(1)


def test_every_rule_calls_the_command_and_module_of_its_own_name():
    rules = _rules()
    assert {
        "generate",
        "prepare",
        "base",
        "fetch_base",
        "finetune",
        "evaluate",
        "groundtruth",
        "seed_mean",
        "agreement",
        "testbed",
        "heatmap",
        "features",
        "predict",
        "rank",
        "cost",
        "ablations",
        "figures",
        "summary",
        "provenance",
        "extend",
        "allocate",
        "mixture",
        "gradients",
        "influence",
        "selection_table",
        "predictors",
        "synthesize",
        "synthetic_select",
        "synthetic_table",
        "rl_prompts",
        "grpo",
        "rl_table",
        "published_matrices",
        "published_summary",
        "proxy_features",  # a proxy model's run of a stage: proxy_<stage> calls dataprophet <stage>
        "proxy_predict",
        "check_data",
        "web",
    } == set(rules)
    for rule, shell in rules.items():
        command = _command(shell)
        stage = rule.removeprefix("proxy_")
        assert command.replace("-", "_") == stage, f"rule {rule} calls dataprophet {command}"


def test_one_rule_file_per_package_holds_exactly_that_packages_stage_rules():
    """workflow/rules/<package>.smk for each package of src/dataprophet that has stage modules,
    plus common.smk (helpers, no rule); each rule calls a command whose stage module lives in
    the package that names its file."""
    packages = {module.split(".")[1] for module, _ in COMMANDS.values()}
    files = {path.stem for path in (ROOT / "workflow" / "rules").glob("*.smk")}
    assert files == packages | {"common"}
    for file, rule, shell in _rule_files():
        module, _ = COMMANDS[_command(shell)]
        assert module.split(".")[1] == file, f"rule {rule} in {file}.smk runs {module}"
    assert "common" not in {file for file, _, _ in _rule_files()}


def test_no_library_module_is_named_like_a_stage_module_beside_it():
    """Stage modules are named by their command, library modules by what they hold: in one
    package, no library module's name begins with a stage module's name or shares its first
    five letters (``rank`` beside ``ranking``, ``allocate`` beside ``allocation``)."""
    stages = {module for module, _ in COMMANDS.values()}
    for package in sorted({module.rsplit(".", 1)[0] for module in stages}):
        folder = ROOT / "src" / Path(*package.split("."))
        names = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
        stage_names = {name for name in names if f"{package}.{name}" in stages}
        for library in sorted(names - stage_names):
            for stage in stage_names:
                common = len(os.path.commonprefix([library, stage]))
                assert common < min(len(stage), 5), f"{package}: library {library} beside stage {stage}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_its_stage_modules_entry_function(command):
    module, _ = COMMANDS[command]
    assert module.rsplit(".", 1)[1] == command.replace("-", "_")
    function = entry_function(command)
    assert function.__module__ == module and function.__doc__


def test_the_cli_holds_no_stage_logic():
    source = (ROOT / "src" / "dataprophet" / "cli.py").read_text()
    assert len(source.splitlines()) < 200
    assert not re.search(r"^\s*(import|from) (torch|pandas|numpy|transformers)", source, flags=re.M)


# ------------------------------------------------------------- outputs go where the caller says


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _matrix(values, path: Path) -> Path:
    pd.DataFrame(values, index=pd.Index(NAMES, name="source"), columns=NAMES).to_csv(path)
    return path


def _features(rng, n: int, shift: float) -> FeatureSet:
    def rows(d):
        x = rng.normal(size=(n, d)) + shift
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return FeatureSet(
        q=rows(8), a=rows(8), i=rows(8), qa=rows(8), nll=rng.uniform(0.5, 2, n), ids=[f"s{j}" for j in range(n)]
    )


def _argv(command: str, settings: dict | None = None, **flags) -> list[str]:
    """``command --path-flag value ... --setting value ...`` in the order given; a list value
    is spread after its flag. Path flags are written with dashes, settings flags (derived from
    the settings class by jsonargparse) with the field's own name."""
    argv = [command]
    for flag, value in flags.items():
        argv.append("--" + flag.replace("_", "-"))
        argv.extend(map(str, value) if isinstance(value, list) else [str(value)])
    for name, value in (settings or {}).items():
        argv.extend([f"--{name}", str(value)])
    return argv


def _write_stage_inputs(inputs: Path, rng) -> dict:
    """Evaluation scores, a second Delta table, feature files, test tables, predictions and
    benchmark files: what the CPU stages read."""
    inputs.mkdir()
    evaluations = []
    for model in ["base", *NAMES]:
        scores = {t: float(rng.uniform(0.2, 0.8)) for t in NAMES}
        evaluations.append(inputs / f"{model}.json")
        evaluations[-1].write_text(json.dumps({"model": model, "scores": scores}))
    delta_b = _matrix(rng.normal(size=(4, 4)), inputs / "delta_b.csv")
    for split, shift in (("train", 0.5), ("test", 0.4)):
        (inputs / split).mkdir()
        for k, name in enumerate(NAMES):
            save_features(_features(rng, 12, shift + 0.1 * k), inputs / split / f"{name}.npz")
    bench = inputs / "bench" / "finetune"
    bench.mkdir(parents=True)
    pd.DataFrame({"s": [3.0]}).to_csv(bench / "x.tsv", sep="\t", index=False)
    references, predictions = [], []
    for name in NAMES:  # a test table per target (only the answers are read) and one model's replies
        references.append(str(inputs / "ref" / f"{name}.parquet"))
        Path(references[-1]).parent.mkdir(exist_ok=True)
        rows = {c: [None] * 3 for c in COLUMNS}
        pd.DataFrame({**rows, "answers": [["x"], ["y"], ["x"]]}).to_parquet(references[-1])
    for model in ("base", "seed0/a"):
        predictions.append(str(inputs / "eval" / model / "predictions.parquet"))
        Path(predictions[-1]).parent.mkdir(parents=True)
        pd.DataFrame({"target": [n for n in NAMES for _ in range(2)], "prediction": ["x", "x"] * 4}).to_parquet(
            predictions[-1]
        )
    return {
        "evaluations": evaluations,
        "delta_b": delta_b,
        "info": json.dumps({n: {"family": "f" + str(k // 2), "mirrors": n.upper()} for k, n in enumerate(NAMES)}),
        "train": [str(inputs / "train" / f"{n}.npz") for n in NAMES],
        "test": [str(inputs / "test" / f"{n}.npz") for n in NAMES],
        "references": references,
        "predictions": predictions,
        "bench": inputs / "bench",
    }


def _stage_calls(i: dict, out: Path) -> list[tuple[list[str], set[str]]]:
    """Each CPU stage's command line, in the order of the workflow, and the paths (under
    ``out``) that it is given to write: the ground truth's stages, then the prophet's."""
    return _truth_stage_calls(i, f"{out}/") + _prophet_stage_calls(i, f"{out}/")


def _truth_stage_calls(i: dict, o: str) -> list[tuple[list[str], set[str]]]:
    labels = '["one", "two"]'
    return [
        (
            _argv(
                "groundtruth",
                evaluations=i["evaluations"],
                scores=o + "g/S.csv",
                delta=o + "g/D.csv",
                summary=o + "g/T.json",
                sources=json.dumps(NAMES),
                targets=json.dumps(NAMES),
            ),
            {"g/S.csv", "g/D.csv", "g/T.json"},
        ),
        (
            _argv(
                "seed-mean", deltas=[o + "g/D.csv", i["delta_b"]], mean=o + "a/m.csv", se=o + "a/se.csv", labels=labels
            ),
            {"a/m.csv", "a/se.csv"},
        ),
        (
            _argv(
                "agreement",
                deltas=[o + "g/D.csv", i["delta_b"]],
                table=o + "a/x.csv",
                summary=o + "a/y.json",
                labels=labels,
            ),
            {"a/x.csv", "a/y.json"},
        ),
        (
            _argv(
                "testbed",
                delta=o + "a/m.csv",
                se=o + "a/se.csv",
                ceiling=o + "a/y.json",
                scores=o + "g/S.csv",
                predictions=i["predictions"],
                references=i["references"],
                out=o + "t/r.json",
                shares=o + "t/s.csv",
            ),
            {"t/r.json", "t/s.csv"},
        ),
        (
            _argv("heatmap", matrix=o + "a/m.csv", se=o + "a/se.csv", pdf=o + "h/1.pdf", png=o + "h/2.png"),
            {"h/1.pdf", "h/2.png"},
        ),
    ]


def _prophet_stage_calls(i: dict, o: str) -> list[tuple[list[str], set[str]]]:
    boot = {"bootstrap": 100, "datasets": i["info"]}
    return [
        (
            _argv(
                "predict",
                sources=i["train"],
                targets=i["test"],
                terms=o + "p/t.csv",
                metric=o + "p/m.csv",
                pdf=o + "p/f.pdf",
                png=o + "p/f.png",
                settings={"kmeans_k": 3},
            ),
            {"p/t.csv", "p/m.csv", "p/f.pdf", "p/f.png"},
        ),
        (
            _argv(
                "rank",
                truth=o + "a/m.csv",
                terms=o + "p/t.csv",
                noise_ceiling_json=o + "a/y.json",
                tau=o + "r/1.csv",
                summary=o + "r/2.json",
                comparison=o + "r/4.csv",
                pdf=o + "r/5.pdf",
                png=o + "r/6.png",
                **boot,
            ),
            {"r/1.csv", "r/2.json", "r/4.csv", "r/5.pdf", "r/6.png"},
        ),
        (
            _argv(
                "ablations",
                truth=o + "a/m.csv",
                terms=o + "p/t.csv",
                out=o + "r/3.csv",
                bootstrap=100,
                extra='{"QSim x PPL": ["qsim", "ppl"]}',
                datasets=i["info"],
            ),
            {"r/3.csv"},
        ),
        (
            _argv("allocate", weights=o + "p/m.csv", out=o + "s/w.csv", method="dataprophet", budget=40),
            {"s/w.csv"},
        ),
        (_argv("cost", benchmarks=i["bench"], out=o + "c/z.csv"), {"c/z.csv"}),
        (
            _argv("select-samples", pool=i["train"][0], target=i["test"][1], out=o + "s/top.csv", k=5),
            {"s/top.csv"},
        ),
    ]


@pytest.fixture(scope="module")
def cpu_stage_run(tmp_path_factory):
    """Every CPU stage run in order on made-up inputs: (out folder, [(argv, return code, the
    files it added, the paths it was given)])."""
    tmp = tmp_path_factory.mktemp("stages")
    inputs, out = tmp / "in", tmp / "out"
    calls = _stage_calls(_write_stage_inputs(inputs, np.random.default_rng(0)), out)
    runs = []
    for argv, given in calls:
        before = _files(out) if out.exists() else set()
        code = main(argv)
        runs.append((argv, code, _files(out) - before, given))
    return out, runs


def test_every_cpu_stage_exits_cleanly(cpu_stage_run):
    _, runs = cpu_stage_run
    for argv, code, _, _ in runs:
        assert code == 0, argv[0]


def test_cpu_stages_write_exactly_the_paths_they_are_given(cpu_stage_run):
    out, runs = cpu_stage_run
    for argv, _, added, given in runs:
        assert added == given, argv[0]
    assert _files(out) == set().union(*(given for *_, given in runs))


def test_select_samples_and_allocate_keep_their_sizes(cpu_stage_run):
    out, _ = cpu_stage_run
    assert len(pd.read_csv(out / "s" / "top.csv")) == 5
    assert pd.read_csv(out / "s" / "w.csv", index_col=0).sum().eq(40).all()


def test_generated_test_split_does_not_depend_on_the_train_size(tmp_path):
    """The mini data stage draws the test split before the train split."""
    paths = {}
    for train_size in (4, 12):
        out = tmp_path / str(train_size)
        argv = [
            "generate",
            "--dataset",
            "chart_bar",
            "--sizes",
            json.dumps({"pretrain": 3, "train": train_size, "test": 5}),
        ]
        for split in ("pretrain", "train", "test"):
            argv += [f"--{split}", str(out / f"{split}.parquet")]
        assert main(argv) == 0
        paths[train_size] = out
    assert (paths[4] / "test.parquet").read_bytes() == (paths[12] / "test.parquet").read_bytes()
    assert len(pd.read_parquet(paths[12] / "train.parquet")) == 12


# Built from pieces so that this file does not match its own patterns.
OUTSIDE_PATHS = ("../" + "shared", "/work/" + "shared")


def _project_files() -> list[Path]:
    """Every file git tracks, plus untracked ones it does not ignore (a new file counts
    before it is committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def _outside_citations(files: list[Path], root: Path = ROOT) -> list[str]:
    hits = []
    for path in files:
        for number, line in enumerate(path.read_bytes().decode("utf-8", errors="replace").splitlines(), 1):
            if any(pattern in line for pattern in OUTSIDE_PATHS):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return hits


def test_no_project_file_cites_a_path_outside_the_repository():
    """The paper's facts live in docs/paper.md; no code, doc or config points outside the
    repository for them."""
    files = _project_files()
    assert ROOT / "docs" / "paper.md" in files and Path(__file__).resolve() in files
    assert _outside_citations(files) == []


def test_the_outside_path_check_finds_a_citation(tmp_path):
    """The check itself: a file citing a path outside the repository is reported with its line."""
    (tmp_path / "a.py").write_text("x = 1\n# see " + OUTSIDE_PATHS[0] + "/paper/TABLES.md\n")
    (tmp_path / "b.md").write_text("clean\n")
    assert _outside_citations([tmp_path / "a.py", tmp_path / "b.md"], tmp_path) == [
        "a.py:2: # see " + OUTSIDE_PATHS[0] + "/paper/TABLES.md"
    ]
