"""geoplan.access: 2SFCA, E2SFCA and gravity against PySAL ``access``, brute force and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geoplan.access import (
    EnhancedTwoStageFCA,
    GaussianDecay,
    GravityAccess,
    PowerDecay,
    StepDecay,
    TwoStageFCA,
    enhanced_two_stage_fca,
    gravity_access,
    normalized_access,
    parse_step_weights,
    two_stage_fca,
)
from geoplan.errors import InputError
from geoplan.routing import TravelTimeMatrix

access = pytest.importorskip("access", reason="PySAL access is the reference (test extra)")
from access import Access, weights  # noqa: E402

RTOL = 1e-9


# ---------------------------------------------------------------- instances
def random_problem(seed: int):
    """Cost matrix (inf = unreachable), demand, capacity; with the edge cases PySAL must agree on."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 70)), int(rng.integers(1, 18))
    if seed % 2:
        c = rng.integers(0, 61, size=(n, m)).astype(float)     # integer minutes: ties at T and band edges
    else:
        c = rng.uniform(0, 60, size=(n, m))
        c[rng.random((n, m)) < 0.1] = 30.0                      # exact ties at the threshold
        c[rng.random((n, m)) < 0.05] = 10.0
    c[rng.random((n, m)) < rng.uniform(0, 0.6)] = np.inf      # unreachable pairs
    if n > 3:
        c[rng.integers(0, n), :] = np.inf                        # a demand point that reaches nothing
    if m > 2:
        c[:, rng.integers(0, m)] = rng.uniform(31, 60)         # a site with no demand in reach (T = 30)
    pop = rng.integers(1, 1000, size=n).astype(float)
    pop[rng.random(n) < 0.25] = 0.0                              # zero demand
    if n > 2 and seed % 5 == 0:
        pop[: n // 2] = 0.0
    cap = rng.integers(0, 6, size=m).astype(float)
    d_ids = [f"d{i:03d}" for i in range(n)]
    s_ids = [f"s{j:03d}" for j in range(m)]
    return c, pd.Series(pop, index=d_ids), pd.Series(cap, index=s_ids)


def long_frame(c, d_ids, s_ids):
    r, k = np.nonzero(np.isfinite(c))
    return pd.DataFrame({"origin": np.asarray(d_ids)[r], "dest": np.asarray(s_ids)[k], "cost": c[r, k]})


def pysal(c, pop, cap, *, kind, max_cost, weight_fn=None, normalize=False):
    """The reference value per demand id, in ``pop``'s order."""
    dem = pd.DataFrame({"geoid": pop.index, "pop": pop.to_numpy()})
    sup = pd.DataFrame({"geoid": cap.index, "doc": cap.to_numpy()})
    A = Access(demand_df=dem, demand_index="geoid", demand_value="pop", supply_df=sup, supply_index="geoid",
               supply_value="doc", cost_df=long_frame(c, pop.index, cap.index), cost_origin="origin",
               cost_dest="dest", cost_name="cost")
    if kind == "2sfca":
        out = A.two_stage_fca(name="x", max_cost=max_cost, normalize=normalize)
    elif kind == "e2sfca":
        out = A.enhanced_two_stage_fca(name="x", max_cost=max_cost, weight_fn=weight_fn, normalize=normalize)
    else:
        out = A.weighted_catchment(name="x", max_cost=max_cost, weight_fn=weight_fn, normalize=normalize)
    return out["x_doc"].reindex(pop.index).to_numpy(dtype=float)


def check(ours, ref):
    ours = np.asarray(ours, dtype=float)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), "NaN pattern differs from PySAL"
    assert np.array_equal(np.isinf(ours), np.isinf(ref)), "inf pattern differs from PySAL"
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)


# ------------------------------------------------------------- PySAL parity
@pytest.mark.parametrize("seed", range(30))
def test_2sfca_and_e2sfca_match_pysal_on_generated_instances(seed):
    c, pop, cap = random_problem(seed)
    frame = long_frame(c, pop.index, cap.index)
    m = TwoStageFCA.from_cost_matrix(frame, demand=pop, supply=cap, max_minutes=30.0).solve()
    check(m.access["access"], pysal(c, pop, cap, kind="2sfca", max_cost=30.0))
    ours = enhanced_two_stage_fca(frame, demand=pop, supply=cap, max_minutes=30.0)
    check(ours, pysal(c, pop, cap, kind="e2sfca", max_cost=30.0))


