"""Scenario-level invariants on the tiny in-memory region (tests/conftest.py).

Each test runs whole steps the way a scenario does and checks a property that must
hold whatever the data: closing or cutting never helps, opening hours count at every
hour, houses never serve beyond their capacity, more houses never cover fewer people,
and a cut-off population is said in the headline.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import TINY_POP, tiny_context

from geoplan.run.steps.acute import acute
from geoplan.run.steps.houses import health_houses

POP = np.array(list(TINY_POP.values()))
LINKS = ["A-B", "B-C", "C-D", "D-E"]


def _acute(region, network=None, **section):
    # each cell attaches to its own place only (no 10 km access leg around a cut link)
    extra = {"routing": {"access_k": 1}} | ({"network": network} if network else {})
    return acute(tiny_context(region, acute={"thresholds": [15, 30], "bands": [15, 30], **section}, **extra))


def _houses(region, **section):
    return health_houses(tiny_context(region, health_houses={"frontier": None, "candidate_kinds": ["town"],
                                                             **section}))


def test_closing_a_site_never_shortens_a_time(tiny_region):
    full = _acute(tiny_region).cells["minutes"].to_numpy()
    for closed in (["h_a"], ["h_e"]):
        fewer = _acute(tiny_region, exclude=closed).cells["minutes"].to_numpy()
        assert (fewer >= full - 1e-9).all() and (fewer > full + 1e-9).any()


def test_coverage_at_an_hour_never_exceeds_all_open(tiny_region):
    everything = _acute(tiny_region, hours=[3, 12], by_function=True)
    night = _acute(tiny_region, at_hour=3, hours=[3, 12], by_function=True)
    all_open = everything.table.iloc[-1]
    for r in (everything, night):
        by = r.by_hour[r.by_hour["kode"] == ""].set_index("hour")
        for hour in (3, 12):
            assert by.loc[hour, "share_within_15"] <= all_open["share_within_15"] + 1e-9
            # an hour's table does not depend on which hour the headline is for
            assert by.loc[hour, "share_within_15"] == pytest.approx(
                _acute(tiny_region, at_hour=hour).table.iloc[-1]["share_within_15"])
        bf = r.by_function[r.by_function["kode"] == ""]
        base = everything.by_function[(everything.by_function["kode"] == "") & everything.by_function["hour"].isna()]
        for _, row in bf.iterrows():
            ref = base[base["function"] == row["function"]].iloc[0]
            assert row["share_within_30"] <= ref["share_within_30"] + 1e-9
    # the night closure shows: at 03 fewer are within 15 min than at 12
    by = night.by_hour[night.by_hour["kode"] == ""].set_index("hour")
    assert by.loc[3, "share_within_15"] < by.loc[12, "share_within_15"]


@pytest.mark.parametrize("capacity", [None, 500.0])
def test_adding_a_house_never_lowers_coverage(tiny_region, capacity):
    shares = [_houses(tiny_region, model="mclp", p=p, max_minutes=10, capacity=capacity).solution["covered_share"]
              for p in (1, 2, 3)]
    assert np.all(np.diff(shares) >= -1e-9)
    f = _houses(tiny_region, model="mclp", p=1, max_minutes=10, capacity=capacity,
                frontier={"p_min": 1, "p_max": 3}).frontier
    assert np.all(np.diff(f["covered_share"]) >= -1e-9)
    assert f["covered_share"].tolist() == pytest.approx(shares)   # the frontier is the scenario at each p


@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_no_site_serves_more_than_its_capacity(tiny_region, model):
    capacity = 550.0
    r = _houses(tiny_region, model=model, p=3, max_minutes=10, capacity=capacity)
    assert (r.sites_table["weight"] <= capacity + 1e-6).all()
    a = r.assignment
    served = (a["weight"] * a["served_share"])[a["site_id"] != ""].groupby(a["site_id"]).sum()
    assert (served <= capacity + 1e-4).all()
    # the coverage table and headline count no more than the houses can take
    assert r.coverage.iloc[-1]["share_within_10"] * POP.sum() <= 3 * capacity + 1e-6
    assert r.solution["covered_share"] * POP.sum() <= 3 * capacity + 1e-6


def test_a_cut_crossing_never_makes_anyone_faster(tiny_region):
    full = _acute(tiny_region).cells["minutes"].to_numpy()
    for link in LINKS:
        cut = _acute(tiny_region, network={"cut_links": [link]}).cells["minutes"].to_numpy()
        assert (cut >= full - 1e-9).all()
    r = _acute(tiny_region, cuts={link: [link] for link in LINKS})
    for inc in r.loss_cells.values():
        assert (np.nan_to_num(inc, posinf=1e9) >= -1e-9).all()


def test_everything_cut_reports_the_unreachable_in_the_headline(tiny_region):
    r = _acute(tiny_region, network={"cut_links": LINKS})
    # only the cells at A and E (hospitals on the spot) reach one: B, C, D (900 citizens) are cut off
    assert r.table.iloc[-1]["unreachable_population"] == pytest.approx(900)
    h = {x.key: x for x in r.headlines}
    assert h["acute_unreachable"].value == pytest.approx(900)
    assert h["acute_unreachable"].text("en") == ("900 citizens (60.0 %) cannot reach an open acute hospital "
                                                  "by road or ferry at all.")
    assert "900 borgere (60,0 %)" in h["acute_unreachable"].text("da")
    assert "acute_unreachable" not in {x.key for x in _acute(tiny_region).headlines}
