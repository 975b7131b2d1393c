"""Command ``extract-published``: the paper's two 14x14 matrices read from its vector figures.

The paper's Figure 2 (relative improvement Delta(s->t) in %, ``figures/relative.pdf``) and
its metric heatmap (M(s->t), ``figures/metric.pdf``) are matplotlib heatmaps saved as PDF,
with every cell's value printed as text. This command reads the text with pdfplumber, not
the colours: each character's position and direction (its text matrix), grouped into strings
along their baselines, so labels printed at 45 or 90 degrees read as well as the cell values.
The cell values are the decimal numbers that line up in rows and columns (a colour bar's ticks
do not);
the row labels are the horizontal strings left of the grid, the column labels the strings
below it, matched to rows and columns in order. The printed mean row and column ("Average",
"Row Mean", "Column Mean") are checked against the cells and written beside them.

Where the PDFs are: the LaTeX source zip of the project page repository
DataProphet26/dataprophet26.github.io, file ``assets/paper/dataprophet-latex-source.zip``
(commit 8db1f6f), entries ``figures/relative.pdf`` and ``figures/metric.pdf``.
Reproduce ``data/published/`` (the CSVs and the PDFs' checksums in its README)::

    git clone https://github.com/DataProphet26/dataprophet26.github.io /tmp/dp-page
    unzip -o -j /tmp/dp-page/assets/paper/dataprophet-latex-source.zip \\
        figures/relative.pdf figures/metric.pdf -d /tmp/dp-figures
    dataprophet extract-published --relative-pdf /tmp/dp-figures/relative.pdf \\
        --metric-pdf /tmp/dp-figures/metric.pdf --out-dir data/published

Needs pdfplumber (``pip install -e ".[published]"``; ``make setup`` installs it).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dataprophet.io.atomic import write_csv
from dataprophet.settings import ExtractPublishedSettings

NUMBER = re.compile(r"^-?\d+\.\d+$")
# The labels the two figures print, to the names of the paper's Table 1.
FIGURE_LABELS = {
    "open-spatial": "Open-Spatial",
    "Finance-QA": "FinanceQA",
    "Sujet-Finance-QA": "FinanceQA",
}
MEAN_LABELS = ("Average", "Row Mean", "Column Mean")


class ExtractionError(ValueError):
    """A figure whose printed text does not form the expected labelled grid."""


@dataclass(frozen=True)
class Text:
    """One string of characters on a common baseline: its text, direction (degrees), the
    centre of its bounding box (PDF points, y downwards) and that box."""

    text: str
    angle: int
    x: float
    y: float
    box: tuple[float, float, float, float]  # x0, top, x1, bottom


def _strings(chars: list[dict]) -> list[Text]:
    """Characters grouped into strings: same direction, same baseline, no gap in between.

    A character's text matrix (a, b, c, d, e, f) gives its direction (a, b) and its origin
    (e, f); characters whose origins lie on one line along that direction, each starting
    where the previous one's advance ends, form one string (spaces included, then trimmed)."""
    groups: dict[tuple[int, float], list[tuple[float, dict]]] = {}
    for ch in chars:
        a, b, _, _, e, f = ch["matrix"]
        norm = math.hypot(a, b) or 1.0
        ux, uy = a / norm, b / norm
        angle = round(math.degrees(math.atan2(uy, ux)))
        offset = round(-uy * e + ux * f, 1)  # distance of the baseline from the origin
        along = ux * e + uy * f
        groups.setdefault((angle, offset), []).append((along, ch))
    out = []
    for (angle, _), members in groups.items():
        members.sort(key=lambda m: m[0])
        current: list[dict] = []
        end = None
        for along, ch in members:
            gap = None if end is None else along - end
            if gap is not None and gap > max(2.0, 0.3 * ch["adv"]):
                out.append(_text(current, angle))
                current = []
            current.append(ch)
            end = along + ch["adv"]
        out.append(_text(current, angle))
    return [t for t in out if t.text]


def _text(chars: list[dict], angle: int) -> Text:
    text = "".join(c["text"] for c in chars).strip()
    inked = [c for c in chars if not c["text"].isspace()] or chars  # a space's box is no ink
    x0, x1 = min(c["x0"] for c in inked), max(c["x1"] for c in inked)
    top, bottom = min(c["top"] for c in inked), max(c["bottom"] for c in inked)
    return Text(text, angle, (x0 + x1) / 2, (top + bottom) / 2, (x0, top, x1, bottom))


