"""Calibrate the local-road model against real OSM streets (Samsø, central Aarhus).

Run ``python -m geoplan.network.calibrate_local`` (``--help`` for options). For
each OSM area it

1. reads the OSM street graph (the truth: real streets, Danish default
   speeds, :mod:`geoplan.network.osm`);
2. draws random points on land within 150 m of a street and pairs of them
   stratified by straight-line distance (:data:`BINS`, 0.5–20 km), split at
   random into a *fit* half and a *held-out* half;
3. routes every pair on the OSM graph and on the model as if OSM were absent
   (strategic network + local-road grid over the area,
   :func:`geoplan.network.compose.compose_network`);
4. measures the two circuities on the real routes (pairs under 1 km: the
   access circuity; 5 km and more: the grid's), then fits the four
   land-class speeds and the access speed on times (least squares of log time ratios over the fit pairs of
   all areas), within plausible bounds (:data:`geoplan.network.local.SPEED_BOUNDS`);
5. reports the median and worst relative error per area and distance band,
   in sample (fit pairs) and out of sample (held-out pairs), before and
   after; with ``--write`` it stores the fitted values in the parameter file.

The error is ``model / osm - 1`` of door-to-door minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geoplan.network.local import LAND_CLASSES, SPEED_BOUNDS, LocalParameters, read_local_parameters

#: Straight-line distance bands (km) of the pairs.
BINS = ((0.5, 1.0), (1.0, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0))
#: Weight of the pull of each log speed to its prior value (the parameter file's) in the fit.
PRIOR_WEIGHT = 0.02
#: The OSM areas of Region Midtjylland's data, by short name.
AREAS = {"samsoe": "roads/osm_samsoe_2020-03-09.osm.zip", "aarhus": "roads/osm_aarhus_central_split.zip"}


@dataclass
class Area:
    """One OSM area: truth graph, model inputs and the sampled pairs."""

    name: str
    truth: object            # CompiledGraph of the OSM streets
    extent: shapely.Geometry
    pairs: pd.DataFrame      # ox, oy, dx, dy, straight_km, band, fit (bool), osm_min, osm_km
    complete: bool = True    # False: the street file is truncated (fewer pieces than it lists)


def _context():
    from geoplan.datadir import cache_dir, data_dir, input_path
    from geoplan.network.landcover import load_landcover
    from geoplan.network.strategic import load_region_strategic_network
    from geoplan.region import load_region

    region = load_region("midtjylland")
    strategic = load_region_strategic_network(region.folder)
    b = np.asarray(shapely.bounds(region.boundary.geometry.iloc[0])) + np.array([-25e3, -25e3, 25e3, 25e3])
    landcover = load_landcover(input_path(region.manifest, "landcover"), bbox=tuple(b), cache_dir=cache_dir())
    return region, strategic, landcover, data_dir()


def sample_pairs(truth_graph, *, land: shapely.Geometry, area: shapely.Geometry, per_band: int,
                 rng: np.random.Generator, near_m: float = 150.0) -> pd.DataFrame:
    """Random point pairs on land near streets, ``per_band`` per distance band where the area allows."""
    from scipy.spatial import cKDTree

    sxy = np.array([(d["x"], d["y"]) for n, d in truth_graph.nodes(data=True)
                    if any(not e.get("ferry") for *_, e in truth_graph.edges(n, data=True))])
    tree = cKDTree(sxy)
    x0, y0, x1, y1 = shapely.bounds(area)
    pts: list[np.ndarray] = []
    shapely.prepare(area)
    shapely.prepare(land)
    while sum(len(p) for p in pts) < 1500:
        cand = np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)])
        ok = shapely.contains_xy(area, cand[:, 0], cand[:, 1]) & shapely.contains_xy(land, cand[:, 0], cand[:, 1])
        d, _ = tree.query(cand)
        pts.append(cand[ok & (d <= near_m)])
    P = np.vstack(pts)[:1500]
    i, j = np.triu_indices(len(P), k=1)
    dist = np.hypot(*(P[i] - P[j]).T) / 1000.0
    rows = []
    for lo, hi in BINS:
        sel = np.flatnonzero((dist >= lo) & (dist < hi))
        if len(sel) == 0:
            continue
        pick = rng.choice(sel, size=min(per_band, len(sel)), replace=False)
        for p in pick:
            rows.append((*P[i[p]], *P[j[p]], dist[p], f"{lo:g}-{hi:g} km"))
    df = pd.DataFrame(rows, columns=["ox", "oy", "dx", "dy", "straight_km", "band"])
    df["fit"] = rng.random(len(df)) < 0.5
    return df


def _pair_times(cg, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from geoplan.routing import travel_time_matrix

    o = df[["ox", "oy"]].to_numpy()
    d = df[["dx", "dy"]].to_numpy()
    out_t, out_k = np.empty(len(df)), np.empty(len(df))
    # one matrix over the distinct points, then the pairs read off it
    pts, inv = np.unique(np.vstack([o, d]), axis=0, return_inverse=True)
    inv = inv.ravel()
    m = travel_time_matrix(cg, origins_xy=pts, destinations_xy=pts, with_km=True, description="calibration pairs")
    a, b = inv[: len(df)], inv[len(df):]
    out_t[:] = m.minutes[a, b]
    out_k[:] = m.km[a, b]  # type: ignore[index]
    return out_t, out_k


def load_area(name: str, path: Path, *, region, per_band: int, seed: int) -> Area:
    """Truth graph, extent and pairs (with OSM times) of one area."""
    from geoplan.datadir import cache_dir
    from geoplan.network.osm import graph_from_osm_file
    from geoplan.network.patch import patch_area
    from geoplan.routing import CompiledGraph

    H = graph_from_osm_file(path, cache_dir=cache_dir())
    area = shapely.intersection(patch_area(H, buffer_m=0.0), region.land)
    rng = np.random.default_rng(seed)
    df = sample_pairs(H, land=region.land, area=area, per_band=per_band, rng=rng)
    truth = CompiledGraph.from_graph(H).with_landmasses(region.land)
    df["osm_min"], df["osm_km"] = _pair_times(truth, df)
    df = df[np.isfinite(df["osm_min"])].reset_index(drop=True)
    listed, read = H.graph.get("pieces_listed"), H.graph.get("pieces_read")
    complete = not (listed and read and read < listed)
    return Area(name=name, truth=truth, extent=shapely.buffer(area, 3000.0), pairs=df, complete=complete)


def model_times(area: Area, params: LocalParameters, *, region, strategic, landcover) -> tuple[np.ndarray, np.ndarray]:
    """Model minutes and km of the area's pairs (strategic + local over the area, no OSM)."""
    from geoplan.network.compose import compose_network
    from geoplan.routing import CompiledGraph

    G = compose_network(strategic, land=region.land, extent=area.extent, landcover=landcover, params=params)
    cg = CompiledGraph.from_graph(G).with_landmasses(region.land)
    return _pair_times(cg, area.pairs)


