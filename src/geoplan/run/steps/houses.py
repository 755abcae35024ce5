"""The ``[health_houses]``, ``[psychiatry_houses]`` and ``[joint_houses]`` steps.

For each kind of house: travel times from every populated cell to every
candidate site (``candidates.csv``), then a location model (MCLP, p-median,
LSCP or p-center from :mod:`geoplan.locate`) with the existing houses kept
open, and the "how many?" frontier (MCLP for p = p_min..p_max).

The steps return a :class:`~geoplan.run.results.HousesResult` /
:class:`~geoplan.run.results.JointHousesResult` and write nothing;
:mod:`geoplan.output.houses` writes, for ``<kind>`` = health_houses / psychiatry_houses:
``<kind>_sites.csv`` / ``.gpkg`` (chosen sites: existing or new, population
served), ``<kind>_assignment.csv`` (cell → site, minutes),
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
from geoplan.errors import ScenarioError
from geoplan.i18n import t
from geoplan.locate import JointPlacement, how_many_frontier, model_spec
from geoplan.measures.coverage import access_by_group, round_table, weighted_mean
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
    path = ctx.region.folder / f"{KINDS[kind]['table']}.csv"
    if not path.is_file():
        return []
    return sorted(pd.read_csv(path, dtype=str)["house_id"])


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
    sites_table = round_table(sites[cols].sort_values("site_id").reset_index(drop=True))

    assign = round_table(pd.DataFrame({"cell_id": cells["cell_id"], "kode": cells["kode"], "weight": w,
                                       "site_id": nearest, "minutes": np.round(minutes, 2)}))

    T = sec.max_minutes
    thresholds = sorted({10.0, 15.0, 20.0, 30.0, 45.0, float(T)})
    cov = access_by_group(minutes, w, cells["kode"], thresholds=thresholds, group_names=names,
                          total_label=ctx.region.title(ctx.lang))
    cov = cov.rename(columns={"population": "weight"})
    cov.insert(3, "population", [float(cells.loc[cells["kode"] == k, "pop"].sum()) if k else float(cells["pop"].sum())
                                 for k in cov["kode"]])

    solution: dict[str, Any] = {
        "model": sec.model, "solver": sec.solver, "status": model.status,
        "objective": float(model.objective), "bound": float(model.bound), "gap": float(model.gap),
        "p": len(chosen), "max_minutes": T, "weight": sec.weight,
        "sites": chosen, "existing": existing, "new": sorted(set(chosen) - set(fixed)),
        "covered_share": float(w[minutes <= T + 1e-9].sum() / w.sum()),
        "mean_minutes": weighted_mean(minutes, w),
        "candidates": len(site_ids), "demand_rows": int(len(w)),
    }
    timings = {f"{key}.solve": float(getattr(model, "solve_seconds", float("nan")))}
    frontier = None
    if sec.frontier is not None:
        frontier = _frontier(ctx, key, sec, cost, w, site_ids=site_ids, fixed=fixed)
    progress.step(f"{key}: {len(chosen)} houses ({model.status}), "
                  f"{100 * solution['covered_share']:.1f} % within {T:g} min")
    return HousesResult(
        step=key, kind=key, section=sec, sites=sites, sites_table=sites_table, candidates=cands,
        assignment=assign, coverage=cov, solution=solution, frontier=frontier, minutes=minutes, nearest=nearest,
        headlines=_headlines(key, solution, frontier, max_minutes=T), timings=timings,
        measures={key: CellMeasure(minutes=minutes.astype("float64"), label_key=KINDS[key]["one"],
                                   thresholds=tuple(thresholds))},
    )


def _frontier(ctx: RunContext, key: str, sec: HousesSection, cost: np.ndarray, w: np.ndarray, *,
              site_ids: list[str], fixed: list[str]) -> pd.DataFrame:
    assert sec.frontier is not None
    p_min = sec.frontier.p_min or len(fixed) + 1
    p_max = max(sec.frontier.p_max, p_min)
    if p_min < len(fixed):
        raise ScenarioError(ctx.scenario.file_of(f"{key}.frontier.p_min"),
                            f"{key}.frontier.p_min = {p_min} is below the {len(fixed)} fixed houses",
                            f"set p_min >= {len(fixed)} or keep_existing = false")
    with progress.task(f"How many {key.replace('_', ' ')}? p = {p_min}..{p_max}", total=None):
        df = how_many_frontier(cost, w, p_values=range(p_min, p_max + 1), max_minutes=sec.max_minutes,
                               fixed=fixed, site_ids=site_ids, solver=sec.solver, time_limit=sec.time_limit,
                               mip_gap=sec.mip_gap, marginal_threshold=sec.frontier.marginal_threshold)
    return df


def _headlines(key: str, solution: dict[str, Any], frontier: pd.DataFrame | None, *,
               max_minutes: float) -> list[Headline]:
    share = 100 * solution["covered_share"]
    many = KINDS[key]["many"]
    out = [Headline.from_label(f"{KINDS[key]['table']}_covered", share, "headline.houses_covered",
                               numbers={"share": (share, 1), "minutes": (max_minutes, None)},
                               n=solution["p"], new=len(solution["new"]), houses=lambda lang: t(many, lang))]
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
