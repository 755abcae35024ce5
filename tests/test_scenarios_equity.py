"""The shipped gp-access, home-care and equity scenarios on the real region write what they promise."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoplan.access import TwoStageFCA
from geoplan.access.practices import read_gp_practices
from geoplan.config import load_scenario
from geoplan.run.context import RunContext
from geoplan.run.pipeline import run_scenario

pytestmark = pytest.mark.needs_data


def _csv(path):
    return pd.read_csv(path, dtype={"municipality_code": str}, keep_default_na=False, na_values=[""])


def _total(path):
    """The region total row, written apart as ``<stem>_total.csv``."""
    total = _csv(path.with_name(f"{path.stem}_total.csv"))
    assert len(total) == 1
    return total.iloc[0]


def test_gp_access_scenario(region, tmp_path):
    sc = load_scenario("scenarios/gp-access.toml")
    run = run_scenario(sc, out=tmp_path / "gp", region=region)
    out = tmp_path / "gp"
    assert {"gp_access_by_municipality.csv", "gp_access_cells.gpkg", "gp_practices.csv", "gp_access_summary.json",
            "gp_access.html", "equity_indicators.csv", "equity_worst_places.csv", "equity_deprivation.csv",
            "equity_correlations.csv", "equity_access_vs_deprivation.png", "equity_deprivation.html",
            "report.html"} <= set(run.written)
    table = _csv(out / "gp_access_by_municipality.csv")
    assert len(table) == 19 and table["municipality_code"].notna().all()  # the region row is apart
    total = _total(out / "gp_access_by_municipality.csv")
    # 2SFCA = geoplan.access on the same matrix, and access × population sums to the practices in reach
    ctx = RunContext(scenario=sc, region=region)
    sites = read_gp_practices(region=region, buffer_m=5000).sort_values("site_id").reset_index(drop=True)
    M = ctx.cells_to(sites, id_column="site_id")
    ref = TwoStageFCA.from_cost_matrix(M, demand=region.cells.set_index("cell_id")["pop"],
                                       supply=sites.set_index("site_id")["capacity"], max_minutes=15).solve()
    cells = gpd.read_file(out / "gp_access_cells.gpkg")
    a = ref.access["access"].fillna(0.0).to_numpy()
    np.testing.assert_allclose(cells["access"].to_numpy(), a, rtol=1e-12)
    served = ref.sites["demand_in_reach"].to_numpy() > 0
    assert float(np.dot(a, region.cells["pop"].to_numpy())) == pytest.approx(float(served.sum()), rel=1e-9)
    # the municipality extremes the headline names are those of the table
    assert table["mean_per_1000"].min() < total["mean_per_1000"] < table["mean_per_1000"].max()
    assert "households_no_car" in table.columns
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Lighed i adgang" in report and "Husstande uden bil" in report


def test_home_care_scenario(region, tmp_path):
    run = run_scenario("scenarios/home-care.toml", out=tmp_path / "hc", region=region)
    out = tmp_path / "hc"
    assert {"home_care_by_municipality.csv", "home_care_cells.gpkg", "home_care_parameters.csv",
            "home_care.html", "equity_indicators.csv", "report.html"} <= set(run.written)
    munis = _csv(out / "home_care_by_municipality.csv")
    region_row = _total(out / "home_care_by_municipality.csv")
    assert len(munis) == 19
    assert region_row["users"] == pytest.approx(munis["users"].sum(), rel=1e-6)
    # users = 10 % of the 65+ (the scenario's user_share)
    assert region_row["users"] == pytest.approx(0.1 * region.cells["pop65"].sum(), rel=1e-6)
    assert region_row["best_mix_cost"] <= min(region_row["home_cost"], region_row["house_cost"])
    params = _csv(out / "home_care_parameters.csv").set_index("parameter")
    assert params.loc["staff_cost_per_hour", "value"] == "330.0" and params["source"].str.len().min() > 0
    # the equity report measures the drive to the nearest house of the comparison
    ind = _csv(out / "equity_indicators.csv")
    assert set(ind["measure"]) == {"house_minutes"}


def test_equity_scenario_runs_every_measure(region, tmp_path):
    run = run_scenario("scenarios/equity.toml", out=tmp_path / "eq", region=region)
    eq = run["equity"]
    assert {"acute_minutes", "ambulance_response_minutes", "gp_access", "house_minutes",
            "house_access:health_houses"} <= set(eq.reports)
    ind = _csv(tmp_path / "eq" / "equity_indicators.csv")
    groups = set(ind["group"])
    assert {"all", "age=65+", "settlement=urban", "settlement=periurban", "settlement=rural", "urban_rural=rural",
            "island=true", "island=false"} <= groups
    # islands (Samsø, Anholt …, by ferry) are farther from an acute hospital than the mainland
    v = ind[(ind["measure"] == "acute_minutes") & (ind["indicator"] == "mean_reachable")].set_index("group")["value"]
    assert v["island=true"] > 2 * v["island=false"]
    dep = _csv(tmp_path / "eq" / "equity_deprivation.csv")
    assert {"no_car_share", "low_income_share", "basic_education_share", "early_retirement_per_1000",
            "deprivation_index", "households_no_car"} <= set(dep.columns)
    assert len(dep[dep["measure"] == "acute_minutes"]) == 19