@pytest.mark.parametrize("seed", range(30, 40))
def test_all_variants_match_pysal_on_generated_instances(seed):
    c, pop, cap = random_problem(seed)
    frame = long_frame(c, pop.index, cap.index)
    T = 30.0
    m = TwoStageFCA.from_cost_matrix(frame, demand=pop, supply=cap, max_minutes=T).solve()
    check(m.access["access_norm"], pysal(c, pop, cap, kind="2sfca", max_cost=T, normalize=True))
    # E2SFCA, Luo & Qi steps (PySAL's default weight_fn) with no cutoff and a cutoff inside the last band
    for cutoff in (None, 25.0):
        ours = enhanced_two_stage_fca(frame, demand=pop, supply=cap, max_minutes=cutoff)
        check(ours, pysal(c, pop, cap, kind="e2sfca", max_cost=cutoff))
    # E2SFCA, other steps and Gaussian
    steps = [(5, 1.0), (15, 0.6), (40, 0.1)]
    ours = enhanced_two_stage_fca(frame, demand=pop, supply=cap, max_minutes=T, weights=steps, normalize=True)
    check(ours, pysal(c, pop, cap, kind="e2sfca", max_cost=T, weight_fn=weights.step_fn(dict(steps)),
                      normalize=True))
    ours = enhanced_two_stage_fca(frame, demand=pop, supply=cap, max_minutes=T, gaussian_width=12.0)
    check(ours, pysal(c, pop, cap, kind="e2sfca", max_cost=T, weight_fn=weights.gaussian(12.0)))
    # gravity with competition = PySAL 2SFCA with a gravity weight; potential = weighted_catchment
    for beta, floor, cutoff in ((1.0, 1.0, None), (1.7, 2.5, T), (0.5, 0.0, 45.0)):
        g = weights.gravity(scale=1, alpha=-beta, min_dist=floor)
        ours = gravity_access(frame, demand=pop, supply=cap, beta=beta, min_minutes=floor, max_minutes=cutoff)
        check(ours, _pysal_2sfca_weighted(c, pop, cap, cutoff, g))
        ours = gravity_access(frame, demand=pop, supply=cap, beta=beta, min_minutes=floor, max_minutes=cutoff,
                              competition=False, normalize=True)
        check(ours, pysal(c, pop, cap, kind="potential", max_cost=cutoff, weight_fn=g, normalize=True))


def _pysal_2sfca_weighted(c, pop, cap, max_cost, weight_fn):
    dem = pd.DataFrame({"geoid": pop.index, "pop": pop.to_numpy()})
    sup = pd.DataFrame({"geoid": cap.index, "doc": cap.to_numpy()})
    A = Access(demand_df=dem, demand_index="geoid", demand_value="pop", supply_df=sup, supply_index="geoid",
               supply_value="doc", cost_df=long_frame(c, pop.index, cap.index), cost_origin="origin",
               cost_dest="dest", cost_name="cost")
    out = A.two_stage_fca(name="x", max_cost=max_cost, weight_fn=weight_fn)
    return out["x_doc"].reindex(pop.index).to_numpy(dtype=float)


def test_pysal_fca_function_agrees_too():
    """``access.fca.two_stage_fca`` (the function STACK-NOTES names) gives the same numbers."""
    from access import fca

    c, pop, cap = random_problem(7)
    frame = long_frame(c, pop.index, cap.index)
    ref = fca.two_stage_fca(pd.DataFrame({"pop": pop}).rename_axis("geoid"),
                            pd.DataFrame({"doc": cap}).rename_axis("geoid"), frame, max_cost=30,
                            demand_name="pop", supply_name="doc", cost_dest="dest")
    ours = two_stage_fca(frame, demand=pop, supply=cap, max_minutes=30)
    both = ours.to_frame("ours").join(ref.rename("ref"), how="left")
    check(both["ours"].to_numpy(), both["ref"].to_numpy())


def test_travel_time_matrix_and_dense_inputs_give_the_frame_result():
    c, pop, cap = random_problem(11)
    ttm = TravelTimeMatrix(pd.Index(pop.index), pd.Index(cap.index), c.astype(np.float32))
    frame = ttm.to_frame()  # float32 minutes, finite pairs only
    for model in (TwoStageFCA, EnhancedTwoStageFCA):
        a = model.from_cost_matrix(ttm, demand=pop, supply=cap, max_minutes=30).solve().access
        b = model.from_cost_matrix(frame, demand=pop, supply=cap, max_minutes=30).solve().access
        d = model.from_cost_matrix(c.astype(np.float32), demand=pop, supply=cap, max_minutes=30).solve().access
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, d)
    # arrays aligned with the matrix instead of Series
    a = TwoStageFCA.from_cost_matrix(ttm, demand=pop.to_numpy(), supply=cap.to_numpy(), max_minutes=30).solve()
    check(a.access["access"], pysal(c.astype(np.float32).astype(float), pop, cap, kind="2sfca", max_cost=30))


