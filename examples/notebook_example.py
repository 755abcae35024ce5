"""geoplan from Python: what a notebook does, as a script (tests/test_public_api.py runs it).

Run with:  python examples/notebook_example.py   (needs the input data, see README "Data")
"""

import geopandas as gpd
import pandas as pd

import geoplan

# 1. The region: boundary, municipalities, populated 1-km cells, road network.
region = geoplan.load_region("midtjylland")
print(region)

# 2. A shipped scenario, computed without writing any file (write=True writes ./maps/baseline/).
result = geoplan.run_scenario("scenarios/baseline.toml", write=False, region=region)
print(result)
acute = result["acute"]
print(acute.table[["municipality", "population", "share_within_30", "mean_minutes"]].tail(4).to_string(index=False))
for headline in result.headlines:
    print("-", headline.text("en"))

# 3. Drive times between your own places: DataFrames with lon/lat (or GeoDataFrames in any CRS).
towns = pd.DataFrame({"lon": [10.2039, 8.9733, 9.4018, 8.6212], "lat": [56.1629, 56.1393, 56.4532, 56.3569]},
                     index=pd.Index(["Aarhus", "Herning", "Viborg", "Holstebro"], name="town"))
hospitals = region.facilities("hospitals").set_index("site_id")
acute_sites = hospitals[hospitals["kind"] == "acute"]
times = geoplan.travel_times(region, towns, acute_sites)
print(times.pivot(index="origin_id", columns="destination_id", values="minutes").round(1).to_string())
print(geoplan.nearest(region, towns, acute_sites).round(1).to_string(index=False))

# 4. A location model on a cost matrix: where would two acute hospitals serve most citizens
#    within 30 minutes? (cells × today's acute sites, population as demand)
cells = region.cells
centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cells["x"], cells["y"]), crs=cells.crs,
                           index=cells["cell_id"])  # the cells are squares: route from their centres
matrix = geoplan.travel_times(region, centres, acute_sites)
cost = matrix.pivot(index="origin_id", columns="destination_id", values="minutes").loc[cells["cell_id"]]
model = geoplan.MCLP.from_cost_matrix(cost.to_numpy(), max_minutes=30, p=2, weights=cells["pop"].to_numpy(),
                                      site_ids=list(cost.columns)).solve()
print(f"MCLP p=2: {model.selected}, {100 * model.summary()['covered_share']:.1f} % within 30 min ({model.status})")
