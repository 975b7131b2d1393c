"""Numbers the paper reports (Qi et al., ICLR 2026), for side-by-side comparison tables.

Facts only, restated from the paper's tables (docs/method.md lists where each comes from);
the reproduction never reads them to compute anything.
"""

from __future__ import annotations

TAU_SUMMARY = {"tau_tgt": 0.863, "tau_src": 0.857, "tau": 0.860}

TAU_TGT = {
    "OCR-VQA": 0.912,
    "ScreenQA": 0.869,
    "ChartQA": 0.911,
    "Chart2Text": 0.869,
    "Open-Spatial": 0.736,
    "CLEVR-Relation": 0.824,
    "CLEVR-Counting": 0.846,
    "TallyQA": 0.822,
    "A-OKVQA": 0.868,
    "VC-GVQA": 0.842,
    "DocVQA": 0.890,
    "FinanceQA": 0.890,
    "GeomVerse": 0.911,
    "MapQA": 0.933,
}

TAU_SRC = {
    "OCR-VQA": 0.846,
    "ScreenQA": 0.911,
    "ChartQA": 0.869,
    "Chart2Text": 0.822,
    "Open-Spatial": 0.822,
    "CLEVR-Relation": 0.846,
    "CLEVR-Counting": 0.869,
    "TallyQA": 0.846,
    "A-OKVQA": 0.846,
    "VC-GVQA": 0.822,
    "DocVQA": 0.869,
    "FinanceQA": 0.911,
    "GeomVerse": 0.846,
    "MapQA": 0.869,
}

# Two-way tau with one factor removed (the paper's ablation table).
ABLATION_TAU = {
    "full": 0.860,
    "w/o ASim": 0.810,
    "w/o QSim": 0.778,
    "w/o diversity": 0.659,
    "w/o ISim": 0.625,
    "w/o PPL": 0.487,
}

# tau_Tgt of partial metrics quoted in the text.
PARTIAL_TAU_TGT = {"PPL only": 0.274, "PPL x similarity": 0.658}
