"""The [gp_access] step on the in-memory tiny region: 2SFCA values known by hand, nothing written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import TINY_POP, tiny_context
from geoplan.access import TwoStageFCA
from geoplan.run.steps import gp_access as step


@pytest.fixture
def practices(monkeypatch):
    """The tiny region's towns B, C, D as three single-unit practices."""

    def fake(ctx, sec):
        c = ctx.region.facilities("candidates")
        out = c[["site_id", "name", "kommune", "x", "y", "lon", "lat", "geometry"]].copy()
        out["capacity"] = 1.0
        return out

    monkeypatch.setattr(step, "gp_practices", fake)


def _hand_2sfca() -> dict[str, float]:
    # places 10 min apart; practices at B, C, D; catchment 15 min reaches the neighbours only
    P = TINY_POP
    rB, rC, rD = 1 / (P["A"] + P["B"] + P["C"]), 1 / (P["B"] + P["C"] + P["D"]), 1 / (P["C"] + P["D"] + P["E"])
    return {"cA": rB, "cB": rB + rC, "cC": rB + rC + rD, "cD": rC + rD, "cE": rD}


def test_two_stage_fca_by_hand(tiny_region, practices):
    ctx = tiny_context(tiny_region, gp_access={"max_minutes": 15})
    res = step.gp_access(ctx)
    expected = _hand_2sfca()
    got = dict(zip(res.cells["cell_id"], res.cells["access"], strict=True))
    assert got == pytest.approx(expected, rel=1e-12)
    # nearest practice: A and E are 10 min from B / D, the others sit on one
    assert res.cells["nearest_minutes"].tolist() == pytest.approx([10, 0, 0, 0, 10])
    # municipality means are population-weighted; the region row counts every practice
    t = res.table.set_index("kode")
    pop = np.array(list(TINY_POP.values()))
    acc = np.array(list(expected.values()))
    assert t.loc["0001", "mean_per_1000"] == pytest.approx(1000 * np.average(acc[:2], weights=pop[:2]), abs=1e-4)
    assert t.loc["", "mean_per_1000"] == pytest.approx(1000 * np.average(acc, weights=pop), abs=1e-4)
    assert t.loc["", "practices"] == 3 and t.loc["0001", "practices"] == 1 and t.loc["0002", "practices"] == 2
    # 2SFCA conserves supply: sum of access × population = number of practices (all in someone's reach)
    assert float(np.dot(acc, pop)) == pytest.approx(3.0)
    assert res.summary["capacity"].startswith("1 per practice")
    assert res.headlines[0].key == "gp_access"


