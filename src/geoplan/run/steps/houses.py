"""The ``[health_houses]``, ``[psychiatry_houses]`` and ``[joint_houses]`` steps.

For each kind of house: travel times from every populated cell to every
candidate site (``candidates.csv``), then a location model (MCLP, p-median,
LSCP or p-center from :mod:`geoplan.locate`) with the existing houses kept
open, and the "how many?" frontier (MCLP for p = p_min..p_max).

The steps return a :class:`~geoplan.run.results.HousesResult` /
:class:`~geoplan.run.results.JointHousesResult` and write nothing;
:mod:`geoplan.output.houses` writes, for ``<kind>`` = health_houses / psychiatry_houses:
``<kind>_sites.csv`` / ``.gpkg`` (chosen sites: existing or new, population
served), ``<kind>_assignment.csv`` (cell → site, minutes, share served: with a
``capacity`` the model's own capacitated assignment, a cell split between houses
when capacity demands it, never the nearest house),
``<kind>_coverage_by_municipality.csv``, ``<kind>_solution.json`` (status,
objective, bound, gap from the solver), ``<kind>_frontier.csv`` / ``.png``
and ``<kind>.html``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.config import HousesSection
from geoplan.errors import InputError, ScenarioError
from geoplan.i18n import t
from geoplan.locate import JointPlacement, how_many_frontier, model_spec
from geoplan.measures.coverage import (
    Flows,
    access_by_group,
    capacitated_flows,
    flow_coverage,
    nearest_flows,
    round_table,
    threshold_key,
)
from geoplan.run.context import RunContext, municipality_names
from geoplan.run.results import CellMeasure, Headline, HousesResult, JointHousesResult

#: Per kind of house: the fact table of existing houses and the i18n nouns (singular, plural).
KINDS = {
    "health_houses": {"table": "health_houses", "one": "noun.health_house", "many": "noun.health_houses"},
    "psychiatry_houses": {"table": "psychiatry_houses", "one": "noun.psychiatry_house",
                          "many": "noun.psychiatry_houses"},
}


def health_houses(ctx: RunContext) -> HousesResult:
    """Where the health houses go (``[health_houses]``)."""
    assert ctx.scenario.health_houses is not None
    return place_houses(ctx, "health_houses", ctx.scenario.health_houses)


def psychiatry_houses(ctx: RunContext) -> HousesResult:
    """Where the psychiatry houses go (``[psychiatry_houses]``)."""
    assert ctx.scenario.psychiatry_houses is not None
    return place_houses(ctx, "psychiatry_houses", ctx.scenario.psychiatry_houses)


# --------------------------------------------------------------------- inputs
def candidate_sites(ctx: RunContext, *, kinds: list[str], exclude: list[str], key: str) -> gpd.GeoDataFrame:
    """Rows of ``candidates.csv`` of the given kinds, minus excluded ids (sorted by site_id)."""
    path = ctx.region.folder / "candidates.csv"
    cands = ctx.region.facilities("candidates")
    unknown_kinds = sorted(set(kinds) - set(cands["kind"]))
    if unknown_kinds:
        raise ScenarioError(ctx.scenario.file_of(f"{key}.candidate_kinds"),
                            f"{key}.candidate_kinds: unknown kind {unknown_kinds}",
                            f"use kinds found in {path}: {sorted(set(cands['kind']))}")
    unknown = sorted(set(exclude) - set(cands["site_id"]))
    if unknown:
        raise ScenarioError(ctx.scenario.file_of(f"{key}.exclude"), f"{key}.exclude: unknown candidate site {unknown}",
                            f"use site_id values from {path}")
    sel = cands[cands["kind"].isin(kinds) & ~cands["site_id"].isin(exclude)]
    return sel.sort_values("site_id").reset_index(drop=True)


def existing_houses(ctx: RunContext, kind: str) -> list[str]:
    """site_ids (in candidates.csv) of the existing houses of a kind."""
    table = KINDS[kind]["table"]
    path = ctx.region.folder / f"{table}.csv"
    if not path.is_file():
        return []
    ids = ctx.region.facilities(table)["house_id"].tolist()      # checked: house_id present, unique, lon/lat
    known = set(ctx.region.facilities("candidates")["site_id"])
    missing = [(i, h) for i, h in enumerate(ids) if h not in known]
    if missing:
        line, house = missing[0][0] + 2, missing[0][1]
        raise InputError(path, f"line {line}: house_id {house!r} is not a site_id of candidates.csv, so it "
                         "could not be kept open" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                         f"add a row with site_id {house} (kind {kind.removesuffix('s')}) to "
                         f"{ctx.region.folder / 'candidates.csv'}, or correct the house_id")
    return sorted(ids)


def demand_weights(ctx: RunContext, column: str, *, key: str) -> np.ndarray:
    """The demand weight per cell: a numeric column of the cells (``pop``, ``pop65``)."""
    cells = ctx.cells
    numeric = [c for c in cells.columns if c not in ("geometry",) and pd.api.types.is_numeric_dtype(cells[c])]
    if column not in numeric or column in ("x", "y"):
        raise ScenarioError(ctx.scenario.file_of(f"{key}.weight"), f"{key}.weight: unknown demand weight {column!r}",
                            "use 'pop' (all citizens) or 'pop65' (citizens aged 65+)")
    return cells[column].to_numpy(dtype="float64")


def _check_ids(ctx: RunContext, ids: list[str], known: list[str], *, key: str, field: str) -> None:
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ScenarioError(ctx.scenario.file_of(f"{key}.{field}"),
                            f"{key}.{field}: unknown or excluded candidate site {unknown}",
                            f"use site_id values from {ctx.region.folder / 'candidates.csv'} of the allowed kinds")


def _check_counts(ctx: RunContext, key: str, p: int | None, *, n_candidates: int, fixed: list[str],
                  existing: list[str], kinds: list[str], p_max: int | None = None) -> None:
    """The number of houses asked for fits the candidates and the houses kept open (before any matrix)."""
    where = f"(candidate_kinds {kinds}, after exclude)"
    if p is not None and p > n_candidates:
        raise ScenarioError(ctx.scenario.file_of(f"{key}.p"),
                            f"{key}.p = {p}: must be at most the {n_candidates} candidate sites {where}",
                            f"lower p to {n_candidates} or less, or allow more candidate_kinds")
    if p is not None and len(fixed) > p:
        kept = f"{len(existing)} existing kept by keep_existing" if existing else ""
        forced = f"{len(set(fixed) - set(existing))} in fixed" if set(fixed) - set(existing) else ""
        raise ScenarioError(ctx.scenario.file_of(f"{key}.p"),
                            f"{key}.p = {p}: {len(fixed)} houses are open anyway "
                            f"({', '.join(x for x in (kept, forced) if x)}), more than p",
                            f"raise p to at least {len(fixed)}, or set keep_existing = false / fix fewer sites")
    if p_max is not None and p_max > n_candidates:
        raise ScenarioError(ctx.scenario.file_of(f"{key}.frontier.p_max"),
                            f"{key}.frontier.p_max = {p_max}: must be at most the {n_candidates} candidate sites "
                            f"{where}", f"set [{key}.frontier] p_max = {n_candidates} or less")


# ---------------------------------------------------------------------- model
def _model_parameters(sec: HousesSection, m: int, site_ids: list[str], groups: np.ndarray) -> dict[str, Any]:
    """The scenario section's keys as the chosen model's ``from_cost_matrix`` parameters."""
    costs = None
    if sec.site_cost:
        costs = np.array([sec.site_cost.get(s, 0.0) for s in site_ids])
    caps = None if sec.capacity is None else np.full(m, sec.capacity)
    if sec.model == "mclp":
        return {"max_minutes": sec.max_minutes, "p": sec.p, "site_costs": costs, "budget": sec.budget,
                "capacities": caps, "groups": groups if sec.min_share_by_municipality else None,
                "min_share_by_group": sec.min_share_by_municipality}
    if sec.model == "pmedian":
        return {"p": sec.p, "max_minutes": sec.max_minutes_anyone, "site_costs": costs, "budget": sec.budget,
                "capacities": caps}
    if sec.model == "lscp":
        return {"max_minutes": sec.max_minutes, "site_costs": costs}
    return {"p": sec.p, "site_costs": costs, "budget": sec.budget}


def _solve(sec: HousesSection, cost: np.ndarray, w: np.ndarray, *, site_ids: list[str], demand_ids: list[str],
           fixed: list[str], groups: np.ndarray) -> Any:
    m = cost.shape[1]
    model = model_spec(sec.model).cls.from_cost_matrix(
        cost, weights=w, site_ids=site_ids, demand_ids=demand_ids, fixed=fixed or None,
        **_model_parameters(sec, m, site_ids, groups))
    with progress.task(f"Solving {sec.model} ({cost.shape[0]} cells × {m} sites)"):
        model.solve(solver=sec.solver, time_limit=sec.time_limit, mip_gap=sec.mip_gap)
    return model


def place_houses(ctx: RunContext, key: str, sec: HousesSection) -> HousesResult:
    """Solve one kind of house: chosen sites, assignment, coverage, solution, frontier (nothing written)."""
    cands = candidate_sites(ctx, kinds=sec.candidate_kinds, exclude=sec.exclude, key=key)
    site_ids = cands["site_id"].tolist()
    existing = [s for s in existing_houses(ctx, key) if s in set(site_ids)] if sec.keep_existing else []
    _check_ids(ctx, sec.fixed, site_ids, key=key, field="fixed")
    _check_ids(ctx, list(sec.site_cost), ctx.region.facilities("candidates")["site_id"].tolist(), key=key,
               field="site_cost")
    fixed = sorted(set(existing) | set(sec.fixed))
    _check_counts(ctx, key, sec.p, n_candidates=len(site_ids), fixed=fixed, existing=existing,
                  kinds=sec.candidate_kinds,
                  p_max=sec.frontier.p_max if sec.frontier and "p_max" in sec.frontier.model_fields_set else None)
    matrix = ctx.cells_to(cands, id_column="site_id", description=f"Travel times to {key.replace('_', ' ')}")
    cost = matrix.minutes.astype("float64")
    w = demand_weights(ctx, sec.weight, key=key)
    excluded = unreachable_rows(sec, cost, site_ids) if sec.unreachable == "exclude" else np.zeros(len(w), bool)
    w_model = np.where(excluded, 0.0, w)   # left out of the model, still counted (as not covered) in the tables
    model = _solve(sec, cost, w_model, site_ids=site_ids, demand_ids=ctx.cells["cell_id"].tolist(), fixed=fixed,
                   groups=ctx.cells["kode"].to_numpy())
    chosen = list(model.selected)
    idx = [site_ids.index(s) for s in chosen]
    pop, pop65 = ctx.cells["pop"].to_numpy(dtype="float64"), ctx.cells["pop65"].to_numpy(dtype="float64")
    if sec.capacity is not None:
        # the model's own (split) assignment under capacity, not the nearest house
        flows = capacitated_flows(cost, w, idx, np.full(len(idx), float(sec.capacity)),
                                  max_minutes=sec.max_minutes if sec.model == "mclp" else sec.max_minutes_anyone)
    else:
        flows = nearest_flows(cost, idx)
    served_share = flows.share.sum(axis=1)
    primary = np.argmax(flows.share, axis=1)
    # per cell (map, compare): the house carrying its largest share; none where the unserved rest is larger
    top = flows.share[np.arange(len(cost)), primary] if len(idx) else np.zeros(len(cost))
    has = (top > 1e-9) & (top >= 1.0 - served_share - 1e-9)
    nearest = np.where(has, np.array(chosen, dtype=object)[primary], "")
    minutes = np.where(has, cost[:, idx][np.arange(len(cost)), primary], np.inf)

    # sites table: what each house serves (weight, citizens, citizens 65+), from the assignment
    names = municipality_names(ctx)
    cells = ctx.cells
    sub = cost[:, idx]
    with np.errstate(invalid="ignore"):
        wm = np.where(flows.share > 0, sub, 0.0)
    served = pd.DataFrame({"population": pop @ flows.share, "pop65": pop65 @ flows.share,
                           "weight": w @ flows.share, "wm": (w[:, None] * flows.share * wm).sum(axis=0)},
                          index=pd.Index(chosen, name="site_id"))
    sites = cands[cands["site_id"].isin(chosen)].rename(columns={"population": "town_population"})
    sites["status"] = np.where(sites["site_id"].isin(existing), "existing",
                               np.where(sites["site_id"].isin(sec.fixed), "fixed", "new"))
    sites = sites.join(served, on="site_id")
    sites["mean_minutes_served"] = sites["wm"] / sites["weight"].where(sites["weight"] > 0)
    sites["municipality"] = sites["kommune"].map(names)
    cols = ["site_id", "name", "kind", "status", "kommune", "municipality", "lon", "lat", "population", "pop65",
            "weight", "mean_minutes_served"]  # population/pop65/weight: citizens served (assigned to the house)
    sites_table = round_table(sites[cols].sort_values("site_id").reset_index(drop=True))

    assign = assignment_table(flows, sub, w, cells, chosen)
    served_col = assign["served_share"].round(8)   # 4 digits would let a full house look over capacity
    assign = round_table(assign).assign(served_share=served_col)

    T = sec.max_minutes
    thresholds = sorted({10.0, 15.0, 20.0, 30.0, 45.0, float(T)})
    cov = flow_coverage(flows, sub, w, cells["kode"].to_numpy(), thresholds=thresholds, names=names,
                        total_label=ctx.region.title(ctx.lang))
    cov.insert(3, "population", [float(cells.loc[cells["kode"] == k, "pop"].sum()) if k else float(cells["pop"].sum())
                                 for k in cov["kode"]])
    total_row = cov.iloc[-1]

    solution: dict[str, Any] = {
        "model": sec.model, "solver": sec.solver, "status": model.status,
        "objective": float(model.objective), "bound": float(model.bound), "gap": float(model.gap),
        "p": len(chosen), "max_minutes": T, "weight": sec.weight,
        "sites": chosen, "existing": existing, "new": sorted(set(chosen) - set(fixed)),
        "covered_share": float(total_row[f"share_within_{threshold_key(T)}"]),
        "mean_minutes": float(total_row["mean_minutes"]),
        "capacity": sec.capacity, "unserved_weight": float(total_row["unserved_weight"]),
        "unreachable": sec.unreachable, "excluded_cells": int(excluded.sum()),
        "excluded_weight": float(w[excluded].sum()), "excluded_population": float(pop[excluded].sum()),
        "candidates": len(site_ids), "demand_rows": int(len(w)), "population": float(pop.sum()),
        "total_weight": float(w.sum()),
    }
    timings = {f"{key}.solve": float(getattr(model, "solve_seconds", float("nan")))}
    frontier = None
    if sec.frontier is not None:
        frontier = _frontier(ctx, key, sec, cost, w_model, site_ids=site_ids, fixed=fixed)
        if excluded.any():   # shares of everyone, as in the tables (the model saw weight 0 there)
            scale = float(w_model.sum()) / float(w.sum())
            frontier["covered_share"] *= scale
            frontier["marginal_gain"] *= scale
            below = frontier["marginal_gain"] < sec.frontier.marginal_threshold   # NaN (infeasible): False
            frontier["below_threshold"] = below & (below.cumsum() == 1)
    progress.step(f"{key}: {len(chosen)} houses ({model.status}), "
                  f"{100 * solution['covered_share']:.1f} % within {T:g} min")
    return HousesResult(
        step=key, kind=key, section=sec, sites=sites, sites_table=sites_table, candidates=cands,
        assignment=assign, coverage=cov, solution=solution, frontier=frontier, minutes=minutes, nearest=nearest,
        headlines=_headlines(key, solution, frontier, max_minutes=T), timings=timings,
        measures={key: CellMeasure(minutes=minutes.astype("float64"), label_key=KINDS[key]["one"],
                                   thresholds=tuple(thresholds))},
    )


def assignment_table(flows: Flows, sub: np.ndarray, w: np.ndarray, cells: pd.DataFrame,
                     chosen: list[str]) -> pd.DataFrame:
    """``<kind>_assignment.csv``: one row per cell and house serving it (``served_share`` of the cell's
    weight; a cell split by capacity has several rows), and a row with no ``site_id`` for the share
    no house serves (unreachable, or no house within reach has room). Sorted by cell, then site."""
    ii, jj = np.nonzero(flows.share > 0)
    rest = np.clip(1.0 - flows.share.sum(axis=1), 0.0, 1.0)
    kk = np.flatnonzero(rest > 1e-9)
    df = pd.DataFrame({
        "row": np.concatenate([ii, kk]),
        "site_id": np.concatenate([np.array(chosen, dtype=object)[jj], np.full(len(kk), "", dtype=object)]),
        "minutes": np.round(np.concatenate([sub[ii, jj], np.full(len(kk), np.inf)]), 2),
        "served_share": np.concatenate([flows.share[ii, jj], rest[kk]]),
    }).sort_values(["row", "site_id"], kind="stable")
    rows = df["row"].to_numpy()
    return pd.DataFrame({"cell_id": cells["cell_id"].to_numpy()[rows], "kode": cells["kode"].to_numpy()[rows],
                         "weight": w[rows], "site_id": df["site_id"].to_numpy(), "minutes": df["minutes"].to_numpy(),
                         "served_share": df["served_share"].to_numpy()})


def unreachable_rows(sec: HousesSection, cost: np.ndarray, site_ids: list[str]) -> np.ndarray:
    """Cells no allowed candidate reaches within the model's limit (``unreachable = "exclude"``)."""
    allowed = ~np.isin(np.asarray(site_ids, dtype=object), sec.exclude)
    limit = {"lscp": sec.max_minutes, "mclp": sec.max_minutes,
             "pmedian": sec.max_minutes_anyone}.get(sec.model)
    best = np.where(allowed[None, :], cost, np.inf).min(axis=1) if allowed.any() else np.full(len(cost), np.inf)
    return ~np.isfinite(best) if limit is None else ~(best <= limit + 1e-9)


