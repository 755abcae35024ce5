"""The house steps on an in-memory region: optima found by brute force, nothing written."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.conftest import TINY_POP, TINY_X, tiny_context

from geoplan.errors import ScenarioError
from geoplan.run.results import HousesResult, JointHousesResult
from geoplan.run.steps.houses import health_houses, joint_houses, psychiatry_houses

POP = np.array(list(TINY_POP.values()))
PLACES = list(TINY_X)
#: minutes from every cell (A..E) to each candidate town (B, C, D): 10 minutes a link
COST = np.array([[abs(PLACES.index(c) - PLACES.index(s)) * 10.0 for s in "BCD"] for c in PLACES])
SITES = ["town_b", "town_c", "town_d"]


def _brute_force(p: int, objective) -> tuple[str, ...]:
    best = min(itertools.combinations(range(3), p), key=lambda js: objective(COST[:, list(js)].min(axis=1)))
    return tuple(SITES[j] for j in best)


def _houses(region, step=health_houses, **section) -> HousesResult:
    key = step.__name__
    r = step(tiny_context(region, **{key: {"frontier": None, "solver": "highs", "candidate_kinds": ["town"],
                                           **section}}))
    assert isinstance(r, HousesResult) and r.kind == key
    return r


@pytest.mark.parametrize("p", [1, 2])
def test_mclp_is_the_brute_force_optimum(tiny_region, tmp_path, monkeypatch, p):
    monkeypatch.chdir(tmp_path)
    r = _houses(tiny_region, model="mclp", p=p, max_minutes=10)
    best = _brute_force(p, lambda m: -POP[m <= 10].sum())
    covered = POP[COST[:, [SITES.index(s) for s in best]].min(axis=1) <= 10].sum() / POP.sum()
    assert r.solution["covered_share"] == pytest.approx(covered)
    assert tuple(r.solution["sites"]) == best or p == 2  # p = 2: several optima cover everyone
    assert r.solution["status"] == "optimal" and r.solution["p"] == p
    # assignment: every cell goes to its nearest chosen house
    chosen = [SITES.index(s) for s in r.solution["sites"]]
    assert r.minutes == pytest.approx(COST[:, chosen].min(axis=1))
    assert r.coverage.iloc[-1]["share_within_10"] == pytest.approx(covered)
    assert set(r.sites_table["status"]) == {"new"}
    assert "solve_seconds" not in r.solution and r.timings["health_houses.solve"] >= 0
    assert list(tmp_path.iterdir()) == []


def test_pmedian_and_pcenter_are_brute_force_optima(tiny_region):
    r = _houses(tiny_region, model="pmedian", p=1)
    assert tuple(r.solution["sites"]) == _brute_force(1, lambda m: (POP * m).sum())
    r = _houses(tiny_region, step=psychiatry_houses, model="pcenter", p=1)
    assert tuple(r.solution["sites"]) == _brute_force(1, lambda m: m.max())


def test_lscp_fixed_and_frontier(tiny_region):
    r = _houses(tiny_region, model="lscp", max_minutes=10)
    assert len(r.solution["sites"]) == 2                      # no single town is within 10 min of A and E
    r = _houses(tiny_region, model="mclp", p=2, max_minutes=10, fixed=["town_b"],
                frontier={"p_min": 1, "p_max": 3})
    assert "town_b" in r.solution["sites"] and r.sites_table.set_index("site_id").loc["town_b", "status"] == "fixed"
    f = r.frontier
    assert f is not None and list(f["p"]) == [1, 2, 3]
    assert (np.diff(f["covered_share"]) >= -1e-9).all()       # more houses never cover fewer people
    assert [h.key for h in r.headlines][0] == "health_houses_covered"
    assert r.headlines[0].text("da").startswith("Med 2 sundhedshuse (1 nye) bor")
    assert r.headlines[0].text("en").startswith("With 2 health houses (1 new), ")


def test_joint_placement_required_colocation(tiny_region):
    ctx = tiny_context(tiny_region, joint_houses={
        "health": {"p": 1, "max_minutes": 10}, "psychiatry": {"p": 1, "max_minutes": 20},
        "colocation": "required", "candidate_kinds": ["town"]})
    r = joint_houses(ctx)
    assert isinstance(r, JointHousesResult)
    assert r.solution["health"] == r.solution["psychiatry"] == r.solution["colocated"]
    assert r.sites["colocated"].all() and set(r.minutes_by) == {"health", "psychiatry"}
    assert set(r.measures) == {"joint_health_houses", "joint_psychiatry_houses"}
    assert r.coverage["house"].tolist().count("health") == 3    # two municipalities + the region


def test_bad_keys_name_the_key(tiny_region):
    with pytest.raises(ScenarioError, match=r"health_houses.fixed: unknown or excluded candidate site \['nope'\]"):
        _houses(tiny_region, model="mclp", p=1, fixed=["nope"])
    with pytest.raises(ScenarioError, match=r"health_houses.weight: unknown demand weight 'age'"):
        _houses(tiny_region, model="mclp", p=1, weight="age")
    with pytest.raises(ScenarioError, match=r"health_houses.candidate_kinds: unknown kind \['castle'\]"):
        _houses(tiny_region, model="mclp", p=1, candidate_kinds=["castle"])


@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_capacity_is_honoured_in_every_output(tiny_region, model):
    # capacity 600 per house: with nearest-house assignment town_d would serve C, D and E (1200)
    r = _houses(tiny_region, model=model, p=2 if model == "mclp" else 3, max_minutes=10, capacity=600)
    served = r.sites_table.set_index("site_id")["weight"]
    assert (served <= 600 + 1e-6).all()
    # the assignment file, the sites table and the coverage table agree with each other
    a = r.assignment
    by_site = (a["weight"] * a["served_share"]).groupby(a["site_id"]).sum()
    assert by_site.drop("", errors="ignore").to_dict() == pytest.approx(served.to_dict(), abs=1e-3)
    region_row = r.coverage.iloc[-1]
    if model == "mclp":
        # the best two capacitated houses cover 1200 within 10 min (each serves its 600)
        assert r.solution["covered_share"] == pytest.approx(1200 / 1500)
        assert region_row["share_within_10"] == pytest.approx(1200 / 1500)
        assert region_row["unserved_weight"] == pytest.approx(300)
        assert r.headlines[0].value == pytest.approx(80.0)
        h = {x.key: x for x in r.headlines}["health_houses_unserved"]
        assert h.text("en").startswith("With a capacity of 600 per house, 300 (20.0 % of demand) are served by no house")
    else:
        # everyone is served (3 × 600 >= 1500), nobody by a full house
        assert served.sum() == pytest.approx(1500) and region_row["unserved_weight"] == pytest.approx(0)
        assert r.solution["mean_minutes"] == pytest.approx(region_row["mean_minutes"], abs=1e-3)
    # every cell's shares add up to 1; the per-cell arrays (map, compare) follow the assignment
    assert a.groupby("cell_id")["served_share"].sum().to_numpy() == pytest.approx(np.ones(5))
    main = a.sort_values(["served_share", "site_id"], ascending=[False, False], kind="stable") \
        .drop_duplicates("cell_id").set_index("cell_id")
    assert list(r.nearest) == [main.loc[c, "site_id"] for c in tiny_region.cells["cell_id"]]


def test_frontier_follows_capacity_and_model(tiny_region):
    r = _houses(tiny_region, model="mclp", p=2, max_minutes=10, capacity=600, frontier={"p_min": 1, "p_max": 3})
    f = r.frontier.set_index("p")
    # one house of capacity 600 serves at most 600 of 1500, whatever its reach (uncapacitated: 1200)
    assert f.loc[1, "covered_share"] == pytest.approx(600 / 1500)
    assert (f["covered_share"] <= f.index * 600 / 1500 + 1e-9).all()
    # the frontier's row for the scenario's p is the scenario's own solution
    assert f.loc[2, "covered_share"] == pytest.approx(r.solution["covered_share"])
    # the p-median frontier solves p-medians: one house goes to D (least total time), as brute force says
    r = _houses(tiny_region, model="pmedian", p=1, frontier={"p_min": 1, "p_max": 2})
    assert r.frontier.set_index("p").loc[1, "sites"] == ";".join(_brute_force(1, lambda m: (POP * m).sum()))
    assert r.frontier.set_index("p").loc[1, "objective"] == pytest.approx(r.solution["objective"])


def test_frontier_follows_equity_floors(tiny_region):
    # every municipality at least 60 % within 10 min: no single town does that
    # (B: east 25 %, C: east 58 %, D: west 0 %); the uncapacitated, floor-free MCLP would take D (80 %)
    r = _houses(tiny_region, model="mclp", p=2, max_minutes=10, min_share_by_municipality=0.6,
                frontier={"p_min": 1, "p_max": 3})
    f = r.frontier.set_index("p")
    assert f.loc[1, "status"] == "infeasible" and np.isnan(f.loc[1, "covered_share"])
    assert f.loc[2, "status"] == "optimal" and f.loc[2, "covered_share"] == pytest.approx(r.solution["covered_share"])


def _with_twin_of_c(region):
    """The tiny region with a second candidate, town_c2, 100 m from town_c (another id, the same place)."""
    import geopandas as gpd
    import pandas as pd

    c = region.facilities("candidates")
    twin = c[c["site_id"] == "town_c"].copy()
    twin["site_id"], twin["name"] = "town_c2", "Town C (other address)"
    twin["geometry"] = twin.geometry.translate(100.0, 0.0)
    region._facility_cache["candidates"] = gpd.GeoDataFrame(pd.concat([c, twin], ignore_index=True), crs=c.crs)
    return region


def test_colocation_is_by_distance_not_by_id(tiny_region):
    # two psychiatry houses, one health house, co-location required: only C and its twin 100 m
    # away make a place with room for two (by site id this is "p_b > p_a", impossible)
    ctx = tiny_context(_with_twin_of_c(tiny_region), joint_houses={
        "health": {"p": 1, "max_minutes": 10}, "psychiatry": {"p": 2, "max_minutes": 20},
        "colocation": "required", "candidate_kinds": ["town"]})
    r = joint_houses(ctx)
    assert r.solution["psychiatry"] == ["town_c", "town_c2"] and r.solution["health"][0] in ("town_c", "town_c2")
    assert r.solution["colocation_tolerance_m"] == 250
    assert len(r.solution["colocated_pairs"]) == 2 and r.sites["colocated"].all()
    # within 50 m the twin is another place: co-location cannot hold
    ctx = tiny_context(tiny_region, joint_houses={
        "health": {"p": 1, "max_minutes": 10}, "psychiatry": {"p": 2, "max_minutes": 20},
        "colocation": "required", "candidate_kinds": ["town"], "colocation_tolerance_m": 50})
    with pytest.raises(Exception, match="infeasible|cannot"):
        joint_houses(ctx)


def test_colocated_count_counts_places(tiny_region):
    # the model itself: health may not use town_c2, psychiatry not town_c or town_d; required co-location
    # puts health at town_c and psychiatry at its twin town_c2, 100 m away (by id: infeasible)
    from geoplan.locate import JointPlacement

    C = COST[:, [0, 1, 1, 2]]           # B, C, C2 (= C), D
    xy = np.array([[510_000.0, 0], [520_000.0, 0], [520_100.0, 0], [530_000.0, 0]])
    ids = ["town_b", "town_c", "town_c2", "town_d"]
    m = JointPlacement.from_cost_matrix(C, max_minutes_a=10, max_minutes_b=20, p_a=1, p_b=1, weights_a=POP,
                                        weights_b=POP, site_ids=ids, excluded_a=["town_c2"],
                                        excluded_b=["town_c", "town_d"], colocation="required", site_xy=xy).solve()
    assert m.selected_a == ["town_c"] and m.selected_b == ["town_c2"]
    assert m.colocated == ["town_c"] and m.colocated_pairs == [("town_c", "town_c2")]


def test_unreachable_cells_error_or_are_excluded(tiny_region):
    from geoplan.errors import InfeasibleError

    # within 5 min of a town: only the cells at B, C and D; A and E (600 citizens) have none
    with pytest.raises(InfeasibleError, match="no allowed site within 5 min"):
        _houses(tiny_region, model="lscp", max_minutes=5)
    r = _houses(tiny_region, model="lscp", max_minutes=5, unreachable="exclude")
    assert r.solution["sites"] == SITES
    assert r.solution["excluded_cells"] == 2 and r.solution["excluded_population"] == pytest.approx(600)
    assert r.solution["covered_share"] == pytest.approx(900 / 1500)     # the tables still count everyone
    h = {x.key: x for x in r.headlines}["health_houses_excluded"]
    assert h.text("en").startswith("600 citizens (40.0 %) live where no candidate site is within 5 minutes")
    # an equity floor counts only the reachable: 0001 (A, B) is at most 2/3 within 5 min, so 0.9 fails
    # unless A is left out
    with pytest.raises(InfeasibleError):
        _houses(tiny_region, model="mclp", p=3, max_minutes=5, min_share_by_municipality=0.9)
    r = _houses(tiny_region, model="mclp", p=3, max_minutes=5, min_share_by_municipality=0.9, unreachable="exclude",
                frontier={"p_min": 3, "p_max": 3})
    assert r.solution["covered_share"] == pytest.approx(900 / 1500)
    assert r.frontier["covered_share"].tolist() == pytest.approx([900 / 1500])
    assert "health_houses_excluded" not in {x.key for x in _houses(tiny_region, model="mclp", p=1).headlines}


def test_frontier_of_pcenter_and_lscp(tiny_region):
    r = _houses(tiny_region, step=psychiatry_houses, model="pcenter", p=1, frontier={"p_min": 1, "p_max": 2})
    f = r.frontier.set_index("p")
    assert f.loc[1, "sites"] == ";".join(_brute_force(1, lambda m: m.max()))   # least worst-case time: C
    assert f.loc[1, "objective"] == pytest.approx(r.solution["objective"])
    # LSCP has no p: its frontier is the coverage (MCLP) curve for the same threshold
    r = _houses(tiny_region, model="lscp", max_minutes=10, frontier={"p_min": 1, "p_max": 2})
    assert r.frontier["covered_share"].tolist() == pytest.approx([1200 / 1500, 1.0])
