"""geoplan.measures.equity: quantiles, worst-off share, Gini, Theil, breakdowns, deprivation.

Cross-checked against PySAL ``inequality`` (unweighted Gini/Theil/TheilD; integer
weights by repeating values) and brute-force formulas on expanded populations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from geoplan.i18n import LABELS, t
from geoplan.measures import equity as eq


def expand(values, weights):
    """The list of persons: each value repeated weight times (integer weights)."""
    return np.repeat(np.asarray(values, float), np.asarray(weights, int))


def brute_gini(x):
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


@pytest.fixture
def rng():
    return np.random.default_rng(20251202)


# ----------------------------------------------------------------------------- quantiles
def test_weighted_quantile_matches_expanded_population(rng):
    for _ in range(50):
        n = int(rng.integers(1, 12))
        v = rng.integers(0, 30, n).astype(float)
        w = rng.integers(0, 6, n)
        if w.sum() == 0:
            continue
        people = np.sort(expand(v, w))
        for q in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
            # inverted CDF: the smallest value whose cumulative count reaches q * N
            k = max(int(np.ceil(q * len(people))), 1)
            assert eq.weighted_quantile(v, w, q) == people[k - 1]


def test_quantile_hand_instance_and_inf():
    v = [1.0, 5.0, np.inf, 3.0]
    w = [1.0, 2.0, 3.0, 4.0]  # sorted: 1 (0.1), 3 (0.5), 5 (0.7), inf (1.0)
    assert eq.weighted_quantiles(v, w, [0.1, 0.5, 0.7, 0.75]).tolist() == [1.0, 3.0, 5.0, np.inf]
    assert np.isnan(eq.weighted_quantile([1.0], [0.0], 0.5))


def test_percentile_ratio_zero_and_inf():
    assert eq.percentile_ratio([10.0, 20.0, 40.0], [1, 8, 1]) == 2.0  # F(20) = 0.9 reaches P90
    assert eq.percentile_ratio([10.0, 20.0, 40.0], [1, 7, 2]) == 4.0
    assert eq.percentile_ratio([0.0, 5.0], [1, 9]) == np.inf  # P10 = 0 (F(0) = 0.1), P90 = 5
    assert np.isnan(eq.percentile_ratio([0.0, 0.0], [1, 1]))
    assert eq.percentile_ratio([1.0, np.inf], [8, 2]) == np.inf


# ----------------------------------------------------------------------------- Gini, Theil
def test_gini_hand_values():
    assert eq.gini([1.0, 1.0, 1.0]) == 0.0
    # one of n has everything: 1 - 1/n
    assert eq.gini([0.0, 0.0, 0.0, 4.0]) == pytest.approx(0.75)
    # (1, 3): mean 2, mean abs difference over all 4 ordered pairs = 1 -> G = 1 / (2 * 2) = 0.25
    assert eq.gini([1.0, 3.0]) == pytest.approx(0.25)
    assert eq.gini([1.0, 3.0], [2.0, 2.0]) == pytest.approx(0.25)  # scale-free in weights


def test_gini_matches_pysal_and_brute_force(rng):
    for _ in range(40):
        n = int(rng.integers(2, 15))
        v = rng.gamma(2.0, 10.0, n).round(1)
        w = rng.integers(1, 5, n)
        people = expand(v, w)
        g = eq.gini(v, w)
        assert g == pytest.approx(Gini(people).g, abs=1e-12)
        assert g == pytest.approx(brute_gini(people), abs=1e-12)
        # unweighted equals PySAL directly
        assert eq.gini(v) == pytest.approx(Gini(v).g, abs=1e-12)


def test_theil_matches_pysal(rng):
    for _ in range(40):
        n = int(rng.integers(2, 15))
        v = rng.gamma(2.0, 10.0, n).round(1) + 0.1
        w = rng.integers(1, 5, n)
        people = expand(v, w)
        assert eq.theil(v, w) == pytest.approx(float(Theil(people).T), abs=1e-10)
    assert eq.theil([2.0, 2.0, 2.0]) == 0.0
    # one of n has everything: ln n
    assert eq.theil([0.0, 0.0, 0.0, 4.0]) == pytest.approx(np.log(4))


def test_theil_decomposition_matches_pysal(rng):
    for _ in range(20):
        n = int(rng.integers(4, 20))
        v = rng.gamma(2.0, 10.0, n) + 0.1
        w = rng.integers(1, 4, n)
        g = rng.choice(np.array(["urban", "rural", "island"]), n)
        d = eq.theil_decomposition(v, w, g)
        ref = TheilD(expand(v, w), np.repeat(g, w))
        assert d.total == pytest.approx(float(np.ravel(ref.T)[0]), abs=1e-10)
        assert d.between == pytest.approx(float(np.ravel(ref.bg)[0]), abs=1e-10)
        assert d.within == pytest.approx(float(np.ravel(ref.wg)[0]), abs=1e-10)
        assert d.between + d.within == pytest.approx(d.total, abs=1e-12)
        assert d.by_group["within_contribution"].sum() == pytest.approx(d.within, abs=1e-12)


def test_equal_values_give_zero_inequality(rng):
    w = rng.integers(1, 100, 30).astype(float)
    v = np.full(30, 17.5)
    assert eq.gini(v, w) == pytest.approx(0.0, abs=1e-12)
    assert eq.theil(v, w) == pytest.approx(0.0, abs=1e-12)
    assert eq.percentile_ratio(v, w) == 1.0
    d = eq.theil_decomposition(v, w, np.arange(30) % 3)
    assert d.between == pytest.approx(0.0, abs=1e-12) and d.within == pytest.approx(0.0, abs=1e-12)


def test_gini_theil_refuse_unreachable_and_negative():
    with pytest.raises(ValueError, match="reachable population"):
        eq.gini([1.0, np.inf], [1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        eq.theil([1.0, -1.0], [1, 1])


# ----------------------------------------------------------------------------- worst off
def brute_worst_mean(values, weights, share, worse):
    people = expand(values, weights)
    people = np.sort(people)[::-1] if worse == "higher" else np.sort(people)
    k = share * len(people)
    whole = int(np.floor(k))
    total = people[:whole].sum() + (k - whole) * (people[whole] if whole < len(people) else 0.0)
    return total / k


def test_worst_off_matches_brute_force(rng):
    for worse in ("higher", "lower"):
        for _ in range(40):
            n = int(rng.integers(1, 15))
            v = rng.integers(0, 60, n).astype(float)
            w = rng.integers(1, 8, n)
            for share in (0.1, 0.25, 0.5, 1.0):
                wo = eq.worst_off(v, w, share=share, worse=worse)
                assert wo.mean == pytest.approx(brute_worst_mean(v, w, share, worse), rel=1e-12)
                assert wo.members["population"].sum() == pytest.approx(share * w.sum())
                assert (wo.members["population"] <= wo.members["cell_population"] + 1e-12).all()


def test_worst_off_hand_instance_and_members():
    v = [10.0, 50.0, 30.0, 20.0]
    w = [50.0, 5.0, 10.0, 35.0]  # 100 people; worst 10 = 5 at 50 min + 5 of the 30-min cell
    wo = eq.worst_off(v, w, labels=["a", "b", "c", "d"], groups=["k1", "k2", "k1", "k2"])
    assert wo.mean == pytest.approx(40.0)
    assert wo.population == pytest.approx(10.0)
    assert wo.members["label"].tolist() == ["b", "c"]
    assert wo.members["population"].tolist() == pytest.approx([5.0, 5.0])
    assert wo.threshold == 30.0
    bg = wo.by_group.set_index("group")
    assert bg.loc["k1", "share_of_group"] == pytest.approx(5.0 / 60.0)
    assert bg["share_of_worst"].sum() == pytest.approx(1.0)


def test_unreachable_never_improves_the_worst_off(rng):
    for worse in ("higher", "lower"):
        for _ in range(40):
            n = int(rng.integers(2, 20))
            v = rng.gamma(2.0, 10.0, n)
            w = rng.uniform(0.5, 50.0, n)
            before = eq.worst_off(v, w, worse=worse).mean
            unreachable = np.inf if worse == "higher" else 0.0
            added = eq.worst_off(np.append(v, unreachable), np.append(w, rng.uniform(0.1, 5.0)),
                                 worse=worse).mean
            if worse == "higher":
                assert added == np.inf and added >= before
            else:
                assert added <= before + 1e-12


def test_worst_off_reports_unreachable_beside_mean():
    wo = eq.worst_off([np.inf, 40.0, 10.0], [2.0, 8.0, 90.0])
    assert wo.mean == np.inf
    assert wo.unreachable_population == pytest.approx(2.0)
    assert wo.mean_reachable == pytest.approx(40.0)


def test_direction_is_respected():
    v = [1.0, 2.0, 3.0, 4.0]
    w = [10.0, 10.0, 10.0, 10.0]
    assert eq.worst_off(v, w, share=0.25, worse="higher").mean == 4.0
    assert eq.worst_off(v, w, share=0.25, worse="lower").mean == 1.0
    assert eq.worst_places(v, w, n=1, worse="higher")["value"].item() == 4.0
    assert eq.worst_places(v, w, n=1, worse="lower")["value"].item() == 1.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        eq.worst_off([1.0, np.nan], [1, 1])
    with pytest.raises(ValueError, match="score of an unreachable cell is 0"):
        eq.worst_off([1.0, np.inf], [1, 1], worse="lower")
    with pytest.raises(ValueError, match="differ in length"):
        eq.worst_off([1.0], [1, 1])
    with pytest.raises(ValueError, match="worse must be"):
        eq.worst_off([1.0], [1], worse="up")  # type: ignore[arg-type]


def test_worst_places_cells_and_groups():
    v = np.array([5.0, 50.0, np.inf, 20.0, 45.0])
    w = np.array([100.0, 10.0, 0.2, 30.0, 40.0])
    cells = eq.worst_places(v, w, n=3, labels=list("abcde"))
    assert cells["place"].tolist() == ["c", "b", "e"]
    assert cells["rank"].tolist() == [1, 2, 3]
    big = eq.worst_places(v, w, n=3, labels=list("abcde"), min_population=1.0)
    assert big["place"].tolist() == ["b", "e", "d"]
    groups = eq.worst_places(v, w, groups=["x", "y", "y", "x", "z"])
    assert groups["place"].tolist() == ["y", "z", "x"]
    y = groups.set_index("place").loc["y"]
    assert y["value"] == np.inf and y["mean_reachable"] == pytest.approx(50.0)
    assert y["unreachable_population"] == pytest.approx(0.2)
    assert groups.set_index("place").loc["x", "value"] == pytest.approx((500 + 600) / 130)


# ----------------------------------------------------------------------------- tables
def test_breakdown_rows_agree_with_direct_computation(rng):
    v = rng.gamma(2.0, 10.0, 40)
    w = rng.uniform(1, 100, 40)
    c = rng.choice(np.array(["urban", "periurban", "rural"]), 40)
    b = eq.breakdown(v, w, c).set_index("category")
    assert list(b.index) == ["periurban", "rural", "urban", "all"]
    sel = c == "rural"
    assert b.loc["rural", "gini"] == pytest.approx(eq.gini(v[sel], w[sel]))
    assert b.loc["rural", "p90"] == eq.weighted_quantile(v[sel], w[sel], 0.9)
    assert b.loc["all", "population"] == pytest.approx(w.sum())
    assert b.loc[["periurban", "rural", "urban"], "population_share"].sum() == pytest.approx(1.0)


def test_equity_table_is_tidy_and_consistent(rng):
    n = 60
    v = rng.gamma(2.0, 10.0, n)
    v[3] = np.inf
    w = rng.uniform(1, 100, n)
    w65 = w * rng.uniform(0.1, 0.4, n)
    settle = rng.choice(np.array(["urban", "rural"]), n)
    tab = eq.equity_table(v, w, measure="acute_minutes", breakdowns={"settlement": settle},
                          weights_65=w65)
    assert list(tab.columns) == ["measure", "indicator", "group", "value", "population"]
    assert set(tab["group"]) == {"all", "age=65+", "settlement=rural", "settlement=urban", "settlement"}
    get = tab.set_index(["group", "indicator"])["value"]
    fin = np.isfinite(v)
    assert get[("all", "unreachable_population")] == pytest.approx(w[3])
    assert get[("all", "gini")] == pytest.approx(eq.gini(v[fin], w[fin]))
    assert get[("all", "mean_reachable")] == pytest.approx(np.average(v[fin], weights=w[fin]))
    assert get[("age=65+", "p50")] == eq.weighted_quantile(v, w65, 0.5)
    assert get[("settlement", "theil_between")] + get[("settlement", "theil_within")] == pytest.approx(
        get[("all", "theil")])
    # deterministic: same input, same table
    again = eq.equity_table(v, w, measure="acute_minutes", breakdowns={"settlement": settle},
                            weights_65=w65)
    pd.testing.assert_frame_equal(tab, again)


def test_access_vs_deprivation_rank_correlation():
    # 5 municipalities, minutes rising with deprivation -> rho = +1 (worse access where more deprived)
    kode = np.repeat(["0701", "0702", "0703", "0704", "0705"], 2)
    minutes = np.repeat([10.0, 20.0, 30.0, 40.0, 50.0], 2)
    w = np.ones(10)
    dep = pd.DataFrame({"kode": ["0701", "0702", "0703", "0704", "0705"],
                        "no_car_share": [0.1, 0.2, 0.3, 0.4, 0.5],
                        "deprivation_index": [1.0, 0.5, 0.0, -0.5, -1.0]})
    table, corr = eq.access_vs_deprivation(minutes, w, kode, dep)
    c = corr.set_index("indicator")
    assert c.loc["no_car_share", "spearman_rho"] == pytest.approx(1.0)
    assert c.loc["deprivation_index", "spearman_rho"] == pytest.approx(-1.0)
    assert table["rank_worst_access"].tolist() == [5, 4, 3, 2, 1]
    # access scores (lower is worse): the same ordering of badness from reversed scores
    _, corr2 = eq.access_vs_deprivation(1.0 / minutes, w, kode, dep, worse="lower")
    assert corr2.set_index("indicator").loc["no_car_share", "spearman_rho"] == pytest.approx(1.0)
    # an unreachable municipality ranks as the worst
    minutes2 = minutes.copy()
    minutes2[0] = np.inf
    table3, _ = eq.access_vs_deprivation(minutes2, w, kode, dep)
    assert table3.set_index("kode").loc["0701", "rank_worst_access"] == 1
    with pytest.raises(ValueError, match="lacks municipalities"):
        eq.access_vs_deprivation(minutes, w, kode, dep.iloc[:3])


def test_equity_report_from_cells(rng):
    n = 200
    cells = pd.DataFrame({
        "cell_id": [f"1km_{6200 + i // 20}_{500 + i % 20}" for i in range(n)],
        "kode": rng.choice(np.array(["0751", "0741", "0706"]), n),
        "pop": rng.uniform(1, 500, n),
        "settlement": rng.choice(np.array(["urban", "periurban", "rural"]), n),
        "island": rng.random(n) < 0.05,
    })
    cells["pop65"] = cells["pop"] * 0.2
    cells["navn"] = cells["kode"].map({"0751": "Aarhus", "0741": "Samsø", "0706": "Syddjurs"})
    minutes = rng.gamma(3.0, 8.0, n)
    dep = pd.DataFrame({"kode": ["0706", "0741", "0751"], "no_car_share": [0.17, 0.26, 0.42]})
    rep = eq.EquityReport.from_cells(cells, minutes, measure="acute_minutes", deprivation=dep)
    assert rep.worse == "higher" and rep.unit == "min"
    assert len(rep.worst_cells) == 20
    assert rep.worst_cells["value"].is_monotonic_decreasing
    assert rep.worst_cells["place"].iloc[0] == cells["cell_id"].iloc[int(np.argmax(minutes))]
    assert set(rep.breakdowns) == {"settlement", "island", "kode", "age"}
    assert set(rep.theil) == {"settlement", "island", "kode"}
    assert rep.deprivation is not None and len(rep.deprivation) == 3
    assert "no_car_share" in rep.deprivation.columns
    assert rep.worst_municipalities["navn"].notna().all()
    assert rep.worst_municipalities["no_car_share"].notna().all()  # beside every drive-time figure
    assert rep.correlations is not None and rep.correlations["indicator"].tolist() == ["no_car_share"]
    with pytest.raises(ValueError, match="unknown measure"):
        eq.EquityReport.from_cells(cells, minutes, measure="something")
    with pytest.raises(ValueError, match="breakdown columns"):
        eq.EquityReport.from_cells(cells, minutes, measure="acute_minutes", breakdown_columns=["urban_rural"])


def test_labels_exist_in_both_languages():
    keys = [f"equity.indicator.{i}" for i in (*eq.INDICATORS, "theil_between", "theil_within",
                                               "theil_between_share")]
    keys += [key for _, _, key in eq.KNOWN_MEASURES.values()]
    for key in keys:
        assert set(LABELS[key]) == {"da", "en"}
        assert t(key, "da") and t(key, "en")


def test_indicator_orderings_hold(rng):
    for worse in ("higher", "lower"):
        for _ in range(30):
            n = int(rng.integers(3, 40))
            v = rng.gamma(2.0, 10.0, n)
            w = rng.uniform(0.1, 100.0, n)
            s = eq.breakdown(v, w, np.zeros(n), worse=worse, total_label=None).iloc[0]
            assert s["p10"] <= s["p50"] <= s["p90"]
            assert 0.0 <= s["gini"] < 1.0 and 0.0 <= s["theil"] <= np.log(w.sum() / w.min()) + 1e-9
            if worse == "higher":
                assert s["worst_decile_mean"] >= s["p90"] - 1e-9  # the worst 10 % lie at or above P90
            else:
                assert s["worst_decile_mean"] <= s["p10"] + 1e-9


def test_zero_scores_are_the_unreachable_of_an_access_score():
    v = np.array([0.0, 0.002, 0.004, 0.001])
    w = np.array([10.0, 40.0, 40.0, 10.0])
    s = eq.breakdown(v, w, np.zeros(4), worse="lower", total_label=None).iloc[0]
    assert s["unreachable_population"] == 10.0
    assert s["mean_reachable"] == pytest.approx((0.08 + 0.16 + 0.01) / 90)
    assert s["worst_decile_mean"] == 0.0  # the worst 10 % are the 10 people without access
    assert s["gini"] == pytest.approx(eq.gini(v, w))  # zeros are real scores for Gini
    g = eq.worst_places(v, w, groups=["a", "a", "b", "b"], worse="lower").set_index("place")
    assert g.loc["a", "value"] == pytest.approx(0.08 / 50)  # mean over everyone, zeros included
    assert g.loc["a", "unreachable_population"] == 10.0
    assert eq.worst_off(v, w, worse="lower").unreachable_population == pytest.approx(10.0)
