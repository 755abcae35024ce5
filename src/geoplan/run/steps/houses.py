"""The ``[health_houses]``, ``[psychiatry_houses]`` and ``[joint_houses]`` steps.

For each kind of house: travel times from every populated cell to every
candidate site (``candidates.csv``), then a location model (MCLP, p-median,
LSCP or p-center from :mod:`geoplan.locate`) with the existing houses kept
open, and the "how many?" frontier (MCLP for p = p_min..p_max).

Writes, for ``<kind>`` = health_houses / psychiatry_houses:
``<kind>_sites.csv`` / ``.gpkg`` (chosen sites: existing or new, population
served), ``<kind>_assignment.csv`` (cell → site, minutes),
``<kind>_coverage_by_municipality.csv``, ``<kind>_solution.json`` (status,
objective, bound, gap from the solver), ``<kind>_frontier.csv`` / ``.png``
and ``<kind>.html``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.config.houses import HousesSection, JointHousesSection
from geoplan.errors import ScenarioError
from geoplan.i18n import fmt_number
from geoplan.locate import (
    LSCP,
    MCLP,
    JointPlacement,
    PCenter,
    PMedian,
    how_many_frontier,
    plot_frontier,
)
from geoplan.measures.coverage import access_by_group, round_table
from geoplan.output.files import write_csv, write_gpkg, write_text
from geoplan.run.context import CellMeasure, RunContext, municipality_names

KINDS = {
    "health_houses": {"table": "health_houses", "da": "sundhedshus", "en": "health house", "symbol": "health_house"},
    "psychiatry_houses": {"table": "psychiatry_houses", "da": "psykiatrihus", "en": "psychiatry house",
                          "symbol": "psychiatry_house"},
}


def health_houses(ctx: RunContext) -> None:
    _place(ctx, "health_houses", ctx.scenario.health_houses)


def psychiatry_houses(ctx: RunContext) -> None:
    _place(ctx, "psychiatry_houses", ctx.scenario.psychiatry_houses)


# --------------------------------------------------------------------- inputs
def candidate_sites(ctx: RunContext, *, kinds: list[str], exclude: list[str], key: str):
    """Rows of ``candidates.csv`` of the given kinds, minus excluded ids (sorted by site_id)."""
    path = ctx.region.folder / "candidates.csv"
    cands = ctx.region.facilities("candidates")
    unknown_kinds = sorted(set(kinds) - set(cands["kind"]))
    if unknown_kinds:
        raise ScenarioError(ctx.scenario.path, f"{key}.candidate_kinds: unknown kind {unknown_kinds}",
                            f"use kinds found in {path}: {sorted(set(cands['kind']))}")
    unknown = sorted(set(exclude) - set(cands["site_id"]))
    if unknown:
        raise ScenarioError(ctx.scenario.path, f"{key}.exclude: unknown candidate site {unknown}",
                            f"use site_id values from {path}")
    sel = cands[cands["kind"].isin(kinds) & ~cands["site_id"].isin(exclude)]
    return sel.sort_values("site_id").reset_index(drop=True)


def existing_houses(ctx: RunContext, kind: str) -> list[str]:
    """site_ids (in candidates.csv) of the existing houses of a kind."""
    path = ctx.region.folder / f"{KINDS[kind]['table']}.csv"
    if not path.is_file():
        return []
    return sorted(pd.read_csv(path, dtype=str)["house_id"])


def demand_weights(ctx: RunContext, column: str, *, key: str) -> np.ndarray:
    cells = ctx.cells
    numeric = [c for c in cells.columns if c not in ("geometry",) and pd.api.types.is_numeric_dtype(cells[c])]
    if column not in numeric or column in ("x", "y"):
        raise ScenarioError(ctx.scenario.path, f"{key}.weight: unknown demand weight {column!r}",
                            "use 'pop' (all citizens) or 'pop65' (citizens aged 65+)")
    return cells[column].to_numpy(dtype="float64")


def _check_ids(ctx, ids, known, *, key, field):
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ScenarioError(ctx.scenario.path, f"{key}.{field}: unknown or excluded candidate site {unknown}",
                            f"use site_id values from {ctx.region.folder / 'candidates.csv'} of the allowed kinds")


# ---------------------------------------------------------------------- model
def _solve(sec: HousesSection, cost, w, *, site_ids, demand_ids, fixed, groups):
    m = cost.shape[1]
    costs = None
    if sec.site_cost:
        costs = np.array([sec.site_cost.get(s, 0.0) for s in site_ids])
    caps = None if sec.capacity is None else np.full(m, sec.capacity)
    common = {"weights": w, "site_ids": site_ids, "demand_ids": demand_ids, "fixed": fixed or None}
    if sec.model == "mclp":
        model = MCLP.from_cost_matrix(cost, max_minutes=sec.max_minutes, p=sec.p, site_costs=costs, budget=sec.budget,
                                      capacities=caps, groups=groups if sec.min_share_by_municipality else None,
                                      min_share_by_group=sec.min_share_by_municipality, **common)
    elif sec.model == "pmedian":
        model = PMedian.from_cost_matrix(cost, p=sec.p, max_minutes=sec.max_minutes_anyone, site_costs=costs,
                                         budget=sec.budget, capacities=caps, **common)
    elif sec.model == "lscp":
        model = LSCP.from_cost_matrix(cost, max_minutes=sec.max_minutes, site_costs=costs, **common)
    else:
        model = PCenter.from_cost_matrix(cost, p=sec.p, site_costs=costs, budget=sec.budget, **common)
    with progress.task(f"Solving {sec.model} ({cost.shape[0]} cells × {m} sites)"):
        model.solve(solver=sec.solver, time_limit=sec.time_limit, mip_gap=sec.mip_gap)
    return model


def _place(ctx: RunContext, key: str, sec: HousesSection) -> None:
    info = KINDS[key]
    cands = candidate_sites(ctx, kinds=sec.candidate_kinds, exclude=sec.exclude, key=key)
    site_ids = cands["site_id"].tolist()
    existing = [s for s in existing_houses(ctx, key) if s in set(site_ids)] if sec.keep_existing else []
    _check_ids(ctx, sec.fixed, site_ids, key=key, field="fixed")
    fixed = sorted(set(existing) | set(sec.fixed))
    matrix = ctx.cells_to(cands, id_column="site_id", description=f"Travel times to {key.replace('_', ' ')}")
    cost = matrix.minutes.astype("float64")
    w = demand_weights(ctx, sec.weight, key=key)
    model = _solve(sec, cost, w, site_ids=site_ids, demand_ids=ctx.cells["cell_id"].tolist(), fixed=fixed,
                   groups=ctx.cells["kode"].to_numpy())
    chosen = list(model.selected)
    idx = [site_ids.index(s) for s in chosen]
    sub = cost[:, idx]
    near = np.argmin(sub, axis=1)
    minutes = sub[np.arange(len(sub)), near]
    nearest = np.array(chosen, dtype=object)[near]
    if getattr(model, "capacities", None) is not None and model.assignment:
        nearest = np.array([model.assignment.get(c, n) for c, n in zip(ctx.cells["cell_id"], nearest, strict=True)],
                           dtype=object)
        pos = {s: i for i, s in enumerate(site_ids)}
        minutes = cost[np.arange(len(cost)), [pos[s] for s in nearest]]
    nearest = np.where(np.isfinite(minutes), nearest, "")

    # sites table
    names = municipality_names(ctx)
    cells = ctx.cells
    assigned = pd.DataFrame({"site_id": nearest, "pop": cells["pop"], "pop65": cells["pop65"], "w": w,
                             "wm": w * np.where(np.isfinite(minutes), minutes, 0)})
    served = assigned.groupby("site_id").agg(population=("pop", "sum"), pop65=("pop65", "sum"), weight=("w", "sum"),
                                             wm=("wm", "sum"))
    sites = cands[cands["site_id"].isin(chosen)].rename(columns={"population": "town_population"})
    sites["status"] = np.where(sites["site_id"].isin(existing), "existing",
                               np.where(sites["site_id"].isin(sec.fixed), "fixed", "new"))
    sites = sites.join(served, on="site_id")
    sites["mean_minutes_served"] = sites["wm"] / sites["weight"].where(sites["weight"] > 0)
    sites["municipality"] = sites["kommune"].map(names)
    cols = ["site_id", "name", "kind", "status", "kommune", "municipality", "lon", "lat", "population", "pop65",
            "weight", "mean_minutes_served"]  # population/pop65/weight: citizens served (nearest house)
    sites_out = round_table(sites[cols].sort_values("site_id").reset_index(drop=True))
    write_csv(sites_out, ctx.out / f"{key}_sites.csv")
    write_gpkg(sites[[*cols, "geometry"]].sort_values("site_id"), ctx.out / f"{key}_sites.gpkg", layer=key)

    assign = pd.DataFrame({"cell_id": cells["cell_id"], "kode": cells["kode"], "weight": w,
                           "site_id": nearest, "minutes": np.round(minutes, 2)})
    write_csv(round_table(assign), ctx.out / f"{key}_assignment.csv")

    T = sec.max_minutes
    thresholds = sorted({10.0, 15.0, 20.0, 30.0, 45.0, float(T)})
    cov = access_by_group(minutes, w, cells["kode"], thresholds=thresholds, group_names=names,
                          total_label=ctx.region.title(ctx.lang))
    cov = cov.rename(columns={"population": "weight"})
    cov.insert(3, "population", [float(cells.loc[cells["kode"] == k, "pop"].sum()) if k else float(cells["pop"].sum())
                                 for k in cov["kode"]])
    write_csv(round_table(cov), ctx.out / f"{key}_coverage_by_municipality.csv")

    solution = {
        "model": sec.model, "solver": sec.solver, "status": model.status,
        "objective": _num(model.objective), "bound": _num(model.bound), "gap": _num(model.gap),
        "solve_seconds": _num(getattr(model, "solve_seconds", float("nan"))),
        "p": len(chosen), "max_minutes": T, "weight": sec.weight,
        "sites": chosen, "existing": existing, "new": sorted(set(chosen) - set(fixed)),
        "covered_share": _num(float(w[minutes <= T + 1e-9].sum() / w.sum())),
        "mean_minutes": _num(float(np.average(minutes[np.isfinite(minutes)], weights=w[np.isfinite(minutes)]))),
        "candidates": len(site_ids), "demand_rows": int(len(w)),
    }
    write_text(json.dumps(solution, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
               ctx.out / f"{key}_solution.json")
    ctx.written += [f"{key}_sites.csv", f"{key}_sites.gpkg", f"{key}_assignment.csv",
                    f"{key}_coverage_by_municipality.csv", f"{key}_solution.json"]

    frontier = None
    if sec.frontier is not None:
        frontier = _frontier(ctx, key, sec, cost, w, site_ids=site_ids, fixed=fixed)

    ctx.measures[key] = CellMeasure(minutes=minutes.astype("float64"), label_da=info["da"], label_en=info["en"],
                                    thresholds=tuple(thresholds))
    ctx.results[key] = {"sites": sites, "minutes": minutes, "nearest": nearest, "solution": solution,
                        "candidates": cands, "coverage": cov, "frontier": frontier}
    ctx.headlines += _headlines(info, solution, frontier, lang_T=T)
    if ctx.scenario.output.maps:
        from geoplan.output.scenario_maps import houses_map

        houses_map(ctx, key=key, info=info, cells_minutes=minutes, nearest=nearest, sites=sites, candidates=cands,
                   coverage=cov, max_minutes=T, path=ctx.out / f"{key}.html")
        ctx.written.append(f"{key}.html")
    progress.step(f"{key}: {len(chosen)} houses ({model.status}), "
                  f"{100 * solution['covered_share']:.1f} % within {T:g} min")


def _frontier(ctx, key, sec, cost, w, *, site_ids, fixed):
    p_min = sec.frontier.p_min or len(fixed) + 1
    p_max = max(sec.frontier.p_max, p_min)
    if p_min < len(fixed):
        raise ScenarioError(ctx.scenario.path, f"{key}.frontier.p_min = {p_min} is below the {len(fixed)} fixed houses",
                            f"set p_min >= {len(fixed)} or keep_existing = false")
    with progress.task(f"How many {key.replace('_', ' ')}? p = {p_min}..{p_max}", total=None):
        df = how_many_frontier(cost, w, p_values=range(p_min, p_max + 1), max_minutes=sec.max_minutes,
                               fixed=fixed, site_ids=site_ids, solver=sec.solver, time_limit=sec.time_limit,
                               mip_gap=sec.mip_gap, marginal_threshold=sec.frontier.marginal_threshold)
    write_csv(round_table(df), ctx.out / f"{key}_frontier.csv")
    plot_frontier(df, ctx.out / f"{key}_frontier.png", lang=ctx.lang, max_minutes=sec.max_minutes)
    ctx.written += [f"{key}_frontier.csv", f"{key}_frontier.png"]
    return df


def _num(x):
    x = float(x)
    return x if np.isfinite(x) else None


def _headlines(info, solution, frontier, *, lang_T) -> list[dict]:
    share = 100 * solution["covered_share"]
    n, new = solution["p"], len(solution["new"])
    T = int(lang_T) if float(lang_T).is_integer() else lang_T
    out = [{
        "key": f"{info['table']}_covered",
        "value": share,
        "da": f"Med {n} {info['da'].replace('hus', 'huse')} ({new} nye) bor {fmt_number(share, 'da', digits=1)} % "
              f"af borgerne inden for {T} minutter.",
        "en": f"With {n} {info['en']}s ({new} new), {fmt_number(share, 'en', digits=1)} % of citizens live within "
              f"{T} minutes.",
    }]
    if frontier is not None and frontier["below_threshold"].any():
        knee = int(frontier.loc[frontier["below_threshold"], "p"].iloc[0])
        out.append({
            "key": f"{info['table']}_knee", "value": knee,
            "da": f"Hvor mange? Fra {knee} {info['da'].replace('hus', 'huse')} giver hvert ekstra hus under 1 "
                  "procentpoint flere borgere inden for tærsklen.",
            "en": f"How many? From {knee} {info['en']}s on, each extra house adds under 1 percentage point of "
                  "citizens within the threshold.",
        })
    return out


# ---------------------------------------------------------------------- joint
def joint_houses(ctx: RunContext) -> None:
    """Health and psychiatry houses placed together on shared candidates."""
    sec: JointHousesSection = ctx.scenario.joint_houses
    key = "joint_houses"
    cands = candidate_sites(ctx, kinds=sec.candidate_kinds, exclude=sec.exclude, key=key)
    site_ids = cands["site_id"].tolist()
    matrix = ctx.cells_to(cands, id_column="site_id", description="Travel times to candidate sites")
    cost = matrix.minutes.astype("float64")
    wa = demand_weights(ctx, sec.health.weight, key=f"{key}.health")
    wb = demand_weights(ctx, sec.psychiatry.weight, key=f"{key}.psychiatry")
    fa = [s for s in existing_houses(ctx, "health_houses") if s in set(site_ids)] if sec.health.keep_existing else []
    fb = [s for s in existing_houses(ctx, "psychiatry_houses") if s in set(site_ids)] \
        if sec.psychiatry.keep_existing else []
    model = JointPlacement.from_cost_matrix(
        cost, max_minutes_a=sec.health.max_minutes, max_minutes_b=sec.psychiatry.max_minutes, p_a=sec.health.p,
        p_b=sec.psychiatry.p, weights_a=wa, weights_b=wb, site_ids=site_ids,
        demand_ids=ctx.cells["cell_id"].tolist(), fixed_a=fa or None, fixed_b=fb or None,
        colocation=sec.colocation, colocation_bonus=sec.colocation_bonus)
    with progress.task(f"Solving joint placement ({cost.shape[0]} cells × {len(site_ids)} sites)"):
        model.solve(solver=sec.solver, time_limit=sec.time_limit)
    rows = []
    for s in sorted(set(model.selected)):
        r = cands[cands["site_id"] == s].iloc[0]
        rows.append({"site_id": s, "name": r["name"], "kind": r["kind"], "kommune": r["kommune"],
                     "lon": r["lon"], "lat": r["lat"],
                     "health_house": s in model.selected_a, "psychiatry_house": s in model.selected_b,
                     "health_status": "existing" if s in fa else ("new" if s in model.selected_a else ""),
                     "psychiatry_status": "existing" if s in fb else ("new" if s in model.selected_b else ""),
                     "colocated": s in model.colocated})
    sites = pd.DataFrame(rows)
    write_csv(sites, ctx.out / f"{key}_sites.csv")
    names = municipality_names(ctx)
    tables = []
    minutes_by = {}
    for part, sel, w, T in (("health", model.selected_a, wa, sec.health.max_minutes),
                            ("psychiatry", model.selected_b, wb, sec.psychiatry.max_minutes)):
        idx = [site_ids.index(s) for s in sel]
        minutes = cost[:, idx].min(axis=1)
        minutes_by[part] = minutes
        t = access_by_group(minutes, w, ctx.cells["kode"], thresholds=sorted({float(T), 30.0}), group_names=names,
                            total_label=ctx.region.title(ctx.lang))
        t.insert(0, "house", part)
        tables.append(t)
    write_csv(round_table(pd.concat(tables, ignore_index=True)), ctx.out / f"{key}_coverage_by_municipality.csv")
    solution = {"status": model.status, "objective": _num(model.objective), "bound": _num(model.bound),
                "gap": _num(model.gap), "colocation": sec.colocation, "colocated": list(model.colocated),
                "health": list(model.selected_a), "psychiatry": list(model.selected_b),
                "covered_share_health": _num(model.covered_share_a),
                "covered_share_psychiatry": _num(model.covered_share_b)}
    write_text(json.dumps(solution, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
               ctx.out / f"{key}_solution.json")
    ctx.written += [f"{key}_sites.csv", f"{key}_coverage_by_municipality.csv", f"{key}_solution.json"]
    for part, kind in (("health", "health_houses"), ("psychiatry", "psychiatry_houses")):
        info = KINDS[kind]
        ctx.measures[f"joint_{kind}"] = CellMeasure(minutes=minutes_by[part], label_da=info["da"],
                                                    label_en=info["en"], thresholds=(float(getattr(sec, part).max_minutes),))
    sa, sb = 100 * model.covered_share_a, 100 * model.covered_share_b
    ctx.headlines.append({
        "key": "joint", "value": len(model.colocated),
        "da": f"Fælles placering: {len(model.selected_a)} sundhedshuse ({fmt_number(sa, 'da', digits=1)} % inden for "
              f"{sec.health.max_minutes:g} min) og {len(model.selected_b)} psykiatrihuse "
              f"({fmt_number(sb, 'da', digits=1)} % inden for {sec.psychiatry.max_minutes:g} min); "
              f"{len(model.colocated)} steder har begge.",
        "en": f"Joint placement: {len(model.selected_a)} health houses ({fmt_number(sa, 'en', digits=1)} % within "
              f"{sec.health.max_minutes:g} min) and {len(model.selected_b)} psychiatry houses "
              f"({fmt_number(sb, 'en', digits=1)} % within {sec.psychiatry.max_minutes:g} min); "
              f"{len(model.colocated)} sites have both.",
    })
    if ctx.scenario.output.maps:
        from geoplan.output.scenario_maps import joint_houses_map

        joint_houses_map(ctx, sites=sites, minutes_by=minutes_by, sec=sec, path=ctx.out / f"{key}.html")
        ctx.written.append(f"{key}.html")