def test_float32_threshold_is_exact():
    """A float32 time just above T stays out even where T rounds to it in float32."""
    T = 30.000001  # float32(T) == 30.0000019...; the float32 30.000002 > T must be out
    c = np.array([[30.0, np.float32(30.000002)]], dtype=np.float32)
    ttm = TravelTimeMatrix(pd.Index(["a"]), pd.Index(["s", "t"]), c)
    m = TwoStageFCA.from_cost_matrix(ttm, demand=pd.Series([2.0], index=["a"]),
                                     supply=pd.Series([1.0, 1.0], index=["s", "t"]), max_minutes=T).solve()
    assert m.access.loc["a", "sites_in_reach"] == 1
    assert m.access.loc["a", "access"] == 0.5


# ------------------------------------------------------------ brute force
def brute_two_step(c, P, S, T, f):
    """The textbook two-step formula with explicit loops (PySAL's edge-case conventions)."""
    n, m = c.shape
    inreach = [[math.isfinite(c[i][j]) and (T is None or c[i][j] <= T) for j in range(m)] for i in range(n)]
    R = []
    for j in range(m):
        D = sum(f(c[i][j]) * P[i] for i in range(n) if inreach[i][j])
        R.append(S[j] / D if D > 0 else (math.inf if S[j] > 0 else math.nan))
    A = []
    for i in range(n):
        js = [j for j in range(m) if inreach[i][j]]
        if not js:
            A.append(math.nan)
            continue
        terms = [f(c[i][j]) * R[j] for j in js]
        A.append(sum(t for t in terms if not math.isnan(t)))
    return A


