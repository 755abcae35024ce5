"""Cutting the network by crossing name (geoplan.network.cuts) and the scenarios that do it."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from geoplan.config import load_scenario
from geoplan.datadir import REGIONS_DIR, SCENARIOS_DIR
from geoplan.errors import ScenarioError
from geoplan.network.cuts import crossings_by_name, cut_crossings, resolve_cuts
from geoplan.network.strategic import load_region_strategic_network

REGION = REGIONS_DIR / "midtjylland"
SCENARIOS = sorted(SCENARIOS_DIR.glob("*.toml"))


@pytest.fixture(scope="module")
def G():
    return load_region_strategic_network(REGION)


def test_named_crossings(G):
    c = crossings_by_name(G)
    assert c["Hou–Sælvig"].kind == "ferry" and c["Hou–Sælvig"].link_ids == ("hou_havn--saelvig",)
    assert c["Oddesundbroen"].kind == "bridge"
    # one link: rute 26 (Glyngøre and Nykøbing Mors reach the bridge by their spurs)
    assert c["Sallingsundbroen"].link_ids == ("sallingsund_n--sallingsund_s",)
    # the Gudenå bridge is a short link of its own, not 17 km of rute 26
    assert c["Gudenåbroen ved Bjerringbro"].link_ids == ("r26_gudenaa_n--r26_gudenaa_s",)
    assert {x.kind for x in c.values()} <= {"bridge", "dam", "tunnel", "ferry"}


def test_cut_by_name_removes_exactly_that_crossing(G):
    H = cut_crossings(G, ["Hou–Sælvig"])
    gone = {d["link_id"] for *_, d in G.edges(data=True)} - {
        d["link_id"] for *_, d in H.edges(data=True)
    }
    assert gone == {"hou_havn--saelvig"}
    assert G.number_of_edges() - H.number_of_edges() == 2  # both directions
    assert not nx.has_path(H, "aarhus", "tranebjerg") and not nx.has_path(H, "tranebjerg", "aarhus")
    assert nx.has_path(G, "aarhus", "tranebjerg")  # G is untouched
    # case and dash style do not matter
    assert resolve_cuts(G, ["hou-sælvig"]) == resolve_cuts(G, ["HOU — SÆLVIG"]) == ["hou_havn--saelvig"]
    assert resolve_cuts(G, ["Sallingsundbroen"]) == ["sallingsund_n--sallingsund_s"]
    # road sections by link id, mixed with names
    assert resolve_cuts(G, ["e45_randers_c--e45_randers_s", "Oddesundbroen"]) == [
        "e45_randers_c--e45_randers_s",
        "r11_oddesund_n--r11_oddesund_s",
    ]


def test_a_name_on_several_links_cuts_them_all():
    # a crossing that carries two roads (both links share the name): both go, nothing else
    G = nx.MultiDiGraph()
    for n, x in (("a", 0), ("b", 1), ("c", 0), ("d", 1), ("e", 2)):
        G.add_node(n, x=float(x) * 1000, y=0.0)
    rows = [("a", "b", "bridge", "Twin Bridge"), ("c", "d", "bridge", "Twin Bridge"), ("b", "e", "", "")]
    for u, v, kind, name in rows:
        for p, q in ((u, v), (v, u)):
            G.add_edge(p, q, link_id=f"{u}--{v}", crossing=kind, crossing_name=name, ferry=False)
    assert crossings_by_name(G)["Twin Bridge"].link_ids == ("a--b", "c--d")
    assert resolve_cuts(G, ["twin bridge"]) == ["a--b", "c--d"]
    H = cut_crossings(G, ["Twin Bridge"])
    assert sorted(H.edges()) == [("b", "e"), ("e", "b")]


def test_unknown_name_lists_known_names(G):
    with pytest.raises(ScenarioError) as exc:
        resolve_cuts(G, ["Storebæltsbroen"], key="network.cuts", file="x.toml")
    text = str(exc.value)
    assert "x.toml" in text and "network.cuts" in text and "'Storebæltsbroen'" in text
    for known in ("Hou–Sælvig", "Oddesundbroen", "Vejlefjordbroen"):
        assert known in text
    with pytest.raises(ScenarioError, match="did you mean 'Oddesundbroen'"):
        resolve_cuts(G, ["Odesundbroen"])
    with pytest.raises(ScenarioError, match="old numbered link id"):
        resolve_cuts(G, ["L0393"])


def test_stop_ferries_refuses_roads_and_bridges(G):
    assert resolve_cuts(G, ["Hou–Sælvig"], ferries_only=True) == ["hou_havn--saelvig"]
    with pytest.raises(ScenarioError, match="'Oddesundbroen' is a bridge, not a ferry") as exc:
        resolve_cuts(G, ["Oddesundbroen"], ferries_only=True, key="network.stop_ferries")
    assert "Hou–Sælvig" in str(exc.value)  # lists the ferries
    with pytest.raises(ScenarioError, match="is a road, not a ferry"):
        resolve_cuts(G, ["e45_randers_c--e45_randers_s"], ferries_only=True)


def test_scenario_cut_keys_checked_up_front(tmp_path):
    from geoplan.region import load_region
    from geoplan.run.context import RunContext

    region = load_region("midtjylland")
    for body, match in (
        ('[network]\ncuts = ["Atlantis-broen"]\n', "network.cuts"),
        ('[network]\nstop_ferries = ["Vilsundbroen"]\n', "not a ferry"),
        ('[acute.cuts]\n"x" = ["L0393"]\n', "acute.cuts"),
    ):
        p = tmp_path / "s.toml"
        p.write_text(
            f'name = "t"\ntitle = "t"\nregion = "midtjylland"\n[acute]\n{body}'
            if body.startswith("[acute")
            else f'name = "t"\ntitle = "t"\nregion = "midtjylland"\n{body}[acute]\n',
            encoding="utf-8",
        )
        ctx = RunContext(scenario=load_scenario(p), region=region)
        with pytest.raises(ScenarioError, match=match):
            _ = ctx.graph


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_cuts_resolve(G, path):
    s = load_scenario(path)
    sets = dict(s.acute.cuts) if s.acute else {}
    for name, items in sets.items():
        ids = resolve_cuts(G, items, key=f"acute.cuts.{name}", file=path)
        assert ids
        if "Sælvig" in name or "Samsø" in name:  # the Samsø ferry set cuts the Samsø ferry only
            assert ids == ["hou_havn--saelvig"], (path.name, name, ids)
    resolve_cuts(G, [*s.network.cuts, *s.network.cut_links], file=path)
    resolve_cuts(G, s.network.stop_ferries, ferries_only=True, file=path)


def _samsoe_sets() -> list[tuple[Path, str]]:
    out = []
    for path in SCENARIOS:
        s = load_scenario(path)
        for name, items in (s.acute.cuts if s.acute else {}).items():
            if any("sælvig" in i.lower() for i in items):
                out.append((path, name))
    return out


@pytest.mark.needs_data
def test_samsoe_ferry_cut_leaves_samsoe_unreachable(region):
    """In every shipped scenario that cuts the Samsø ferry, all of Samsø (0741) is cut off."""
    from geoplan.routing import CompiledGraph
    from geoplan.run.context import RunContext
    from geoplan.run.steps.acute import acute_sites

    sets = _samsoe_sets()
    assert {p.stem for p, _ in sets} >= {"acute-resilience", "prehospital"}
    done = set()
    for path, name in sets:
        s = load_scenario(path)
        ctx = RunContext(scenario=s, region=region)
        sites = acute_sites(ctx)
        key = (tuple(s.acute.cuts[name]), tuple(sites["site_id"]), s.network.source)
        if key in done:  # the same cut of the same network to the same hospitals
            continue
        done.add(key)
        before = ctx.cells_to(sites, id_column="site_id").nearest()["minutes"].to_numpy()
        H = cut_crossings(ctx.graph, s.acute.cuts[name], key="acute.cuts", file=path)
        cg = CompiledGraph.from_graph(H).with_landmasses(region.land)
        after = ctx.cells_to(sites, id_column="site_id", compiled=cg).nearest()["minutes"].to_numpy()
        cells = ctx.cells
        samsoe = (cells["kode"] == "0741").to_numpy()
        pop = cells["pop"].to_numpy()
        assert np.isfinite(before).all()
        cut_off = ~np.isfinite(after)
        assert (cut_off == samsoe).all(), (path.name, name)  # all of Samsø and nothing else
        assert 3000 < pop[cut_off].sum() < 4500  # about 3,600 residents (3,614 in the cells)
        assert np.allclose(after[~samsoe], before[~samsoe])  # the mainland does not notice