def _clusters(values: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Indices of ``values`` split where consecutive sorted values differ by more than
    ``tolerance``."""
    order = np.argsort(values)
    breaks = np.where(np.diff(values[order]) > tolerance)[0] + 1
    return np.split(order, breaks)


def read_figure(pdf_path: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The printed grid of one heatmap figure: a frame of the cell values (rows and columns
    as labelled in the figure, mean row and column included, NaN where nothing is printed),
    and the row and column labels in the figure's order."""
    import pdfplumber

    pdf_path = Path(pdf_path)
    if not pdf_path.exists():
        raise FileNotFoundError(f"{pdf_path}: no such PDF")
    with pdfplumber.open(pdf_path) as pdf:
        if len(pdf.pages) != 1:
            raise ExtractionError(f"{pdf_path}: {len(pdf.pages)} pages; a figure has one")
        strings = _strings(pdf.pages[0].chars)
    numbers = [s for s in strings if s.angle == 0 and NUMBER.match(s.text)]
    if len(numbers) < 4:
        raise ExtractionError(f"{pdf_path}: {len(numbers)} printed decimal numbers; not an annotated heatmap")
    size = float(np.median([s.box[3] - s.box[1] for s in numbers]))
    xs = np.array([s.x for s in numbers])
    ys = np.array([s.y for s in numbers])
    # The grid: the columns whose numbers mostly sit on rows shared with at least two other
    # columns (a colour bar's tick labels form a column of their own, on heights of their
    # own), then the rows those columns fill at least half of, then the columns with most of
    # their numbers on those rows. A cell's text is centred in its cell, so a row's numbers
    # share one height and a column's one centre, to a fraction of the text height.
    tolerance = size / 4
    row_size = np.zeros(len(numbers), dtype=int)
    for members in _clusters(ys, tolerance):
        row_size[members] = len(members)
    columns = [c for c in _clusters(xs, tolerance) if (row_size[c] >= 3).mean() > 0.5]
    if not columns:
        raise ExtractionError(f"{pdf_path}: the printed numbers form no grid of rows and columns")
    for _ in range(2):
        kept = np.concatenate(columns)
        rows = [kept[r] for r in _clusters(ys[kept], tolerance) if len(r) >= max(2, len(columns) / 2)]
        on_rows = set(np.concatenate(rows).tolist()) if rows else set()
        columns = [c for c in columns if np.mean([i in on_rows for i in c]) > 0.5]
        if not columns:
            raise ExtractionError(f"{pdf_path}: the printed numbers form no grid of rows and columns")
    kept = np.concatenate(columns)
    rows = [kept[r] for r in _clusters(ys[kept], tolerance) if len(r) >= max(2, len(columns) / 2)]
    grid = np.concatenate(rows)
    left, right = xs[grid].min(), xs[grid].max()
    top, bottom = ys[grid].min(), ys[grid].max()
    half_cell = (bottom - top) / max(1, len(rows) - 1) / 2
    row_labels = sorted(
        (
            s
            for s in strings
            if s.angle == 0 and s.box[2] < left - half_cell and top - half_cell <= s.y <= bottom + half_cell
        ),
        key=lambda s: s.y,
    )
    column_labels = sorted(
        (
            s
            for s in strings
            # a rotated label ends (45 degrees) or is centred (90 degrees) under its column
            if s.angle != 0
            and s.box[1] > bottom + half_cell / 2
            and left - half_cell <= s.box[2] <= right + 2 * half_cell
        ),
        key=lambda s: s.box[2],
    )
    if len(row_labels) != len(rows) or len(column_labels) != len(columns):
        raise ExtractionError(
            f"{pdf_path}: a grid of {len(rows)} rows x {len(columns)} columns of numbers, but "
            f"{len(row_labels)} row labels ({[s.text for s in row_labels]}) and {len(column_labels)} column "
            f"labels ({[s.text for s in column_labels]})"
        )
    row_of = {i: r for r, members in enumerate(rows) for i in members}
    column_order = sorted(range(len(columns)), key=lambda c: xs[columns[c]].mean())
    column_of = {i: rank for rank, c in enumerate(column_order) for i in columns[c]}
    values = np.full((len(rows), len(columns)), np.nan)
    for i in grid:
        r, c = row_of[i], column_of[i]
        if not np.isnan(values[r, c]):
            raise ExtractionError(f"{pdf_path}: two numbers in the cell of row {r + 1}, column {c + 1}")
        values[r, c] = float(numbers[i].text)
    row_names = [s.text for s in row_labels]
    column_names = [s.text for s in column_labels]
    return pd.DataFrame(values, index=row_names, columns=column_names), row_names, column_names


def split_means(printed: pd.DataFrame, pdf_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 14x14 cells (Table 1 names) and a table of each printed mean beside the mean of
    its cells; the figure's own row and column order is kept."""
    mean_rows = [r for r in printed.index if r in MEAN_LABELS]
    mean_columns = [c for c in printed.columns if c in MEAN_LABELS]
    cells = printed.drop(index=mean_rows, columns=mean_columns)
    if cells.isna().any().any():
        missing = [(r, c) for r in cells.index for c in cells.columns if pd.isna(cells.loc[r, c])]
        raise ExtractionError(f"{pdf_path}: no value printed in cell(s) (row, column) {missing[:5]}")
    cells = cells.rename(index=FIGURE_LABELS, columns=FIGURE_LABELS)
    if list(cells.index) != list(dict.fromkeys(cells.index)) or set(cells.index) != set(cells.columns):
        raise ExtractionError(
            f"{pdf_path}: row labels {list(cells.index)} and column labels {list(cells.columns)} "
            "are not the same datasets"
        )
    means = []
    for label in mean_rows:  # a mean row: each column's mean over the sources
        for column in cells.columns:
            original = [c for c in printed.columns if FIGURE_LABELS.get(c, c) == column][0]
            means.append(("target", column, printed.loc[label, original], cells[column].mean()))
    for label in mean_columns:  # a mean column: each row's mean over the targets
        for row in cells.index:
            original = [r for r in printed.index if FIGURE_LABELS.get(r, r) == row][0]
            means.append(("source", row, printed.loc[original, label], cells.loc[row].mean()))
    table = pd.DataFrame(means, columns=["mean_over", "name", "printed", "recomputed"])
    table["axis"] = table.pop("mean_over").map({"target": "column (a target)", "source": "row (a source)"})
    return cells, table[["axis", "name", "printed", "recomputed"]]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def extract_published(
    relative_pdf: Path, metric_pdf: Path, out_dir: Path, settings: ExtractPublishedSettings
) -> dict[str, pd.DataFrame]:
    """Write ``delta.csv`` (Delta in %, as printed) and ``metric.csv`` (M, as printed), sources
    as rows and targets as columns in each figure's order, and ``printed_means.csv`` (every
    printed mean beside the mean of the cells); refuse when a printed mean is further than
    ``settings.mean_tolerance`` (in the figure's units) from its cells' mean."""
    out_dir = Path(out_dir)
    result = {}
    means = []
    for name, path in (("delta", relative_pdf), ("metric", metric_pdf)):
        printed, _, _ = read_figure(path)
        cells, table = split_means(printed, path)
        if cells.shape != (settings.datasets, settings.datasets):
            raise ExtractionError(
                f"{path}: {cells.shape[0]} x {cells.shape[1]} cells, expected {settings.datasets} x {settings.datasets}"
            )
        table.insert(0, "matrix", name)
        worst = (table["printed"] - table["recomputed"]).abs().max() if len(table) else 0.0
        if worst > settings.mean_tolerance:
            raise ExtractionError(
                f"{path}: a printed mean is {worst:.4f} from the mean of its cells (tolerance "
                f"{settings.mean_tolerance}); the cells were misread"
            )
        cells.index.name = "source"
        result[name] = cells
        means.append(table)
        print(f"{path} (sha256 {sha256(path)}): {cells.shape[0]}x{cells.shape[1]} cells, {len(table)} printed means")
        print(f"  largest |printed mean - mean of cells|: {worst:.4f}")
    result["printed_means"] = pd.concat(means, ignore_index=True)
    write_csv(result["delta"], out_dir / "delta.csv", float_format="%.2f")
    write_csv(result["metric"], out_dir / "metric.csv", float_format="%.2f")
    write_csv(result["printed_means"], out_dir / "printed_means.csv", index=False, float_format="%.4f")
    return result
