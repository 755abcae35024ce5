"""The GP listing reader and GP access on real cells, practices and routed travel times."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.access import EnhancedTwoStageFCA, TwoStageFCA
from geoplan.access.practices import (
    CAPACITY_NOTE,
    gp_access,
    read_facility_listing,
    read_gp_practices,
)
from geoplan.datadir import data_dir
from geoplan.errors import InputError

LISTING = "facilities/gp_hospital_pharmacy_dk.csv"
PAD = " " * 12


def write(tmp_path, text, name="listing.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_reader_takes_the_last_three_fields_and_keeps_commas_in_names(tmp_path):
    p = write(tmp_path, "\ufeffEntityName,EntityTypeName,lat,lon\n"
              f"Lægehuset Ry{PAD},General Practitoner,56.09,9.76\n"
              f"Lægerne Hansen, Holm og Ravn{PAD},General Practitoner,56.15,10.20\n"
              f'"Lægehuset, Odder"{PAD},General Practitoner,55.97,10.15\n'
              f'"Dr. ""Kim"" Hansen, Samsø",General Practitoner,55.86,10.61\n'
              "\n"
              f"Skanderborg Apotek{PAD},Pharmacy,56.04,9.93\n"
              f"Aarhus Universitetshospital{PAD},Hospital,56.19,10.17\n")
    listing = read_facility_listing(p)
    assert listing["name"].tolist() == ["Lægehuset Ry", "Lægerne Hansen, Holm og Ravn", "Lægehuset, Odder",
                                        'Dr. "Kim" Hansen, Samsø', "Skanderborg Apotek",
                                        "Aarhus Universitetshospital"]
    assert listing["kind"].tolist() == ["gp"] * 4 + ["pharmacy", "hospital"]
    assert listing.crs == "EPSG:25832"
    assert listing["lat"].tolist()[1] == 56.15 and listing["lon"].tolist()[1] == 10.20
    # Aarhus (10.2 E, 56.15 N) is about 574 km east, 6223 km north in UTM 32N
    assert 570_000 < listing["x"].iloc[1] < 580_000 and 6_220_000 < listing["y"].iloc[1] < 6_230_000
    gp = read_gp_practices(p)
    assert len(gp) == 4 and (gp["capacity"] == 1.0).all() and gp.attrs["capacity_note"] == CAPACITY_NOTE
    assert set(gp.columns) >= {"site_id", "name", "kind", "capacity", "geometry"}


def test_site_ids_are_stable_under_reordering(tmp_path):
    rows = [f"Praksis {k}{PAD},General Practitoner,56.{k:02d},9.{k:02d}" for k in range(1, 9)]
    rows.append(rows[2])  # an identical repeated line gets a suffix, not a clash
    a = read_facility_listing(write(tmp_path, "EntityName,EntityTypeName,lat,lon\n" + "\n".join(rows) + "\n"))
    b = read_facility_listing(write(tmp_path, "EntityName,EntityTypeName,lat,lon\n"
                                    + "\n".join(reversed(rows[:-1])) + "\n", name="b.csv"))
    assert a["site_id"].is_unique
    assert a["site_id"].iloc[-1] == a["site_id"].iloc[2] + "-2"
    ids_a = dict(zip(a["name"].iloc[:-1], a["site_id"].iloc[:-1], strict=True))
    ids_b = dict(zip(b["name"], b["site_id"], strict=True))
    assert ids_a == ids_b


def test_filter_to_a_polygon(tmp_path):
    p = write(tmp_path, "EntityName,EntityTypeName,lat,lon\n"
              "Inde,General Practitoner,56.15,10.20\nUde,General Practitoner,55.40,10.40\n")
    listing = read_facility_listing(p)
    x, y = listing["x"].iloc[0], listing["y"].iloc[0]
    box = shapely.box(x - 1000, y - 1000, x + 1000, y + 1000)
    assert read_gp_practices(p, within=box)["name"].tolist() == ["Inde"]
    assert len(read_gp_practices(p)) == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["empty"]),
        ("Name,Type,latitude,longitude\nA,General Practitoner,56,10\n", ["line 1", "header"]),
        ("EntityName,EntityTypeName,lat,lon\nA,General Practitoner,56.1\n", ["line 2", "field(s)"]),
        ("EntityName,EntityTypeName,lat,lon\nA,General Practitoner,56.1,10\nB,General Practitoner,x,10\n",
         ["line 3", "lat"]),
        ("EntityName,EntityTypeName,lat,lon\nA,General Practitoner,10.2,56.1\n", ["line 2", "outside Denmark"]),
        ("EntityName,EntityTypeName,lat,lon\n   ,General Practitoner,56.1,10.2\n", ["line 2", "EntityName"]),
        ("EntityName,EntityTypeName,lat,lon\n", ["no data lines"]),
    ],
)
def test_reader_errors_name_file_and_line(tmp_path, text, words):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_facility_listing(p)
    msg = str(exc.value)
    assert "listing.csv" in msg
    for w in words:
        assert w in msg


def test_reader_refuses_non_utf8_and_missing_files(tmp_path):
    p = write(tmp_path, "EntityName,EntityTypeName,lat,lon\nÅrhus Lægehus,General Practitoner,56.1,10.2\n",
              encoding="latin-1")
    with pytest.raises(InputError, match="line 2: not UTF-8"):
        read_facility_listing(p)
    with pytest.raises(InputError, match="file not found"):
        read_facility_listing(tmp_path / "nope.csv")


# ------------------------------------------------------------------ real data
@pytest.mark.needs_data
def test_real_listing_counts_every_gp_line():
    path = data_dir() / LISTING
    with path.open(encoding="utf-8") as f:
        lines = f.read().splitlines()[1:]
    expected = sum(1 for s in lines if s.strip() and s.rsplit(",", 3)[1] == "General Practitoner")
    listing = read_facility_listing(path)
    assert (listing["kind"] == "gp").sum() == expected
    assert listing["site_id"].is_unique
    # csv-quoted names agree with the csv module wherever the line parses into four fields
    with path.open(encoding="utf-8", newline="") as f:
        parsed = [r for r in csv.reader(f)][1:]
    four = [r[0].strip() for r in parsed if len(r) == 4]
    assert set(four) <= set(listing["name"])


@pytest.mark.needs_data
def test_gp_access_on_real_cells_matches_pysal(region):
    access = pytest.importorskip("access")
    from geoplan.routing import CompiledGraph, travel_time_matrix

    kodes = ["0615", "0727", "0741", "0746"]  # Horsens, Odder, Samsø, Skanderborg
    cells = region.cells[region.cells["kode"].isin(kodes)].reset_index(drop=True)
    gp = read_gp_practices(region=region, buffer_m=2000)
    assert len(gp) > 300  # the region holds several hundred practices
    cg = CompiledGraph.from_graph(region.network()).with_landmasses(region.land)
    ttm = travel_time_matrix(cg, origins_xy=cells[["x", "y"]].to_numpy(), destinations_xy=gp[["x", "y"]].to_numpy(),
                             origin_ids=cells["cell_id"].to_numpy(), destination_ids=gp["site_id"].to_numpy(),
                             max_minutes=45)
    pop = cells.set_index("cell_id")["pop"]
    cap = gp.set_index("site_id")["capacity"]
    frame = ttm.to_frame().rename(columns={"destination": "dest", "minutes": "cost"})
    frame["cost"] = frame["cost"].astype(float)
    A = access.Access(demand_df=pop.rename("pop").reset_index(), demand_index="cell_id", demand_value="pop",
                      supply_df=cap.rename("doc").reset_index(), supply_index="site_id", supply_value="doc",
                      cost_df=frame, cost_origin="origin", cost_dest="dest", cost_name="cost")
    ours = TwoStageFCA.from_cost_matrix(ttm, demand=pop, supply=cap, max_minutes=15).solve().access
    ref = A.two_stage_fca(name="t", max_cost=15)["t_doc"].reindex(pop.index).to_numpy()
    np.testing.assert_allclose(ours["access"].to_numpy(), ref, rtol=1e-9, atol=0)
    ours = EnhancedTwoStageFCA.from_cost_matrix(ttm, demand=pop, supply=cap, max_minutes=30).solve().access
    ref = A.enhanced_two_stage_fca(name="e", max_cost=30)["e_doc"].reindex(pop.index).to_numpy()
    np.testing.assert_allclose(ours["access"].to_numpy(), ref, rtol=1e-9, atol=0)
    ours = EnhancedTwoStageFCA.from_cost_matrix(ttm, demand=pop, supply=cap, max_minutes=30,
                                                gaussian_width=10).solve().access
    ref = A.enhanced_two_stage_fca(name="g", max_cost=30, weight_fn=access.weights.gaussian(10),
                                   normalize=True)["g_doc"].reindex(pop.index).to_numpy()
    np.testing.assert_allclose(ours["access_norm"].to_numpy(), ref, rtol=1e-9, atol=0)

    # per-municipality summaries, recomputed by hand from the cell table
    res = gp_access(cells, gp, ttm, method="2sfca", max_minutes=15, group_by=["kode", "navn"])
    assert len(res.cells) == len(cells) and res.groups["kode"].tolist() == sorted(kodes)
    c = res.cells.assign(a0=res.cells["access"].fillna(0.0))
    for _, row in res.groups.iterrows():
        g = c[c["kode"] == row["kode"]]
        assert row["pop"] == pytest.approx(g["pop"].sum())
        assert row["mean_access"] == pytest.approx((g["a0"] * g["pop"]).sum() / g["pop"].sum(), rel=1e-12)
        zero = g.loc[(g["a0"] == 0) & (g["pop"] > 0), "pop"].sum() / g["pop"].sum()
        assert row["zero_access_share"] == pytest.approx(zero, abs=1e-12)
        assert 0.0 <= row["zero_access_share"] <= 1.0
    # Samsø's practices serve only the island: 15 minutes reaches no mainland practice, so the island's
    # access is its practices shared among its own population
    samso = res.groups.set_index("kode").loc["0741"]
    assert samso["mean_per_1000"] > 0
    # Horsens (a town) has a smaller share without a practice in 15 minutes than Samsø
    horsens = res.groups.set_index("kode").loc["0615"]
    assert horsens["zero_access_share"] <= samso["zero_access_share"]
    # a longer catchment never leaves more people without a practice
    wider = gp_access(cells, gp, ttm, method="2sfca", max_minutes=30)
    assert (wider.groups["zero_access_pop"].to_numpy() <= res.groups["zero_access_pop"].to_numpy() + 1e-9).all()
    assert isinstance(res.groups, pd.DataFrame)
