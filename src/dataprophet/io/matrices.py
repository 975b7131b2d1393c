"""Reading a source-by-target matrix (sources as rows, targets as columns) from a CSV file,
checked, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


class MatrixError(ValueError):
    """Two matrices that cannot be compared; the message says which labels or cells."""


def read_matrix(path: str | Path) -> pd.DataFrame:
    """A sources x targets CSV (labels in the first column and the header), checked: a comma
    separator, numeric cells and unique labels; errors name the file, and the separator
    found or the duplicated label as written in the file."""
    import csv

    if not Path(path).exists():
        raise FileNotFoundError(f"matrix file {path} does not exist")
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise MatrixError(f"{path}: the file is empty; expected a CSV with target names in the header row")
    header = next(csv.reader([lines[0]]))
    if len(header) < 2:
        try:
            found = csv.Sniffer().sniff(lines[0], delimiters=";\t|: ").delimiter
        except csv.Error:
            found = None
        what = f"its separator is {found!r}" if found else "its header has one column"
        raise MatrixError(
            f"{path}: {what}, not a comma; write the matrix comma-separated (sources as rows, targets as columns)"
        )
    for labels, axis in ((header[1:], "column"), ([next(csv.reader([line]))[0] for line in lines[1:]], "row")):
        seen = set()
        for label in labels:
            if label in seen:
                raise MatrixError(f"{path}: the {axis} label {label!r} appears twice")
            seen.add(label)
    frame = pd.read_csv(path, index_col=0)
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise MatrixError(f"{path}: non-numeric column(s) {non_numeric}")
    return frame