@pytest.mark.parametrize("seed", range(25))
def test_two_step_models_equal_brute_force_loops(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    c = rng.integers(0, 41, size=(n, m)).astype(float)
    c[rng.random((n, m)) < 0.3] = np.inf
    P = rng.integers(0, 4, size=n).astype(float) * 100
    S = rng.integers(0, 3, size=m).astype(float)
    pop, cap = pd.Series(P, index=[f"d{i}" for i in range(n)]), pd.Series(S, index=[f"s{j}" for j in range(m)])
    step = StepDecay([(10, 1.0), (20, 0.68), (30, 0.22)])
    for T, f, model in ((30.0, lambda x: 1.0, "2sfca"), (30.0, lambda x: float(step(x)), "e2sfca"),
                        (None, lambda x: max(x, 1.0) ** -1.5, "gravity")):
        if model == "2sfca":
            ours = two_stage_fca(c, demand=pop, supply=cap, max_minutes=T)
        elif model == "e2sfca":
            ours = enhanced_two_stage_fca(c, demand=pop, supply=cap, max_minutes=T, weights=step)
        else:
            ours = gravity_access(c, demand=pop, supply=cap, beta=1.5, min_minutes=1.0, max_minutes=T)
        check(ours, np.array(brute_two_step(c, P, S, T, f)))


def test_hand_instance():
    """Two villages, two clinics, worked out on paper.

    a (pop 100) reaches s1 (2 doctors) in 10 min and s2 (1 doctor) in 30 min (exactly T);
    b (pop 300) reaches s2 in 20 min. R1 = 2/100, R2 = 1/(100+300);
    A_a = 0.02 + 0.0025 = 0.0225, A_b = 0.0025; mean = (100*0.0225 + 300*0.0025)/400 = 0.0075.
    """
    c = pd.DataFrame({"demand_id": ["a", "a", "b"], "site_id": ["s1", "s2", "s2"], "minutes": [10.0, 30.0, 20.0]})
    pop = pd.Series([100.0, 300.0], index=["a", "b"])
    cap = pd.Series([2.0, 1.0], index=["s1", "s2"])
    m = TwoStageFCA.from_cost_matrix(c, demand=pop, supply=cap, max_minutes=30).solve()
    assert m.access["access"].tolist() == pytest.approx([0.0225, 0.0025], rel=1e-12)
    assert m.sites["ratio"].tolist() == pytest.approx([0.02, 0.0025], rel=1e-12)
    assert m.mean_access == pytest.approx(0.0075, rel=1e-12)
    assert m.access["access_norm"].tolist() == pytest.approx([3.0, 1 / 3], rel=1e-12)
    # just below the tie, s2 drops out of a's catchment: R2 = 1/300
    m = TwoStageFCA.from_cost_matrix(c, demand=pop, supply=cap, max_minutes=29.999).solve()
    assert m.access["access"].tolist() == pytest.approx([0.02, 1 / 300], rel=1e-12)
    # E2SFCA with Luo & Qi steps: s2 sees 0.22*100 + 0.68*300 = 226
    e = EnhancedTwoStageFCA.from_cost_matrix(c, demand=pop, supply=cap, max_minutes=30).solve()
    assert e.access["access"].tolist() == pytest.approx([0.02 + 0.22 / 226, 0.68 / 226], rel=1e-12)


def test_edge_cases_follow_pysal_conventions():
    # z reaches nothing -> NaN; y (pop 0) is alone at s3 (capacity 1) -> R = inf, access inf;
    # x (pop 0) shares s4 (capacity 0) with nobody else -> 0/0 skipped -> access 0
    c = pd.DataFrame({"demand_id": ["a", "y", "x"], "site_id": ["s1", "s3", "s4"], "minutes": [5.0, 5.0, 5.0]})
    pop = pd.Series([10.0, 0.0, 0.0, 7.0], index=["a", "y", "x", "z"])
    cap = pd.Series([1.0, 1.0, 1.0, 0.0], index=["s1", "s2", "s3", "s4"])
    m = TwoStageFCA.from_cost_matrix(c, demand=pop, supply=cap, max_minutes=30).solve()
    a = m.access
    assert a.loc["a", "access"] == pytest.approx(0.1)
    assert math.isinf(a.loc["y", "access"])
    assert a.loc["x", "access"] == 0.0
    assert math.isnan(a.loc["z", "access"]) and a.loc["z", "sites_in_reach"] == 0
    assert math.isnan(m.sites.loc["s2", "ratio"])           # no demand point in reach
    assert m.sites.loc["s2", "demand_points_in_reach"] == 0
    # mean skips NaN and 0*inf, denominator counts all demand (z's 7 included)
    assert m.mean_access == pytest.approx(10 * 0.1 / 17)
    full = np.vstack([long_frame_to_dense(c, pop.index, cap.index)])
    check(a["access"], pysal(full, pop, cap, kind="2sfca", max_cost=30))
    check(a["access_norm"], pysal(full, pop, cap, kind="2sfca", max_cost=30, normalize=True))


def long_frame_to_dense(frame, d_ids, s_ids):
    c = np.full((len(d_ids), len(s_ids)), np.inf)
    c[pd.Index(d_ids).get_indexer(frame["demand_id"]), pd.Index(s_ids).get_indexer(frame["site_id"])] = frame["minutes"]
    return c


# ---------------------------------------------------------------- invariants
@pytest.mark.parametrize("seed", range(10))
def test_supply_is_conserved_when_every_site_has_demand(seed):
    """Plain 2SFCA: sum_i P_i A_i = sum_j S_j over sites with positive demand in reach."""
    c, pop, cap = random_problem(200 + seed)
    m = TwoStageFCA.from_cost_matrix(c, demand=pop, supply=cap, max_minutes=30).solve()
    served = m.sites["demand_in_reach"] > 0
    a = np.nan_to_num(m.access["access"].to_numpy())
    w = m.access["weight"].to_numpy()
    assert (a[w > 0] * w[w > 0]).sum() == pytest.approx(cap[served.to_numpy()].sum(), rel=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_more_capacity_never_lowers_access_and_more_demand_never_raises_it(seed):
    c, pop, cap = random_problem(300 + seed)
    rng = np.random.default_rng(seed)
    base = enhanced_two_stage_fca(c, demand=pop, supply=cap, max_minutes=30).fillna(0).to_numpy()
    cap2 = cap.copy()
    cap2.iloc[int(rng.integers(len(cap)))] += 3
    more = enhanced_two_stage_fca(c, demand=pop, supply=cap2, max_minutes=30).fillna(0).to_numpy()
    fin = np.isfinite(base) & np.isfinite(more)
    assert (more[fin] >= base[fin] - 1e-15).all()
    pop2 = pop.copy()
    pop2.iloc[int(rng.integers(len(pop)))] += 500
    crowd = enhanced_two_stage_fca(c, demand=pop2, supply=cap, max_minutes=30).fillna(0).to_numpy()
    fin = np.isfinite(base) & np.isfinite(crowd)
    assert (crowd[fin] <= base[fin] + 1e-15).all()


def test_normalised_access_has_weighted_mean_one():
    c, pop, cap = random_problem(4)
    a = two_stage_fca(c, demand=pop, supply=cap, max_minutes=30, normalize=True).to_numpy()
    w = pop.to_numpy()
    ok = np.isfinite(a) & (w > 0)
    assert (a[ok] * w[ok]).sum() / w.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.isnan(normalized_access([1.0, 2.0], [0.0, 0.0])).all()


def test_gravity_with_beta_zero_and_a_cutoff_is_2sfca():
    c, pop, cap = random_problem(9)
    g = gravity_access(c, demand=pop, supply=cap, beta=0.0, max_minutes=30)
    check(g, two_stage_fca(c, demand=pop, supply=cap, max_minutes=30).to_numpy())


# --------------------------------------------------------------------- decay
def test_decay_functions_equal_pysal_weights():
    x = np.array([0, 0.5, 1, 5, 9.999, 10, 10.0001, 20, 29.9, 30, 30.5, 60, 1e6])
    steps = {10: 1, 20: 0.68, 30: 0.22}
    assert StepDecay(steps.items())(x).tolist() == [weights.step_fn(steps)(v) for v in x]
    np.testing.assert_allclose(GaussianDecay(17.0)(x), [weights.gaussian(17.0)(v) for v in x], rtol=1e-15)
    np.testing.assert_allclose(PowerDecay(1.3, 2.0)(x), [weights.gravity(1, -1.3, 2.0)(v) for v in x],
                               rtol=1e-15)
    assert PowerDecay(1.0, 0.0)(np.array([0.0]))[0] == np.inf


@pytest.mark.parametrize("text", ["", "10", "10:1,", "a:1", "10:1:2", "10:1,5:0.5", "10:0.5,20:0.7",
                                  "10:-1", "0:1", "inf:1", "10:nan", "10:0,20:0"])
def test_bad_step_weights_are_refused(text):
    with pytest.raises(InputError, match="--weights"):
        parse_step_weights(text, source="--weights")


def test_parse_step_weights():
    assert parse_step_weights(" 10:1, 20:0.68 ,30:0.22").steps == ((10, 1), (20, 0.68), (30, 0.22))


# ------------------------------------------------------------- bad library input
@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"demand_id": ["a"], "site_id": ["zz"], "minutes": [1.0]}), "destination 'zz'"),
        (pd.DataFrame({"demand_id": ["q"], "site_id": ["s"], "minutes": [1.0]}), "origin 'q'"),
        (pd.DataFrame({"demand_id": ["a"], "site_id": ["s"], "minutes": [-1.0]}), "negative"),
        (pd.DataFrame({"demand_id": ["a"], "site_id": ["s"], "minutes": [np.nan]}), "not a number"),
        (pd.DataFrame({"demand_id": ["a", "a"], "site_id": ["s", "s"], "minutes": [1.0, 2.0]}), "twice"),
        (pd.DataFrame({"from": ["a"], "to": ["s"], "t": [1.0]}), "columns"),
    ],
)
def test_bad_cost_frames_are_refused(frame, match):
    with pytest.raises(InputError, match=match):
        TwoStageFCA.from_cost_matrix(frame, demand=pd.Series([1.0], index=["a"]),
                                     supply=pd.Series([1.0], index=["s"]), max_minutes=30)


