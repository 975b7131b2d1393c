"""docs/paper.md and paper.py hold the same printed numbers: every per-dataset row and
every printed average of the page's Tables 1-4 equals the constant in paper.py, and every
"mean of the rows" the page states is the mean of its own rows (fast, no model)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dataprophet import paper

PAGE = Path(__file__).resolve().parents[3] / "docs" / "paper.md"


def _section(text: str, heading: str) -> str:
    """The body under the heading that starts with ``heading`` (up to the next heading of any level)."""
    match = re.search(rf"^#+ {re.escape(heading)}.*?\n(.*?)(?=^#|\Z)", text, flags=re.M | re.S)
    assert match, f"{PAGE}: no heading '{heading}'"
    return match.group(1)


def _tables(body: str) -> list[list[list[str]]]:
    """Each Markdown table of ``body`` as its data rows (header and rule dropped), cells stripped."""
    tables, rows = [], []
    for line in body.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            tables.append(rows[2:])
            rows = []
    return tables


def _number(cell: str) -> float:
    return float(cell.lstrip("+").replace("**", ""))


def _check(body: str, per_dataset: dict, columns: int, printed: dict | None, decimals: int) -> None:
    """``body``'s first table holds ``per_dataset`` exactly; its second table's "printed" rows
    hold ``printed`` (column -> value, in the first table's order) and its "mean of the rows"
    row equals the rows' means at ``decimals``."""
    rows, summary = _tables(body)[:2]
    assert {r[0]: tuple(_number(c) for c in r[1:]) for r in rows} == {
        k: tuple(float(x) for x in v) for k, v in per_dataset.items()
    }
    assert list(per_dataset) == [r[0] for r in rows]
    summary = {r[0]: r[1:] for r in summary}
    means = np.array([list(v) for v in per_dataset.values()], dtype=float).mean(axis=0)
    assert [_number(c) for c in summary["Average, mean of the rows"]] == pytest.approx(
        list(np.round(means, decimals)), abs=1e-9
    )
    if printed is not None:
        assert len(printed) == columns
        assert [_number(c) for c in summary["Average, printed"]] == list(printed.values())


def test_table3_and_table4_on_the_page_are_paper_py():
    text = PAGE.read_text()
    _check(_section(text, "5.1"), paper.TABLE3_REAL, 4, paper.TABLE3_REAL_PRINTED_AVERAGE, 2)
    _check(_section(text, "5.2"), paper.TABLE3_SYNTHETIC, 3, paper.TABLE3_SYNTHETIC_PRINTED_AVERAGE, 2)
    _check(_section(text, "6."), paper.TABLE4, 5, paper.TABLE4_PRINTED_AVERAGE, 2)
    improve = {r[0]: r[1:] for r in _tables(_section(text, "5.1"))[1]}["Improve, printed"]
    assert [_number(c) for c in improve[1:]] == list(paper.TABLE3_REAL_PRINTED_IMPROVE.values())


def test_table1_and_table2_on_the_page_are_paper_py():
    text = PAGE.read_text()
    per_dataset, summary = _tables(_section(text, "3."))[:2]
    assert {r[0]: _number(r[1]) for r in per_dataset} == paper.TAU_TGT
    assert {r[0]: _number(r[2]) for r in per_dataset} == paper.TAU_SRC
    summary = {r[0]: (_number(r[1]), _number(r[2])) for r in summary}
    assert summary["tau_Tgt"] == (paper.TAU_SUMMARY["tau_tgt"], round(np.mean(list(paper.TAU_TGT.values())), 3))
    assert summary["tau_Src"] == (paper.TAU_SUMMARY["tau_src"], round(np.mean(list(paper.TAU_SRC.values())), 3))
    assert summary["tau (two-way)"][0] == paper.TAU_SUMMARY["tau"]
    (ablation,) = _tables(_section(text, "4."))[:1]
    assert {r[0]: _number(r[1]) for r in ablation} == paper.ABLATION_TAU


def test_partial_taus_and_generator_share_are_on_the_page():
    """The text-only numbers the code keeps appear in the page as written in paper.py."""
    text = PAGE.read_text()
    for value in paper.PARTIAL_TAU_TGT.values():
        assert f"**{value:.3f}**" in text
    for generator, share in paper.GENERATOR_SHARE.items():
        assert f"**{share:.0%}** came from {generator}" in text or f"**{share:.0%}** from {generator}" in text
    assert f"**{paper.TAU_SRC_FROM_PUBLISHED_MATRICES:.3f}**" in text


def test_a_changed_number_is_caught(tmp_path):
    """The check itself: one cell of the page changed fails the comparison."""
    body = _section(PAGE.read_text(), "5.1").replace("| OCR-VQA | 85.2 |", "| OCR-VQA | 85.3 |")
    with pytest.raises(AssertionError):
        _check(body, paper.TABLE3_REAL, 4, paper.TABLE3_REAL_PRINTED_AVERAGE, 2)
