"""Network build figures: cut as a mask on the compiled graph vs recompiling, on the region.

``python benchmarks/network_build.py`` (needs the shared data; builds the region network
cache on first use). For every named cut of ``scenarios/acute-resilience.toml`` it times
``CompiledGraph.from_graph`` of the cut graph (the old way) against
``CompiledGraph.without_edges`` on the compiled uncut graph (the new way), checks that both
give the same fingerprint and the same cell→hospital times, and prints the ratio measured in
the same run. The last line is one JSON object. The cold region build (empty cache) is
timed by hand, see the report in the module history: it is an end-to-end figure, not a ratio.
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from pathlib import Path

import numpy as np

from geoplan.network.cuts import cut_crossings, resolve_cuts
from geoplan.region.region import load_region
from geoplan.routing import AccessModel, CompiledGraph, travel_time_matrix

ROOT = Path(__file__).resolve().parents[1]


def bench_cut_mask() -> dict:
    region = load_region("midtjylland")
    G = region.network()
    cg = CompiledGraph.from_graph(G).with_landmasses(region.land)
    cells = region.cells[["x", "y"]].to_numpy()
    hospitals = region.facilities("hospitals")[["x", "y"]].to_numpy()
    access = AccessModel(k=4, max_snap_m=30_000.0)
    cuts = tomllib.loads((ROOT / "scenarios" / "acute-resilience.toml").read_text(encoding="utf-8"))["acute"]["cuts"]
    out: dict = {"load_average": os.getloadavg()[0], "cuts": {}}
    for name, items in sorted(cuts.items()):
        H = cut_crossings(G, items)
        t0 = time.perf_counter()
        rebuilt = CompiledGraph.from_graph(H).with_landmasses(region.land)
        t_rebuild = time.perf_counter() - t0
        t0 = time.perf_counter()
        drop = set(resolve_cuts(G, items))
        edges = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("link_id") in drop]
        masked = cg.without_edges(H, edges)
        t_mask = time.perf_counter() - t0
        a = travel_time_matrix(masked, origins_xy=cells, destinations_xy=hospitals, access=access).minutes
        b = travel_time_matrix(rebuilt, origins_xy=cells, destinations_xy=hospitals, access=access).minutes
        same = bool(masked.fingerprint == rebuilt.fingerprint and np.array_equal(a, b, equal_nan=True))
        out["cuts"][name] = {"rebuild_s": round(t_rebuild, 3), "mask_s": round(t_mask, 3),
                             "speedup": round(t_rebuild / t_mask, 1), "equal": same}
        print(f"{name:45s} recompile {t_rebuild:6.2f} s  mask {t_mask:5.2f} s  "
              f"×{t_rebuild / t_mask:5.1f}  equal={same}")
    return out


if __name__ == "__main__":
    print(json.dumps(bench_cut_mask(), ensure_ascii=False))