def error_table(area: Area, minutes: np.ndarray) -> pd.DataFrame:
    """Median and worst |relative error| per band and sample (fit / held out)."""
    df = area.pairs.assign(err=minutes / area.pairs["osm_min"] - 1.0)
    rows = []
    for sample, part in (("in-sample", df[df["fit"]]), ("out-of-sample", df[~df["fit"]])):
        for band, g in [("all", part), *part.groupby("band", sort=False)]:
            e = g["err"].to_numpy()
            rows.append({"area": area.name, "sample": sample, "band": band, "pairs": len(e),
                         "median_error": float(np.median(e)) if len(e) else math.nan,
                         "median_abs_error": float(np.median(np.abs(e))) if len(e) else math.nan,
                         "worst_abs_error": float(np.max(np.abs(e))) if len(e) else math.nan})
    return pd.DataFrame(rows)


def fit(areas: list[Area], start: LocalParameters, *, region, strategic, landcover,
        log=print) -> LocalParameters:
    """Circuity from route lengths, then the class speeds from times (fit pairs only)."""
    from scipy.optimize import minimize

    # 1. circuities, measured on the real routes of the fit pairs: the shortest band (first and last
    #    stretches dominate) for the access legs, 5 km and more for the grid
    # (only areas whose street file is complete: a truncated file forces detours that are not real)
    complete = [a for a in areas if a.complete] or areas
    fp = pd.concat([a.pairs[a.pairs["fit"]] for a in complete])
    circ = fp["osm_km"] / fp["straight_km"]
    short = circ[fp["straight_km"] < 1.0]
    long_ = circ[fp["straight_km"] >= 5.0]
    ca = float(np.clip(np.median(short), 1.1, 1.6)) if len(short) else start.access_circuity
    cg = float(np.clip(np.median(long_), 1.1, 1.6)) if len(long_) else start.circuity
    params = start.with_values(circuity=round(cg, 3), access_circuity=round(ca, 3))
    log(f"circuity {start.circuity} -> {params.circuity}; access circuity {start.access_circuity} -> "
        f"{params.access_circuity}")
    lo, hi = SPEED_BOUNDS
    lo, hi = max(lo, 20.0), min(hi, 80.0)
    names = [*LAND_CLASSES, "access"]

    def unpack(z):
        v = np.clip(np.exp(z), lo, hi)
        values = {f"speed_{k}": round(float(x), 2) for k, x in zip(LAND_CLASSES, v[:4], strict=True)}
        return params.with_values(access_speed_kph=round(float(v[4]), 2), **values)

    z_prior = np.log([*(start.speed_kph[k] for k in LAND_CLASSES), start.access_speed_kph])

    def loss(z) -> float:
        p = unpack(z)
        # a weak pull to the prior speeds keeps classes the data hardly sees (forest, nature) near them
        total, n = 0.0, 0
        for a in areas:
            t, _ = model_times(a, p, region=region, strategic=strategic, landcover=landcover)
            f = a.pairs["fit"].to_numpy()
            r = np.log(t[f] / a.pairs["osm_min"].to_numpy()[f])
            total += float(np.sum(r[np.isfinite(r)] ** 2))
            n += int(f.sum())
        return total / max(n, 1) + PRIOR_WEIGHT * float(np.sum((z - z_prior) ** 2))

    z0 = np.log([*(params.speed_kph[k] for k in LAND_CLASSES), params.access_speed_kph])
    res = minimize(loss, z0, method="Nelder-Mead", options={"xatol": 0.01, "fatol": 1e-5, "maxfev": 200})
    out = unpack(res.x)
    log(f"speeds {dict(zip(names, np.round(np.exp(z0), 1).tolist(), strict=True))} -> "
        f"{dict(out.speed_kph)}, access {out.access_speed_kph} (loss {loss(z0):.4f} -> {res.fun:.4f})")
    return out