def test_equals_geoplan_access_and_pysal_on_the_same_matrix(tiny_region, practices):
    access = pytest.importorskip("access")
    ctx = tiny_context(tiny_region, gp_access={"max_minutes": 25})
    res = step.gp_access(ctx)
    sites = step.gp_practices(ctx, ctx.scenario.gp_access).sort_values("site_id").reset_index(drop=True)
    M = ctx.cells_to(sites, id_column="site_id")
    ours = TwoStageFCA.from_cost_matrix(M, demand=ctx.cells.set_index("cell_id")["pop"],
                                        supply=sites.set_index("site_id")["capacity"], max_minutes=25).solve()
    assert res.cells["access"].to_numpy() == pytest.approx(ours.access["access"].to_numpy(), rel=1e-12)
    cost = pd.DataFrame([(o, d, float(M.minutes[i, j])) for i, o in enumerate(M.origins)
                         for j, d in enumerate(M.destinations) if np.isfinite(M.minutes[i, j])],
                        columns=["origin", "dest", "cost"])
    dem = pd.DataFrame({"geoid": ctx.cells["cell_id"].to_numpy(), "pop": ctx.cells["pop"].to_numpy()})
    sup = pd.DataFrame({"geoid": sites["site_id"].to_numpy(), "doc": sites["capacity"].to_numpy()})
    A = access.Access(demand_df=dem, demand_index="geoid", demand_value="pop", supply_df=sup, supply_index="geoid",
                      supply_value="doc", cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    ref = A.two_stage_fca(name="x", max_cost=25)["x_doc"].reindex(ctx.cells["cell_id"]).to_numpy(dtype=float)
    np.testing.assert_allclose(res.cells["access"].to_numpy(), ref, rtol=1e-9, atol=0)


def test_houses_get_access_with_their_capacity(tiny_region, practices):
    from geoplan.run.steps.houses import health_houses

    ctx = tiny_context(tiny_region, gp_access={"max_minutes": 15},
                       health_houses={"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                                      "capacity": 2000, "frontier": {"p_min": 1, "p_max": 1}})
    ctx.results["health_houses"] = health_houses(ctx)
    res = step.gp_access(ctx)
    assert set(res.houses) == {"health_houses"}
    house = ctx.results["health_houses"].solution["sites"]
    assert len(house) == 1
    # one house of capacity 2000, catchment = the houses' max_minutes (10 min, not the practices' 15):
    # R = 2000 / people within 10 min; those people get R, the others 0
    x = tiny_region.facilities("candidates").set_index("site_id").loc[house[0], "x"]
    near = np.abs(ctx.cells["x"].to_numpy() - x) <= 10_000
    R = 2000 / ctx.cells["pop"].to_numpy()[near].sum()
    assert res.houses["health_houses"]["access"].to_numpy() == pytest.approx(np.where(near, R, 0.0))
    assert "health_houses" in res.houses_tables


def test_section_checks_method_options():
    from pydantic import ValidationError

    from geoplan.config import GPAccessSection

    with pytest.raises(ValidationError, match="apply to method = 'e2sfca' only"):
        GPAccessSection(method="2sfca", weights=[(10, 1.0)])
    with pytest.raises(ValidationError, match="increasing minutes"):
        GPAccessSection(method="e2sfca", weights=[(20, 1.0), (10, 0.5)])
    assert GPAccessSection(method="e2sfca", weights=[(10, 1.0), (20, 0.5)]).weights == [(10, 1.0), (20, 0.5)]


def test_e2sfca_and_gravity_follow_the_section(tiny_region, practices):
    from geoplan.access import EnhancedTwoStageFCA, GravityAccess

    ctx = tiny_context(tiny_region, gp_access={"method": "e2sfca", "max_minutes": 25,
                                               "weights": [[10, 1.0], [25, 0.5]]})
    res = step.gp_access(ctx)
    sites = step.gp_practices(ctx, ctx.scenario.gp_access).sort_values("site_id").reset_index(drop=True)
    M = ctx.cells_to(sites, id_column="site_id")
    dem, sup = ctx.cells.set_index("cell_id")["pop"], sites.set_index("site_id")["capacity"]
    ref = EnhancedTwoStageFCA.from_cost_matrix(M, demand=dem, supply=sup, max_minutes=25,
                                               weights=[(10, 1.0), (25, 0.5)]).solve()
    np.testing.assert_allclose(res.cells["access"], ref.access["access"].fillna(0.0), rtol=1e-12)
    # by hand for site B (A, C at 10 min weight 1; D at 20 min weight 0.5): R_B = 1 / (100 + 200 + 300 + 0.5·400)
    R_B = 1 / (100 + 200 + 300 + 0.5 * 400)
    assert ref.sites.loc["town_b", "ratio"] == pytest.approx(R_B)
    ctx = tiny_context(tiny_region, gp_access={"method": "gravity", "max_minutes": 60, "beta": 1.5})
    res = step.gp_access(ctx)
    ref = GravityAccess.from_cost_matrix(M, demand=dem, supply=sup, beta=1.5, max_minutes=60).solve()
    np.testing.assert_allclose(res.cells["access"], ref.access["access"].fillna(0.0), rtol=1e-12)


def test_run_writes_the_same_bytes_twice(tiny_region, practices, tmp_path):
    from geoplan.config import Scenario
    from geoplan.output.writer import write_run
    from geoplan.run.pipeline import compute_scenario

    sc = Scenario.model_validate({"name": "tiny", "region": "tiny", "lang": "en",
                                  "acute": {"thresholds": [15], "bands": [15]}, "gp_access": {"max_minutes": 15}})
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(compute_scenario(sc, region=tiny_region), a)
    write_run(compute_scenario(sc, region=tiny_region), b)
    names = sorted(p.name for p in a.iterdir())
    assert {"gp_access_by_municipality.csv", "gp_access_cells.gpkg", "gp_access.html", "equity_indicators.csv",
            "equity_worst_places.csv", "report.html"} <= set(names)
    for n in names:
        if n.endswith((".csv", ".json", ".html")):
            assert (a / n).read_bytes() == (b / n).read_bytes(), n
    report = (a / "report.html").read_text(encoding="utf-8")
    assert "Equity of access" in report and "Access to general practice (index)" in report