def _frontier(ctx: RunContext, key: str, sec: HousesSection, cost: np.ndarray, w: np.ndarray, *,
              site_ids: list[str], fixed: list[str]) -> pd.DataFrame:
    assert sec.frontier is not None
    p_min = sec.frontier.p_min or len(fixed) + 1
    p_max = max(min(sec.frontier.p_max, len(site_ids)), p_min)   # a p_max written down is checked up front
    if p_min < len(fixed):
        raise ScenarioError(ctx.scenario.file_of(f"{key}.frontier.p_min"),
                            f"{key}.frontier.p_min = {p_min} is below the {len(fixed)} fixed houses",
                            f"set p_min >= {len(fixed)} or keep_existing = false")
    with progress.task(f"How many {key.replace('_', ' ')}? p = {p_min}..{p_max}", total=None):
        # the scenario's own model, capacity, equity floors and budget at every p
        params = _model_parameters(sec, len(site_ids), site_ids, ctx.cells["kode"].to_numpy())
        df = how_many_frontier(cost, w, p_values=range(p_min, p_max + 1), max_minutes=sec.max_minutes,
                               fixed=fixed, site_ids=site_ids, solver=sec.solver, time_limit=sec.time_limit,
                               mip_gap=sec.mip_gap, marginal_threshold=sec.frontier.marginal_threshold,
                               model=sec.model, capacities=params.get("capacities"), groups=params.get("groups"),
                               min_share_by_group=params.get("min_share_by_group"),
                               site_costs=params.get("site_costs"), budget=params.get("budget"),
                               max_minutes_anyone=sec.max_minutes_anyone)
    return df


