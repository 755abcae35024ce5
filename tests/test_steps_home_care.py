"""The [home_care] step on the in-memory tiny region: costs equal the model on the same minutes."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import tiny_context
from geoplan.errors import ScenarioError
from geoplan.measures.home_care import HomeCareParameters, compare_home_care
from geoplan.run.steps.home_care import home_care
from geoplan.run.steps.houses import health_houses

HOUSES = {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
          "frontier": {"p_min": 1, "p_max": 1}}


def _ctx(tiny_region, **home):
    ctx = tiny_context(tiny_region, health_houses=HOUSES, home_care={"houses": "chosen", **home})
    ctx.results["health_houses"] = health_houses(ctx)
    return ctx


def test_costs_match_the_model_and_the_overrides(tiny_region):
    ctx = _ctx(tiny_region, staff_cost_per_hour=400, visits_per_user_per_year=12, homebound_share=0.0,
               no_car_share=0.3)
    res = home_care(ctx)
    assert res.houses_source == "chosen"
    assert res.parameters.staff_cost_per_hour == 400 and res.parameters.visits_per_user_per_year == 12
    house = ctx.results["health_houses"].solution["sites"][0]
    x = tiny_region.facilities("candidates").set_index("site_id").loc[house, "x"]
    minutes = np.abs(ctx.cells["x"].to_numpy() - x) / 1000.0   # 60 km/h on the straight road
    assert res.cells["house_minutes"].to_numpy() == pytest.approx(minutes)
    p = HomeCareParameters.from_file(staff_cost_per_hour=400, visits_per_user_per_year=12, homebound_share=0.0,
                                     no_car_share=0.3)
    ref = compare_home_care(ctx.cells, minutes, params=p, no_car_share=0.3)
    for col in ("home_cost", "house_cost", "difference", "break_even_staff_cost_per_hour"):
        assert res.cells[col].to_numpy() == pytest.approx(ref[col].to_numpy()), col
    assert res.cells["cheaper"].tolist() == ref["cheaper"].tolist()
    # at the break-even staff cost a cell's two options cost the same
    i = int(np.nanargmax(np.where(np.isfinite(ref["break_even_staff_cost_per_hour"]),
                                  ref["break_even_staff_cost_per_hour"], np.nan)))
    be = float(ref["break_even_staff_cost_per_hour"].iloc[i])
    at = compare_home_care(ctx.cells, minutes, params=p.replace(staff_cost_per_hour=be), no_car_share=0.3)
    assert at["home_cost_per_visit"].iloc[i] == pytest.approx(at["house_cost_per_visit"].iloc[i])
    # the region row adds up the municipalities; the best mix is never dearer than either option
    t = res.table.set_index("kode")
    munis = t.drop(index="")
    assert t.loc["", "users"] == pytest.approx(munis["users"].sum(), abs=1e-3)
    assert t.loc["", "best_mix_cost"] <= min(t.loc["", "home_cost"], t.loc["", "house_cost"]) + 1e-6
    assert res.headlines[0].key == "home_care_split"


def test_chosen_houses_need_the_houses_step(tiny_region):
    ctx = tiny_context(tiny_region, home_care={"houses": "chosen"})
    with pytest.raises(ScenarioError, match="no \\[health_houses\\] section"):
        home_care(ctx)


def test_bad_parameter_is_a_scenario_error(tiny_region):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        tiny_context(tiny_region, home_care={"user_share": 2.0})
    with pytest.raises(ValidationError):
        tiny_context(tiny_region, home_care={"staff_cost": 300})   # unknown key


@pytest.mark.parametrize("section", ['[home_care]\nvisit_minutes = -1\n', '[gp_access]\nmethod = "3sfca"\n',
                                     '[equity]\nworst_share = 2\n[home_care]\n'])
def test_bad_sections_exit_2_and_write_nothing(tmp_path, monkeypatch, capsys, section):
    from geoplan.cli import main

    p = tmp_path / "bad.toml"
    p.write_text('name = "bad"\n' + section, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(p)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "Traceback" not in err
    assert sorted(x.name for x in tmp_path.iterdir()) == ["bad.toml"]
