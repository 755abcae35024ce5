"""The [equity] step on the in-memory tiny region: indicators checked by brute force over persons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import TINY_POP, tiny_context
from geoplan.run.steps import equity as step
from geoplan.run.steps.acute import acute


def _persons(values, pop):
    """One value per person (the tiny region's populations are whole numbers)."""
    return np.repeat(np.asarray(values, dtype=float), np.asarray(pop, dtype=int))


def _ind(res, measure, indicator, group="all"):
    t = res.indicators
    return float(t.loc[(t["measure"] == measure) & (t["indicator"] == indicator) & (t["group"] == group),
                       "value"].iloc[0])


@pytest.fixture
def acute_ctx(tiny_region):
    ctx = tiny_context(tiny_region, acute={"thresholds": [15, 30], "bands": [15, 30]})
    ctx.results["acute"] = acute(ctx)
    return ctx


def test_acute_indicators_by_brute_force(acute_ctx):
    res = step.equity(acute_ctx)
    assert list(res.reports) == ["acute_minutes"]
    minutes = acute_ctx.results["acute"].cells["minutes"].to_numpy()
    # hospitals at A and E, places 10 min apart: A 0, B 10, C 20, D 10, E 0
    assert minutes.tolist() == pytest.approx([0, 10, 20, 10, 0])
    people = _persons(minutes, list(TINY_POP.values()))
    worst = np.sort(people)[::-1][: len(people) // 10]
    assert _ind(res, "acute_minutes", "worst_decile_mean") == pytest.approx(worst.mean())
    assert _ind(res, "acute_minutes", "mean_reachable") == pytest.approx(people.mean())
    # Gini over persons: mean absolute difference / (2 × mean)
    g = np.abs(people[:, None] - people[None, :]).mean() / (2 * people.mean())
    assert _ind(res, "acute_minutes", "gini") == pytest.approx(g, rel=1e-9)
    inequality = pytest.importorskip("inequality")
    assert _ind(res, "acute_minutes", "gini") == pytest.approx(inequality.gini.Gini(people).g, rel=1e-9)
    # the worst cell is C (20 min, 300 people); municipality 0002 (C, D, E) is the worse one
    wp = res.worst_places
    cells = wp[(wp["measure"] == "acute_minutes") & (wp["level"] == "cell")]
    assert cells.iloc[0]["place"] == "cC" and cells.iloc[0]["value"] == pytest.approx(20)
    munis = wp[(wp["measure"] == "acute_minutes") & (wp["level"] == "municipality")]
    assert munis.iloc[0]["place"] == "0002"
    # a 65+ row and a row per municipality; the headline says the worst-off decile
    assert {"all", "age=65+", "kode=0001", "kode=0002"} <= set(res.indicators["group"])
    assert res.headlines[0].key == "equity_acute_minutes"
    # no land cover or voting-area table for the tiny region: said, not silently dropped
    assert any("urban share" in n for n in res.notes) and any("socio-economic" in n for n in res.notes)
    assert res.deprivation is None


def test_breakdowns_and_deprivation(acute_ctx, monkeypatch):
    settle = pd.DataFrame({"urban_share": [0.6, 0.0, 0.2, 0.0, 0.7],
                           "settlement": ["urban", "rural", "periurban", "rural", "urban"],
                           "urban_rural": ["urban", "rural", "urban", "rural", "urban"],
                           "island": [False, False, False, False, True]})
    dep = pd.DataFrame({"kode": ["0001", "0002"], "households": [100.0, 500.0], "households_no_car": [10.0, 200.0],
                        "no_car_share": [0.1, 0.4], "low_income_share": [0.05, 0.1],
                        "basic_education_share": [0.2, 0.3], "early_retirement_per_1000": [50.0, 80.0],
                        "deprivation_index": [-1.0, 1.0]})
    monkeypatch.setattr(step, "settlement_columns", lambda ctx: (settle, None))
    monkeypatch.setattr(step, "deprivation_table", lambda ctx: (dep, None))
    res = step.equity(acute_ctx)
    assert res.notes == []
    minutes = np.array([0, 10, 20, 10, 0.0])
    pop = np.array(list(TINY_POP.values()))
    rural = settle["settlement"].eq("rural").to_numpy()
    assert _ind(res, "acute_minutes", "mean_reachable", "settlement=rural") == pytest.approx(
        np.average(minutes[rural], weights=pop[rural]))
    assert _ind(res, "acute_minutes", "mean_reachable", "island=true") == pytest.approx(0.0)
    d = res.deprivation.set_index("kode")
    # households without a car beside the drive times, per municipality
    assert d.loc["0002", "households_no_car"] == 200 and d.loc["0001", "no_car_share"] == pytest.approx(0.1)
    assert d.loc["0001", "mean_reachable"] == pytest.approx(np.average(minutes[:2], weights=pop[:2]))
    wp = res.worst_places
    assert wp.loc[wp["place"] == "cC", "no_car_share"].iloc[0] == pytest.approx(0.4)
    assert set(res.correlations["indicator"]) >= {"no_car_share", "deprivation_index"}
    # the worst-off decile (150 of 1,500 people) are all in C (20 min), municipality 0002 (1,200 people)
    wo = res.worst_off[res.worst_off["measure"] == "acute_minutes"].set_index("kode")
    assert list(wo.index) == ["0002"] and wo.loc["0002", "population"] == pytest.approx(150)
    assert wo.loc["0002", "share_of_group"] == pytest.approx(150 / 1200)
    assert wo.loc["0002", "no_car_share"] == pytest.approx(0.4)


def test_disabled_and_nothing_to_measure(tiny_region):
    ctx = tiny_context(tiny_region, acute={}, equity={"enabled": False})
    ctx.results["acute"] = acute(ctx)
    assert step.equity(ctx).reports == {}
    ctx = tiny_context(tiny_region, acute={})
    assert step.equity(ctx).reports == {} and step.equity(ctx).notes


def test_gp_access_is_lower_is_worse(acute_ctx, monkeypatch):
    """A score measure: the worst places are those with the least access (zeros first)."""
    from geoplan.run.results import GPAccessResult

    cells = pd.DataFrame({"cell_id": acute_ctx.cells["cell_id"], "access": [0.0, 0.001, 0.003, 0.002, 0.0]})
    acute_ctx.results["gp_access"] = GPAccessResult(step="gp_access", practices=None, cells=cells,
                                                    table=pd.DataFrame(), summary={})
    res = step.equity(acute_ctx)
    assert list(res.reports) == ["acute_minutes", "gp_access"]
    wp = res.worst_places
    first = wp[(wp["measure"] == "gp_access") & (wp["level"] == "cell")].iloc[:2]
    assert set(first["place"]) == {"cA", "cE"}          # no access at all: the worst off
    assert _ind(res, "gp_access", "unreachable_population") == TINY_POP["A"] + TINY_POP["E"]