def _headlines(key: str, solution: dict[str, Any], frontier: pd.DataFrame | None, *,
               max_minutes: float) -> list[Headline]:
    share = 100 * solution["covered_share"]
    many = KINDS[key]["many"]
    out = [Headline.from_label(f"{KINDS[key]['table']}_covered", share, "headline.houses_covered",
                               numbers={"share": (share, 1), "minutes": (max_minutes, None)},
                               n=solution["p"], new=len(solution["new"]), houses=lambda lang: t(many, lang))]
    if solution.get("capacity") is not None and solution.get("unserved_weight", 0.0) > 0:
        lost, total_w = solution["unserved_weight"], solution["total_weight"]
        out.append(Headline.from_label(f"{KINDS[key]['table']}_unserved", lost, "headline.houses_unserved",
                                       numbers={"capacity": (solution["capacity"], 0), "weight": (lost, 0),
                                                "share": (100 * lost / max(total_w, 1e-9), 1)}))
    if solution.get("excluded_weight", 0.0) > 0:
        pop, total = solution["excluded_population"], solution["population"]
        out.append(Headline.from_label(f"{KINDS[key]['table']}_excluded", pop, "headline.houses_excluded",
                                       numbers={"population": (pop, 0), "share": (100 * pop / max(total, 1e-9), 1),
                                                "minutes": (max_minutes, None)}))
    if frontier is not None and frontier["below_threshold"].any():
        knee = int(frontier.loc[frontier["below_threshold"], "p"].iloc[0])
        out.append(Headline.from_label(f"{KINDS[key]['table']}_knee", knee, "headline.houses_knee", knee=knee,
                                       houses=lambda lang: t(many, lang)))
    return out


