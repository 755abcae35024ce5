"""The [acute] step on an in-memory region: known times, invariants, and nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import TINY_POP, tiny_context

from geoplan.errors import ScenarioError
from geoplan.run.results import AcuteResult
from geoplan.run.steps.acute import acute

POP = np.array(list(TINY_POP.values()))


def _run(region, **acute_section) -> AcuteResult:
    result = acute(tiny_context(region, acute={"thresholds": [15, 30], "bands": [15, 30], **acute_section}))
    assert isinstance(result, AcuteResult)
    return result


def test_known_minutes_and_table(tiny_region, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = _run(tiny_region)
    # acute hospitals at A and E: A 0, B 10, C 20, D 10, E 0 minutes
    assert r.cells["minutes"].tolist() == pytest.approx([0, 10, 20, 10, 0], abs=1e-6)
    near = r.cells["nearest_site"].tolist()
    assert near[:2] == ["h_a", "h_a"] and near[3:] == ["h_e", "h_e"] and near[2] in ("h_a", "h_e")  # C: a tie
    region_row = r.table.iloc[-1]
    assert region_row["municipality"] == "Lilleregion" and region_row["kode"] == ""
    assert region_row["share_within_15"] == pytest.approx(1200 / 1500)
    assert region_row["share_within_30"] == pytest.approx(1.0)
    assert region_row["mean_minutes"] == pytest.approx((200 * 10 + 300 * 20 + 400 * 10) / 1500, abs=1e-4)
    east = r.table.set_index("kode").loc["0002"]
    assert east["mean_minutes"] == pytest.approx((300 * 20 + 400 * 10) / 1200, abs=1e-4)
    assert east["p95_minutes"] == pytest.approx(20)
    assert list(r.sites["site_id"]) == ["h_a", "h_e"]          # h_c is not an acute hospital
    assert set(r.measures) == {"acute"} and r.measures["acute"].label("en") == "acute hospital"
    assert r.by_hour is None and r.by_function is None and r.n_minus_1 is None
    assert list(tmp_path.iterdir()) == []                        # the step wrote nothing


def test_headlines_in_both_languages(tiny_region):
    r = _run(tiny_region, thresholds=[15, 30])
    within = r.headlines[0]
    assert within.key == "acute_within_30" and within.value == pytest.approx(100.0)
    assert within.text("da") == "100,0 % af borgerne bor inden for 30 minutters kørsel fra et akuthospital."
    assert within.text("en") == "100.0 % of citizens live within 30 minutes' drive of an acute hospital."
    # mean (200·10 + 300·20 + 400·10) / 1500 = 8 min; 95th percentile 20 min
    assert "er 8,0 min; 95 % af borgerne har højst 20 min." in r.headlines[1].text("da")
    assert "is 8.0 min; 95 % of citizens have at most 20 min." in r.headlines[1].text("en")


def test_night_closure_never_shortens_a_time(tiny_region):
    r = _run(tiny_region, hours=[3, 12])
    night, noon = r.cells_by_hour[3], r.cells_by_hour[12]
    assert (night >= noon - 1e-9).all()
    assert night.tolist() == pytest.approx([0, 10, 20, 30, 40])  # h_e (07-22) is closed at 03
    assert r.by_hour is not None
    assert r.by_hour.loc[r.by_hour["hour"] == 3, "open_sites"].iloc[0] == "h_a"
    assert r.by_hour.loc[r.by_hour["hour"] == 12, "open_sites"].iloc[0] == "h_a;h_e"


def test_by_function_counts_other_hospitals(tiny_region):
    r = _run(tiny_region, by_function=True)
    pci = r.by_function[r.by_function["function"] == "pci"].iloc[-1]
    assert pci["sites"] == "h_a;h_c"                           # an other hospital offering PCI counts
    assert pci["mean_minutes"] == pytest.approx((200 * 10 + 400 * 10 + 500 * 20) / 1500, abs=1e-4)


def test_n_minus_1_and_cuts(tiny_region):
    r = _run(tiny_region, n_minus_1=True, cuts={"east": ["D-E"]})
    t = r.n_minus_1
    acute_rows = t[(t["function"] == "acute") & (t["kode"] == "")].set_index("lost")
    # closing A: A 0 -> 40, B 10 -> 30 (300 citizens affected, C stays at 20 via E)
    assert acute_rows.loc["h_a", "affected_population"] == pytest.approx(300)
    assert acute_rows.loc["h_a", "max_increase_minutes"] == pytest.approx(40)
    # cutting D-E: D 10 -> 30 (E keeps its own hospital)
    assert acute_rows.loc["east", "affected_population"] == pytest.approx(400)
    assert acute_rows.loc["east", "lose_within_15"] == pytest.approx(400)
    # closing a site or cutting a link never shortens a time
    both = t.dropna(subset=["mean_minutes_before", "mean_minutes_after"])   # functions nobody offers: NaN
    assert len(both) > 0 and (both["mean_minutes_after"] >= both["mean_minutes_before"] - 1e-9).all()
    for inc in r.loss_cells.values():
        assert (np.nan_to_num(inc, posinf=1e9) >= -1e-9).all()
    assert r.cut_lines is not None and r.cut_lines["label"].tolist() == ["east (D-E)"]


def test_unknown_ids_are_clear_errors(tiny_region):
    with pytest.raises(ScenarioError, match=r"acute.cuts.'east': 'X-Y' is neither a crossing name nor a link_id"):
        _run(tiny_region, cuts={"east": ["X-Y"]})
    with pytest.raises(ScenarioError, match=r"acute.exclude: unknown facility \['nope'\]"):
        _run(tiny_region, exclude=["nope"])
    with pytest.raises(ScenarioError, match="no acute hospital is left open"):
        _run(tiny_region, exclude=["h_a", "h_e"])


def _with_pci_at_e(region):
    """The tiny region with Hospital E (open 07-22) also offering PCI."""
    h = region.facilities("hospitals").copy()
    h.loc[h["site_id"] == "h_e", "pci"] = 1
    region._facility_cache["hospitals"] = h
    return region


def test_by_hour_sees_sites_closed_at_the_headline_hour(tiny_region):
    # at_hour = 3 closes h_e for the headline table, but at 12:00 h_e is open again
    r = _run(tiny_region, at_hour=3, hours=[3, 12])
    assert r.hour == 3
    assert r.cells["minutes"].tolist() == pytest.approx([0, 10, 20, 30, 40])
    by = r.by_hour.set_index(["hour", "kode"])
    assert by.loc[(12, ""), "open_sites"] == "h_a;h_e" and by.loc[(3, ""), "open_sites"] == "h_a"
    assert r.cells_by_hour[12].tolist() == pytest.approx([0, 10, 20, 10, 0])
    assert by.loc[(12, ""), "share_within_15"] > by.loc[(3, ""), "share_within_15"]


def test_by_function_honours_opening_hours(tiny_region):
    r = _run(_with_pci_at_e(tiny_region), at_hour=3, hours=[3, 12], by_function=True)
    pci = r.by_function[(r.by_function["function"] == "pci") & (r.by_function["kode"] == "")].set_index("hour")
    # 03: only h_a (h_c has no recorded hours, h_e opens at 07); 12: h_a and h_e
    assert pci.loc[3, "sites"] == "h_a" and pci.loc[12, "sites"] == "h_a;h_e"
    assert pci.loc[3, "mean_minutes"] == pytest.approx((200 * 10 + 300 * 20 + 400 * 30 + 500 * 40) / 1500, abs=1e-4)
    assert pci.loc[12, "mean_minutes"] == pytest.approx((200 * 10 + 300 * 20 + 400 * 10) / 1500, abs=1e-4)
    # without at_hour / hours every site counts whatever its hours (the all-open table)
    r = _run(_with_pci_at_e(tiny_region), by_function=True)
    pci = r.by_function[(r.by_function["function"] == "pci") & (r.by_function["kode"] == "")]
    assert r.hour is None and pci["sites"].tolist() == ["h_a;h_c;h_e"]


def test_n_minus_1_at_the_headline_hour(tiny_region):
    r = _run(_with_pci_at_e(tiny_region), at_hour=3, n_minus_1=True)
    t = r.n_minus_1
    assert set(t["hour"]) == {3}
    pci = t[(t["function"] == "pci") & (t["kode"] == "") & (t["lost"] == "h_a")].iloc[0]
    # at 03 h_a is the only PCI site open: closing it cuts everybody off
    assert pci["cut_off_population"] == pytest.approx(1500)


def test_the_hour_is_in_the_tables(tiny_region):
    r = _run(tiny_region, at_hour=3)
    assert r.table.columns[0] == "hour" and set(r.table["hour"]) == {3}
    assert "hour" not in _run(tiny_region).table.columns           # every site open: no hour


def test_the_hour_reaches_the_files_and_map_titles(tiny_region, tmp_path):
    import pandas as pd

    from geoplan.config import Scenario
    from geoplan.output import writer
    from geoplan.run.pipeline import compute_scenario

    sc = Scenario.model_validate({"name": "tiny", "region": "tiny", "lang": "en", "acute": {
        "thresholds": [15, 30], "bands": [15, 30], "at_hour": 3, "hours": [3, 12], "n_minus_1": True,
        "by_function": True}})
    out = tmp_path / "out"
    writer.write_run(compute_scenario(sc, region=tiny_region), out)
    assert "Travel time to nearest open acute hospital, at 03:00" in (out / "acute.html").read_text(encoding="utf-8")
    assert "Resilience: extra drive time if an acute hospital closes or a link is cut, at 03:00" in (out / "acute_n_minus_1.html").read_text(encoding="utf-8")
    for name in ("acute_access_by_municipality.csv", "acute_by_function.csv", "acute_n_minus_1.csv"):
        table = pd.read_csv(out / name, dtype={"kode": str}, keep_default_na=False)
        assert table.columns[0] == "hour", name
    by_function = pd.read_csv(out / "acute_by_function.csv", keep_default_na=False)
    assert sorted(set(by_function["hour"])) == [3, 12]