def write_parameters(path: Path, params: LocalParameters, errors: pd.DataFrame, note: str) -> None:
    """Rewrite the values of a ``local_roads.toml`` in place (comments kept) and its [calibration] table."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    out, section = [], ""
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            section = s.split("]")[0].strip("[ ")
            if section == "calibration":
                break
        key = s.split("=")[0].strip() if "=" in s and not s.startswith("#") else None
        comment = line[line.index("#"):] if "#" in line and key else ""
        if key and section == "speed_kph" and key in LAND_CLASSES:
            line = f"{key} = {params.speed_kph[key]:g}".ljust(25) + comment
        elif key in ("circuity", "access_circuity", "access_speed_kph") and section == "":
            line = f"{key} = {getattr(params, key):g}".ljust(25) + comment
        elif key == "source" and section == "":
            line = f'source = "{note}"'
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    out += ["", "[calibration]              # written by python -m geoplan.network.calibrate_local"]
    for _, r in errors[errors["band"] == "all"].iterrows():
        out.append(f'{r["area"]}_{r["sample"].replace("-", "_")} = {{ pairs = {int(r["pairs"])}, '
                   f'median_abs_error = {r["median_abs_error"]:.3f}, worst_abs_error = {r["worst_abs_error"]:.3f}, '
                   f'median_error = {r["median_error"]:.3f} }}')
    tmp = Path(path).with_suffix(".toml.tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m geoplan.network.calibrate_local", description=__doc__.split("\n")[0])
    ap.add_argument("--areas", nargs="+", default=list(AREAS), choices=list(AREAS))
    ap.add_argument("--fit-areas", nargs="+", default=None, choices=list(AREAS),
                    help="areas whose fit pairs tune the parameters (default: all); the others are out of sample")
    ap.add_argument("--per-band", type=int, default=60, help="pairs per distance band and area")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parameters", type=Path, default=None, help="local_roads.toml (default: the region's)")
    ap.add_argument("--write", action="store_true", help="store the fitted values in the parameter file")
    ap.add_argument("--no-fit", action="store_true", help="only measure the errors of the current values")
    ap.add_argument("--json", type=Path, default=None, help="write the error tables as JSON")
    args = ap.parse_args(argv)

    from geoplan.network.compose import local_parameters_path

    region, strategic, landcover, ddir = _context()
    ppath = args.parameters or local_parameters_path(region.folder)
    start = read_local_parameters(ppath)
    areas = [load_area(a, ddir / AREAS[a], region=region, per_band=args.per_band, seed=args.seed + k)
             for k, a in enumerate(args.areas)]
    for a in areas:
        if not a.complete:
            print(f"{a.name}: the street file is truncated; its routes detour where pieces are missing")
        print(f"{a.name}: {len(a.pairs)} pairs ({int(a.pairs['fit'].sum())} fit, "
              f"{int((~a.pairs['fit']).sum())} held out); bands {a.pairs['band'].value_counts().to_dict()}")
    kw = dict(region=region, strategic=strategic, landcover=landcover)
    before = pd.concat([error_table(a, model_times(a, start, **kw)[0]) for a in areas])
    params = start
    if not args.no_fit:
        fit_on = [a for a in areas if args.fit_areas is None or a.name in args.fit_areas]
        params = fit(fit_on, start, **kw)
    after = pd.concat([error_table(a, model_times(a, params, **kw)[0]) for a in areas])
    if args.fit_areas:
        after.loc[~after["area"].isin(args.fit_areas), "sample"] += " (area not fitted)"
    pd.set_option("display.width", 160)
    print("\nbefore (", ppath.name, ")\n", before.round(3).to_string(index=False))
    print("\nafter\n", after.round(3).to_string(index=False))
    summary = {"circuity": params.circuity, "access_circuity": params.access_circuity,
               "access_speed_kph": params.access_speed_kph, "speed_kph": params.speed_kph}
    print("\nparameters:", json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"before": before.to_dict("records"), "after": after.to_dict("records"),
                                         "parameters": summary},
                                        indent=1), encoding="utf-8")
    if args.write and not args.no_fit:
        note = (f"calibrate_local on {', '.join(a.name for a in areas)} ({args.per_band} pairs per band and area, "
                f"seed {args.seed})")
        write_parameters(ppath, params, after, note)
        print(f"wrote {ppath}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