@pytest.mark.parametrize("T", [0, -5, math.nan, math.inf, "x"])
def test_bad_max_minutes_is_refused(T):
    with pytest.raises(InputError, match="max_minutes"):
        two_stage_fca(np.zeros((1, 1)), demand=[1.0], supply=[1.0], max_minutes=T)


def test_bad_weights_and_capacities_are_refused():
    for demand, supply in (([-1.0], [1.0]), ([math.nan], [1.0]), ([1.0], [math.inf])):
        with pytest.raises(InputError, match="finite number >= 0"):
            two_stage_fca(np.zeros((1, 1)), demand=demand, supply=supply, max_minutes=30)
    with pytest.raises(InputError, match="shape"):
        two_stage_fca(np.zeros((2, 1)), demand=[1.0], supply=[1.0], max_minutes=30)
    with pytest.raises(InputError, match="twice"):
        two_stage_fca(np.zeros((2, 1)), demand=pd.Series([1.0, 2.0], index=["a", "a"]), supply=[1.0],
                      max_minutes=30)


def test_model_api_and_sites_table():
    c, pop, cap = random_problem(3)
    m = GravityAccess.from_cost_matrix(c, demand=pop, supply=cap, beta=1.2, competition=False)
    with pytest.raises(RuntimeError, match="solve"):
        _ = m.access
    assert m.solve() is m
    assert not m.competition and "ratio" not in m.sites.columns
    assert list(m.access.columns) == ["weight", "sites_in_reach", "access", "access_norm"]
    assert m.access.index.tolist() == pop.index.tolist()
    s = m.summary()
    assert s["method"] == "gravity" and s["n_demand"] == len(pop) and s["n_sites"] == len(cap)