# ---------------------------------------------------------------------- joint
def joint_houses(ctx: RunContext) -> JointHousesResult:
    """Health and psychiatry houses placed together on shared candidates (nothing written)."""
    sec = ctx.scenario.joint_houses
    assert sec is not None
    key = "joint_houses"
    cands = candidate_sites(ctx, kinds=sec.candidate_kinds, exclude=sec.exclude, key=key)
    site_ids = cands["site_id"].tolist()
    fa = [s for s in existing_houses(ctx, "health_houses") if s in set(site_ids)] if sec.health.keep_existing else []
    fb = [s for s in existing_houses(ctx, "psychiatry_houses") if s in set(site_ids)] \
        if sec.psychiatry.keep_existing else []
    for part, kept in (("health", fa), ("psychiatry", fb)):
        _check_counts(ctx, f"{key}.{part}", getattr(sec, part).p, n_candidates=len(site_ids), fixed=kept,
                      existing=kept, kinds=sec.candidate_kinds)
    wa = demand_weights(ctx, sec.health.weight, key=f"{key}.health")
    wb = demand_weights(ctx, sec.psychiatry.weight, key=f"{key}.psychiatry")
    matrix = ctx.cells_to(cands, id_column="site_id", description="Travel times to candidate sites")
    cost = matrix.minutes.astype("float64")
    model = JointPlacement.from_cost_matrix(
        cost, max_minutes_a=sec.health.max_minutes, max_minutes_b=sec.psychiatry.max_minutes, p_a=sec.health.p,
        p_b=sec.psychiatry.p, weights_a=wa, weights_b=wb, site_ids=site_ids,
        demand_ids=ctx.cells["cell_id"].tolist(), fixed_a=fa or None, fixed_b=fb or None,
        colocation=sec.colocation, colocation_bonus=sec.colocation_bonus,
        site_xy=np.column_stack([cands.geometry.x, cands.geometry.y]),
        colocation_tolerance_m=sec.colocation_tolerance_m)
    with progress.task(f"Solving joint placement ({cost.shape[0]} cells × {len(site_ids)} sites)"):
        model.solve(solver=sec.solver, time_limit=sec.time_limit)
    # co-location by place (within colocation_tolerance_m), not by site id: each site's partners
    partners: dict[str, set[str]] = {}
    for a, b in model.colocated_pairs:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    rows = []
    for s in sorted(set(model.selected)):
        r = cands[cands["site_id"] == s].iloc[0]
        rows.append({"site_id": s, "name": r["name"], "kind": r["kind"], "kommune": r["kommune"],
                     "lon": r["lon"], "lat": r["lat"],
                     "health_house": s in model.selected_a, "psychiatry_house": s in model.selected_b,
                     "health_status": "existing" if s in fa else ("new" if s in model.selected_a else ""),
                     "psychiatry_status": "existing" if s in fb else ("new" if s in model.selected_b else ""),
                     "colocated": s in partners,
                     "colocated_with": ";".join(sorted(partners.get(s, set()) - {s}))})
    sites = pd.DataFrame(rows)
    names = municipality_names(ctx)
    tables = []
    minutes_by = {}
    for part, sel, w, T in (("health", model.selected_a, wa, sec.health.max_minutes),
                            ("psychiatry", model.selected_b, wb, sec.psychiatry.max_minutes)):
        idx = [site_ids.index(s) for s in sel]
        minutes = cost[:, idx].min(axis=1)
        minutes_by[part] = minutes
        tb = access_by_group(minutes, w, ctx.cells["kode"], thresholds=sorted({float(T), 30.0}), group_names=names,
                             total_label=ctx.region.title(ctx.lang))
        tb.insert(0, "house", part)
        tables.append(tb)
    solution = {"status": model.status, "objective": float(model.objective), "bound": float(model.bound),
                "gap": float(model.gap), "colocation": sec.colocation, "colocated": list(model.colocated),
                "colocated_pairs": [list(p) for p in model.colocated_pairs],
                "colocation_tolerance_m": sec.colocation_tolerance_m,
                "health": list(model.selected_a), "psychiatry": list(model.selected_b),
                "covered_share_health": float(model.covered_share_a),
                "covered_share_psychiatry": float(model.covered_share_b)}
    measures = {}
    for part, kind in (("health", "health_houses"), ("psychiatry", "psychiatry_houses")):
        measures[f"joint_{kind}"] = CellMeasure(minutes=minutes_by[part], label_key=KINDS[kind]["one"],
                                                thresholds=(float(getattr(sec, part).max_minutes),))
    sa, sb = 100 * model.covered_share_a, 100 * model.covered_share_b
    headline = Headline.from_label(
        "joint", len(model.colocated), "headline.joint",
        numbers={"share_health": (sa, 1), "share_psychiatry": (sb, 1),
                 "minutes_health": (sec.health.max_minutes, None),
                 "minutes_psychiatry": (sec.psychiatry.max_minutes, None)},
        n_health=len(model.selected_a), n_psychiatry=len(model.selected_b), n_both=len(model.colocated))
    return JointHousesResult(step=key, section=sec, sites=sites,
                             coverage=round_table(pd.concat(tables, ignore_index=True)), solution=solution,
                             minutes_by=minutes_by, measures=measures, headlines=[headline],
                             timings={f"{key}.solve": float(getattr(model, "solve_seconds", float("nan")))})
