"""The DataProphet metric's pure math and the tau report (fast, no model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dataprophet.io.matrices import MatrixError
from dataprophet.prophet.factors import (
    ABLATIONS,
    FACTORS,
    FULL_FACTORS,
    FeatureSet,
    diversity,
    expected_cosine,
    family_baseline,
    load_features,
    metric_matrix,
    normalised_entropy,
    perplexity,
    prophet_terms,
    sample_vectors,
    save_features,
)
from dataprophet.stats.kendall import bootstrap_ci, tau_report


def unit_rows(rng, n, d, shift=None):
    x = rng.normal(size=(n, d))
    if shift is not None:
        x = x + shift
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered_features(rng, n_clusters=10, per=12, d=16, spread=0.01, offset=0.0, nll_mean=1.0):
    """Features whose q, a, i rows sit in tight, far-apart clusters (one centre per cluster)."""
    centres = unit_rows(rng, n_clusters, d).astype(np.float64) * 1.0 + offset
    fields = {}
    for f in ("q", "a", "i", "qa"):
        x = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(n_clusters * per, d))
        fields[f] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    n = n_clusters * per
    return FeatureSet(**fields, nll=rng.uniform(0.5, 1.5, size=n) * nll_mean, ids=[f"x{j}" for j in range(n)])


def shuffled(fs, rng):
    p = rng.permutation(len(fs))
    return FeatureSet(q=fs.q[p], a=fs.a[p], i=fs.i[p], qa=fs.qa[p], nll=fs.nll[p], ids=fs.ids[p])


# --------------------------------------------------------------------------- factors


def test_expected_cosine_equals_pairwise_mean():
    rng = np.random.default_rng(0)
    s, t = unit_rows(rng, 37, 8, shift=0.5), unit_rows(rng, 23, 8)
    brute = (s.astype(np.float64) @ t.astype(np.float64).T).mean()
    np.testing.assert_allclose(expected_cosine(s, t), brute, rtol=1e-10, atol=1e-12)


def test_expected_cosine_dimension_mismatch():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="dimensions differ"):
        expected_cosine(unit_rows(rng, 3, 4), unit_rows(rng, 3, 5))


def test_perplexity_hand_case():
    assert perplexity(np.array([math.log(2), math.log(8)])) == pytest.approx(4.0, rel=1e-12)


def test_normalised_entropy_bounds():
    assert normalised_entropy(np.repeat(np.arange(10), 7), 10) == pytest.approx(1.0, abs=1e-12)
    assert normalised_entropy(np.zeros(50, dtype=int), 10) == 0.0
    # Empty clusters count in the denominator: 2 of 4 clusters used evenly -> log 2 / log 4.
    assert normalised_entropy(np.array([0, 1, 0, 1]), 4) == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(ValueError):
        normalised_entropy(np.array([0, 5]), 4)


def test_silhouette_high_on_separated_clusters_and_low_on_noise():
    rng = np.random.default_rng(1)
    centres = 100.0 * rng.normal(size=(10, 5))
    z = np.repeat(centres, 30, axis=0) + 0.01 * rng.normal(size=(300, 5))
    sil, ent = diversity(z, k=10, seed=0)
    assert sil > 0.99
    assert ent == pytest.approx(1.0, abs=1e-12)
    sil_noise, ent_noise = diversity(rng.uniform(size=(300, 5)), k=10, seed=0)
    assert sil_noise < 0.4
    assert 0.0 <= ent_noise <= 1.0


def test_diversity_degenerate_inputs():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="more samples than clusters"):
        diversity(rng.normal(size=(10, 3)), k=10)
    with pytest.raises(ValueError, match="identical"):
        diversity(np.ones((50, 3)), k=10)
    with pytest.raises(ValueError, match="distinct"):
        diversity(np.repeat(rng.normal(size=(3, 3)), 10, axis=0), k=10)


def test_sample_vectors_mean_of_q_a_i():
    rng = np.random.default_rng(3)
    fs = clustered_features(rng, per=2)
    np.testing.assert_allclose(sample_vectors(fs), (fs.q.astype(float) + fs.a + fs.i) / 3, rtol=1e-6)


def test_image_width_may_differ_from_text_width():
    rng = np.random.default_rng(8)
    fs = clustered_features(rng, per=3)
    wide = FeatureSet(q=fs.q, a=fs.a, i=np.hstack([fs.i, fs.i]) / np.sqrt(2), qa=fs.qa, nll=fs.nll, ids=fs.ids)
    wide.validate("ChartQA")
    z = sample_vectors(wide)
    assert z.shape == (len(fs), 16 * 4)
    np.testing.assert_allclose(z, np.hstack([fs.q, fs.a, wide.i]) / 3, rtol=1e-6)
    with pytest.raises(ValueError, match="cannot average"):
        sample_vectors(wide, how="mean")
    terms = prophet_terms({"s": wide}, {"t": wide})
    assert terms.isim.iloc[0] == pytest.approx(expected_cosine(wide.i, wide.i), rel=1e-9)
    with pytest.raises(ValueError, match="i embedding widths differ"):
        prophet_terms({"s": wide}, {"t": fs})
    bad_text = FeatureSet(q=fs.q, a=fs.a, i=fs.i, qa=np.hstack([fs.qa, fs.qa]) / np.sqrt(2), nll=fs.nll, ids=fs.ids)
    with pytest.raises(ValueError, match="OCR-VQA: qa has shape"):
        bad_text.validate("OCR-VQA")


def test_terms_invariant_to_row_order():
    rng = np.random.default_rng(4)
    sources = {"s1": clustered_features(rng), "s2": clustered_features(rng, nll_mean=2.0)}
    targets = {"t1": clustered_features(rng, per=5), "t2": clustered_features(rng, per=4)}
    base = prophet_terms(sources, targets, k=10, seed=0)
    perm = prophet_terms(
        {k: shuffled(v, rng) for k, v in sources.items()},
        {k: shuffled(v, rng) for k, v in targets.items()},
        k=10,
        seed=0,
    )
    pd.testing.assert_frame_equal(base[["source", "target"]], perm[["source", "target"]])
    exact = ["qsim", "asim", "isim", "qasim", "ppl_source", "ppl_target"]
    np.testing.assert_allclose(perm[exact].to_numpy(), base[exact].to_numpy(), rtol=1e-9, atol=1e-12)
    loose = ["silhouette", "entropy", "diversity"]
    np.testing.assert_allclose(perm[loose].to_numpy(), base[loose].to_numpy(), rtol=0, atol=1e-6)


def test_prophet_terms_layout_and_values():
    rng = np.random.default_rng(5)
    sources = {"b": clustered_features(rng), "a": clustered_features(rng)}
    targets = {"y": clustered_features(rng, per=3), "x": clustered_features(rng, per=3)}
    terms = prophet_terms(sources, targets)
    assert list(terms.columns) == [
        "source",
        "target",
        "qsim",
        "asim",
        "isim",
        "qasim",
        "ppl_source",
        "ppl_target",
        "qsim_centred",
        "asim_centred",
        "qasim_centred",
        "ppl_eot_source",
        "ppl_eot_target",
        "silhouette",
        "entropy",
        "diversity",
    ]
    assert terms.ppl_eot_source.isna().all()  # these features carry no end-of-turn NLL
    assert list(zip(terms.source, terms.target)) == [("b", "y"), ("b", "x"), ("a", "y"), ("a", "x")]
    row = terms.iloc[1]
    assert row.isim == pytest.approx(expected_cosine(sources["b"].i, targets["x"].i), rel=1e-9)
    assert row.ppl_target == pytest.approx(perplexity(targets["x"].nll), rel=1e-12)
    sil, ent = diversity(sample_vectors(sources["b"]), k=10, seed=0)
    assert (row.silhouette, row.entropy) == (sil, ent)
    np.testing.assert_allclose(terms.diversity, terms.silhouette + terms.entropy)
    # diversity is a property of the source only
    assert terms.groupby("source").diversity.nunique().eq(1).all()


# --------------------------------------------------------------------------- matrix


def hand_terms():
    return pd.DataFrame(
        {
            "source": ["s1", "s1", "s2", "s2"],
            "target": ["t1", "t2", "t1", "t2"],
            "qsim": [0.5, 0.4, 0.3, 0.2],
            "asim": [0.9, 0.8, 0.7, 0.6],
            "isim": [0.25, 0.5, 0.75, 1.0],
            "qasim": [0.1, 0.2, 0.3, 0.4],
            "ppl_source": [2.0, 2.0, 4.0, 4.0],
            "ppl_target": [5.0, 10.0, 5.0, 10.0],
            "silhouette": [0.5, 0.5, 0.25, 0.25],
            "entropy": [0.5, 0.5, 0.5, 0.5],
            "diversity": [1.0, 1.0, 0.75, 0.75],
        }
    )


def test_metric_matrix_full_hand_case():
    m = metric_matrix(hand_terms())
    expected = pd.DataFrame(
        [
            [0.5 * 0.9 * 0.25 * 2 / 5 * 1.0, 0.4 * 0.8 * 0.5 * 2 / 10 * 1.0],
            [0.3 * 0.7 * 0.75 * 4 / 5 * 0.75, 0.2 * 0.6 * 1.0 * 4 / 10 * 0.75],
        ],
        index=["s1", "s2"],
        columns=["t1", "t2"],
    )
    assert list(m.index) == ["s1", "s2"] and list(m.columns) == ["t1", "t2"]
    np.testing.assert_allclose(m.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_each_ablation_drops_exactly_its_factor():
    terms = hand_terms()
    full = metric_matrix(terms, ABLATIONS["full"])
    single = {f: metric_matrix(terms, (f,)) for f in FULL_FACTORS}
    names = {"QSim": "qsim", "ASim": "asim", "ISim": "isim", "PPL": "ppl", "diversity": "diversity"}
    for label, factor in names.items():
        kept = ABLATIONS[f"w/o {label}"]
        assert set(kept) == set(FULL_FACTORS) - {factor}
        np.testing.assert_allclose(metric_matrix(terms, kept) * single[factor], full, rtol=1e-12)
        assert ABLATIONS[f"{label} only"] == (factor,)
    assert set(ABLATIONS["PPL x similarity"]) == {"ppl", "qsim", "asim", "isim"}
    assert set(ABLATIONS["QASim (Q and A jointly)"]) == {"qasim", "isim", "ppl", "diversity"}
    assert set(ABLATIONS["centred text embeddings"]) == {"qsim_centred", "asim_centred", "isim", "ppl", "diversity"}
    assert set(ABLATIONS["PPL with end-of-turn token"]) == {"qsim", "asim", "isim", "ppl_eot", "diversity"}
    assert set(FACTORS) >= {f for factors in ABLATIONS.values() for f in factors}
    np.testing.assert_allclose(single["ppl"].to_numpy(), [[0.4, 0.2], [0.8, 0.4]])


def test_metric_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown factor"):
        metric_matrix(hand_terms(), ("qsim", "psim"))
    with pytest.raises(ValueError, match="missing"):
        metric_matrix(hand_terms().iloc[:3])


def test_family_baseline_hand_case():
    families = {"a": "ocr", "b": "ocr", "c": "chart"}
    out = family_baseline(families, ["a", "c"], ["b", "c", "a"])
    assert out.to_numpy().tolist() == [[1, 0, 1], [0, 1, 0]]
    assert list(out.index) == ["a", "c"] and list(out.columns) == ["b", "c", "a"]
    with pytest.raises(ValueError, match="'d'"):
        family_baseline(families, ["a", "d"], ["b"])


# --------------------------------------------------------------------------- tau


def random_matrix(seed, n=5, labels=None):
    labels = labels or [f"d{j}" for j in range(n)]
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(len(labels), len(labels))), index=labels, columns=labels)


def test_tau_report_identical_matrices_give_one():
    truth = random_matrix(0)
    per_item, summary = tau_report(truth, truth.copy())
    np.testing.assert_allclose(per_item.tau, 1.0, atol=1e-12)
    assert set(per_item.axis) == {"target", "source"} and len(per_item) == 10
    for key in ("tau", "tau_tgt", "tau_src", "tau_tgt_low", "tau_src_high"):
        assert summary[key] == pytest.approx(1.0, abs=1e-12)
    assert summary["tau_tgt_nan"] == 0 and summary["tau_tgt_n"] == 5


def test_tau_report_exclude_diagonal_needs_square_labels():
    truth = pd.DataFrame(np.arange(6.0).reshape(2, 3), index=["a", "b"], columns=["a", "b", "c"])
    with pytest.raises(MatrixError, match="diagonal"):
        tau_report(truth, truth.copy(), exclude_diagonal=True)
    renamed = pd.DataFrame(np.arange(4.0).reshape(2, 2), index=["a", "b"], columns=["a", "c"])
    with pytest.raises(MatrixError, match="identical"):
        tau_report(renamed, renamed.copy(), exclude_diagonal=True)
    square = random_matrix(1)
    per_item, summary = tau_report(square, square.copy(), exclude_diagonal=True)
    assert summary["tau"] == pytest.approx(1.0, abs=1e-12)


def test_bootstrap_ci_contains_mean_and_is_deterministic():
    values = pd.Series(np.random.default_rng(2).uniform(0.3, 0.9, size=14))
    low, high = bootstrap_ci(values, seed=7)
    assert low <= values.mean() <= high and low < high
    assert bootstrap_ci(values, seed=7) == (low, high)
    assert bootstrap_ci(values, seed=8) != (low, high)
    # Width matches the normal approximation 2 * 1.96 * sd / sqrt(n) to within 25%.
    normal = 2 * 1.96 * values.std(ddof=0) / math.sqrt(len(values))
    assert 0.75 * normal < high - low < 1.25 * normal
    low50, high50 = bootstrap_ci(values, level=0.5, seed=7)
    assert low < low50 < high50 < high


def test_tau_report_counts_nan_taus():
    truth = random_matrix(3)
    scores = random_matrix(4)
    scores["d2"] = 1.0  # constant ranking of sources for target d2 -> NaN tau
    per_item, summary = tau_report(truth, scores)
    tgt = per_item[per_item.axis == "target"].set_index("name").tau
    assert np.isnan(tgt["d2"]) and len(tgt) == 5
    assert summary["tau_tgt_nan"] == 1 and summary["tau_tgt_n"] == 4
    assert summary["tau_tgt"] == pytest.approx(tgt.drop("d2").mean())
    assert np.isfinite(summary["tau_tgt_low"]) and np.isfinite(summary["tau"])


# --------------------------------------------------------------------------- FeatureSet


def test_validate_catches_non_unit_rows_and_shape_mismatch():
    rng = np.random.default_rng(6)
    fs = clustered_features(rng, per=2)
    fs.validate("ok")
    bad_norm = FeatureSet(q=fs.q, a=fs.a * 1.01, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids)
    with pytest.raises(ValueError, match=r"ChartQA.*\ba\b.*unit-norm"):
        bad_norm.validate("ChartQA")
    bad_shape = FeatureSet(q=fs.q, a=fs.a, i=fs.i[:-1], qa=fs.qa, nll=fs.nll, ids=fs.ids)
    with pytest.raises(ValueError, match=r"DocVQA: i has shape"):
        bad_shape.validate("DocVQA")
    bad_nll = FeatureSet(q=fs.q, a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll[:-1], ids=fs.ids)
    with pytest.raises(ValueError, match=r"TallyQA: nll"):
        bad_nll.validate("TallyQA")
    nan = fs.q.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"MapQA: q has non-finite"):
        FeatureSet(q=nan, a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids).validate("MapQA")


def test_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(7)
    fs = clustered_features(rng, per=2)
    path = tmp_path / "sub" / "ChartQA.test.npz"
    save_features(fs, path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    back = load_features(path)
    for f in ("q", "a", "i", "qa", "nll", "ids"):
        np.testing.assert_array_equal(getattr(back, f), getattr(fs, f))


def test_exclude_diagonal_ignores_diagonal_cells():
    truth = random_matrix(5)
    scores = truth.copy()
    for j, label in enumerate(scores.index):
        scores.loc[label, label] = -100.0 - j  # diagonal ranked last everywhere, in scrambled order
    _, kept = tau_report(truth, scores)
    _, dropped = tau_report(truth, scores, exclude_diagonal=True)
    assert kept["tau"] < 0.9
    assert dropped["tau"] == pytest.approx(1.0, abs=1e-12)


def test_centred_similarity_removes_the_shared_direction_by_hand():
    """Two datasets whose text rows are a shared direction plus +-e2: raw cosines near 1,
    centred cosines exactly -1 (each dataset's centred rows point along its own +-e2)."""
    shared, e2 = np.eye(3)[0], np.eye(3)[1]

    def features(sign):
        rows = np.tile(3 * shared + sign * e2, (12, 1))
        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        rng = np.random.default_rng(0)  # distinct image rows, so k-means has clusters to find
        i = rng.normal(size=(12, 3))
        i /= np.linalg.norm(i, axis=1, keepdims=True)
        return FeatureSet(
            q=rows, a=rows, qa=rows, i=i, nll=np.full(12, 1.0), ids=np.arange(12), nll_eot=np.full(12, 2.0)
        )

    up, down = features(+1), features(-1)
    terms = prophet_terms({"u": up, "d": down}, {"u": up, "d": down}, k=2)
    pair = terms.set_index(["source", "target"])
    assert pair.loc[("u", "d"), "qsim"] == pytest.approx(0.8, abs=1e-9)  # (9 - 1) / 10
    assert pair.loc[("u", "d"), "qsim_centred"] == pytest.approx(-1.0, abs=1e-9)
    assert pair.loc[("u", "u"), "asim_centred"] == pytest.approx(1.0, abs=1e-9)
    assert pair.loc[("u", "d"), "ppl_eot_source"] == pytest.approx(np.exp(2.0))
    full = metric_matrix(terms, ABLATIONS["PPL with end-of-turn token"])
    assert full.shape == (2, 2)


def test_feature_file_round_trip_keeps_the_optional_end_of_turn_nll(tmp_path):
    rng = np.random.default_rng(1)
    fs = clustered_features(rng)
    with_eot = FeatureSet(q=fs.q, a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids, nll_eot=fs.nll + 0.1)
    save_features(with_eot, tmp_path / "x.npz")
    save_features(fs, tmp_path / "old.npz")
    np.testing.assert_allclose(load_features(tmp_path / "x.npz").nll_eot, fs.nll + 0.1)
    assert load_features(tmp_path / "old.npz").nll_eot is None
    bad = FeatureSet(q=fs.q, a=fs.a, i=fs.i, qa=fs.qa, nll=fs.nll, ids=fs.ids, nll_eot=-fs.nll - 1)
    with pytest.raises(ValueError, match="nll_eot has negative values"):
        bad.validate("X")
