"""The ``[acute]`` step: drive times to the acute hospitals.

Writes
------
acute_access_by_municipality.csv
    Population, shares within each threshold, mean and 95th percentile minutes
    to the nearest open acute hospital, per municipality and for the region.
acute_access_cells.gpkg
    Per cell: minutes, nearest site.
acute_access_by_hour.csv (``hours = [...]``)
    The same per hour of day, with sites open by their ``opening_hours``
    (hospitals.csv, overridden by ``acute.opening_hours``), on a Monday.
acute_by_function.csv (``by_function = true``)
    Per function (stroke thrombolysis, PCI, …) and municipality: minutes to the
    nearest site that offers it.
acute_n_minus_1.csv (``n_minus_1 = true`` or ``cuts``)
    Close each acute hospital in turn (and cut each listed set of road links or
    ferries): per function and municipality, who is affected and by how many
    minutes.
acute.html, acute_n_minus_1.html
    Maps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.errors import ScenarioError
from geoplan.measures.coverage import access_by_group, round_table
from geoplan.measures.hours import is_open
from geoplan.output.files import write_csv, write_gpkg
from geoplan.routing import CompiledGraph
from geoplan.run.context import (
    CellMeasure,
    RunContext,
    cells_frame,
    municipality_names,
    remove_links,
    select_sites,
)

ACUTE_KINDS = ["acute"]
NEIGHBOUR_KINDS = ["neighbour_acute"]
#: Function columns of hospitals.csv (0/1), in report order.
FUNCTIONS = ["emergency_department", "stroke_thrombolysis", "thrombectomy", "pci", "trauma_centre",
             "obstetrics", "psychiatric_emergency"]


def acute_sites(ctx: RunContext) -> pd.DataFrame:
    """The acute hospitals a scenario counts (own + neighbours' when cross_border), with opening hours."""
    sec = ctx.scenario.acute
    table_file = ctx.region.folder / "hospitals.csv"
    hospitals = _hospitals(ctx)
    kinds = ACUTE_KINDS + (NEIGHBOUR_KINDS if sec.cross_border else [])
    sites = select_sites(hospitals, ids=sec.include, kinds=kinds, exclude=sec.exclude, key="acute",
                         scenario_path=ctx.scenario.path, table_file=table_file)
    if sec.at_hour is not None:
        sites = sites[[is_open(h, hour=sec.at_hour) for h in sites["opening_hours"]]].reset_index(drop=True)
    if sites.empty:
        raise ScenarioError(ctx.scenario.path, "acute: no acute hospital is left open",
                            "remove some ids from acute.exclude (or check acute.at_hour and opening_hours)")
    return sites


def _hospitals(ctx: RunContext):
    sec = ctx.scenario.acute
    table_file = ctx.region.folder / "hospitals.csv"
    hospitals = ctx.region.facilities("hospitals")
    unknown = sorted(set(sec.opening_hours) - set(hospitals["site_id"]))
    if unknown:
        raise ScenarioError(ctx.scenario.path, f"acute.opening_hours: unknown facility {unknown}",
                            f"use site_id values from {table_file}")
    hours = hospitals["opening_hours"].fillna("").astype(str)
    hospitals["opening_hours"] = [sec.opening_hours.get(s, h) for s, h in zip(hospitals["site_id"], hours, strict=True)]
    for site, spec in zip(hospitals["site_id"], hospitals["opening_hours"], strict=True):
        try:
            is_open(spec, hour=0)
        except ValueError as exc:
            where = "acute.opening_hours" if site in sec.opening_hours else f"{table_file} (site {site})"
            raise ScenarioError(ctx.scenario.path if site in sec.opening_hours else table_file,
                                f"{where}: {exc}", "use the form '00-24' or 'Mo-Fr 08-22; Sa-Su 10-18'") from exc
    for f in FUNCTIONS:
        if f in hospitals.columns:
            hospitals[f] = pd.to_numeric(hospitals[f], errors="coerce").fillna(0).astype(int)
    return hospitals


def _nearest_minutes(ctx: RunContext, sites: pd.DataFrame, *, compiled: CompiledGraph | None = None,
                     description: str = "Travel times to hospitals") -> pd.DataFrame:
    """Nearest site and minutes for every cell (columns nearest, minutes).

    One matrix from every cell to *every* hospital of the table is computed per
    graph and cached on the context; any subset of sites (open hours, a
    function, a closure) is then a column selection, not a new shortest-path run.
    """
    if sites.empty:
        return pd.DataFrame({"nearest": [None] * len(ctx.cells), "minutes": np.inf}, index=ctx.cells["cell_id"])
    everything = ctx.region.facilities("hospitals").sort_values("site_id").reset_index(drop=True)
    matrix = ctx.cells_to(everything, id_column="site_id", compiled=compiled, description=description)
    return matrix.subset(destinations=sites["site_id"].to_numpy()).nearest()


def acute(ctx: RunContext) -> None:
    """Drive time from every cell to the nearest open acute hospital (and the optional analyses)."""
    sec = ctx.scenario.acute
    sites = acute_sites(ctx)
    near = _nearest_minutes(ctx, sites)
    minutes = near["minutes"].to_numpy()
    names = municipality_names(ctx)
    region_label = ctx.region.title(ctx.lang)
    table = access_by_group(minutes, ctx.cells["pop"], ctx.cells["kode"], thresholds=sec.thresholds,
                            group_names=names, total_label=region_label)
    table = round_table(table)
    write_csv(table, ctx.out / "acute_access_by_municipality.csv")
    site_names = dict(zip(sites["site_id"], sites["name"], strict=True))
    cells = cells_frame(ctx, minutes=np.round(minutes, 2), nearest_site=near["nearest"].to_numpy(),
                        nearest_name=[site_names.get(s, "") for s in near["nearest"]])
    write_gpkg(cells, ctx.out / "acute_access_cells.gpkg", layer="acute_access")
    ctx.written += ["acute_access_by_municipality.csv", "acute_access_cells.gpkg"]
    total = table.iloc[-1]
    ctx.headlines += acute_headlines(total, thresholds=sec.thresholds)
    results = {"table": table, "cells": cells, "sites": sites}
    ctx.measures["acute"] = CellMeasure(minutes=minutes, label_da="akuthospital",
                                        label_en="acute hospital", thresholds=tuple(sec.thresholds))
    ctx.results["acute"] = results

    if sec.hours:
        results["by_hour"] = _by_hour(ctx, sites)
    if sec.by_function or sec.n_minus_1 or sec.cuts:
        hospitals = _hospitals(ctx)
        results["by_function"] = _by_function(ctx, hospitals) if sec.by_function else None
    if sec.n_minus_1 or sec.cuts:
        results["n_minus_1"] = _n_minus_1(ctx, sites, hospitals)

    if ctx.scenario.output.maps:
        from geoplan.output.scenario_maps import acute_access_map, acute_loss_map

        acute_access_map(ctx, cells=cells, sites=sites, table=table, bands=sec.bands, path=ctx.out / "acute.html",
                         by_hour=results.get("by_hour"))
        ctx.written.append("acute.html")
        if results.get("n_minus_1") is not None:
            acute_loss_map(ctx, losses=ctx.results["n_minus_1_cells"], sites=sites, path=ctx.out / "acute_n_minus_1.html")
            ctx.written.append("acute_n_minus_1.html")
    within30 = total.get("share_within_30", np.nan)
    progress.step(f"acute: {100 * within30:.1f} % within 30 min, mean {total['mean_minutes']:.1f} min")


def acute_headlines(total: pd.Series, *, thresholds) -> list[dict]:
    """Headline sentences (da/en) from the region row of the access table."""
    from geoplan.i18n import fmt_number

    out = []
    t = 30 if 30 in thresholds else thresholds[len(thresholds) // 2]
    share = 100 * float(total[f"share_within_{int(t)}"])
    out.append({
        "key": f"acute_within_{int(t)}", "value": share,
        "da": f"{fmt_number(share, 'da', digits=1)} % af borgerne bor inden for {int(t)} minutters kørsel "
              "fra et akuthospital.",
        "en": f"{fmt_number(share, 'en', digits=1)} % of citizens live within {int(t)} minutes' drive "
              "of an acute hospital.",
    })
    mean, p95 = float(total["mean_minutes"]), float(total["p95_minutes"])
    out.append({
        "key": "acute_mean", "value": mean,
        "da": f"Den gennemsnitlige køretid til nærmeste akuthospital er {fmt_number(mean, 'da', digits=1)} min; "
              f"95 % af borgerne har højst {fmt_number(p95, 'da', digits=0)} min.",
        "en": f"The mean drive to the nearest acute hospital is {fmt_number(mean, 'en', digits=1)} min; "
              f"95 % of citizens have at most {fmt_number(p95, 'en', digits=0)} min.",
    })
    return out


def _by_hour(ctx: RunContext, sites: pd.DataFrame) -> pd.DataFrame:
    """Coverage per hour of day with the sites open at that hour."""
    sec = ctx.scenario.acute
    names = municipality_names(ctx)
    frames = []
    cells_by_hour = {}
    for hour in sec.hours:
        open_mask = np.array([is_open(s, hour=hour) for s in sites["opening_hours"]])
        open_sites = sites[open_mask]
        near = _nearest_minutes(ctx, open_sites)
        cells_by_hour[hour] = near["minutes"].to_numpy()
        t = access_by_group(near["minutes"].to_numpy(), ctx.cells["pop"], ctx.cells["kode"],
                            thresholds=sec.thresholds, group_names=names, total_label=ctx.region.title(ctx.lang))
        t.insert(0, "open_sites", ";".join(open_sites["site_id"]))
        t.insert(0, "hour", hour)
        frames.append(t)
    table = round_table(pd.concat(frames, ignore_index=True))
    write_csv(table, ctx.out / "acute_access_by_hour.csv")
    ctx.written.append("acute_access_by_hour.csv")
    ctx.results["acute_cells_by_hour"] = cells_by_hour
    return table


def _function_sites(hospitals: pd.DataFrame, function: str, *, cross_border: bool, exclude: list[str]) -> pd.DataFrame:
    kinds = {"acute", "hospital"} | ({"neighbour_acute"} if cross_border else set())
    sel = hospitals[(hospitals[function] == 1) & hospitals["kind"].isin(kinds) & ~hospitals["site_id"].isin(exclude)]
    return sel.sort_values("site_id").reset_index(drop=True)


def _functions_present(hospitals: pd.DataFrame) -> list[str]:
    return [f for f in FUNCTIONS if f in hospitals.columns]


def _by_function(ctx: RunContext, hospitals: pd.DataFrame) -> pd.DataFrame:
    """Minutes to the nearest site offering each function, by municipality."""
    sec = ctx.scenario.acute
    names = municipality_names(ctx)
    frames = []
    for f in _functions_present(hospitals):
        fs = _function_sites(hospitals, f, cross_border=sec.cross_border, exclude=sec.exclude)
        near = _nearest_minutes(ctx, fs, description=f"Travel times: {f}")
        t = access_by_group(near["minutes"].to_numpy(), ctx.cells["pop"], ctx.cells["kode"],
                            thresholds=sec.thresholds, group_names=names, total_label=ctx.region.title(ctx.lang))
        t.insert(0, "sites", ";".join(fs["site_id"]))
        t.insert(0, "function", f)
        frames.append(t)
    table = round_table(pd.concat(frames, ignore_index=True))
    write_csv(table, ctx.out / "acute_by_function.csv")
    ctx.written.append("acute_by_function.csv")
    return table


def _loss_rows(ctx, *, loss_type, lost, lost_name, function, before, after, thresholds, names, label):
    """Rows (per municipality + total) describing the change from ``before`` to ``after`` minutes."""
    pop = ctx.cells["pop"].to_numpy()
    kode = ctx.cells["kode"].to_numpy()
    with np.errstate(invalid="ignore"):
        inc = after - before
    inc = np.where(np.isfinite(inc), inc, np.where(np.isfinite(before) & ~np.isfinite(after), np.inf, 0.0))
    affected = inc > 1e-6
    rows = []
    groups = [(k, kode == k) for k in sorted(set(kode))] + [("", np.ones(len(kode), bool))]
    for k, sel in groups:
        a = sel & affected
        w = pop[a]
        finite = np.isfinite(inc[a])
        row = {
            "loss_type": loss_type, "lost": lost, "lost_name": lost_name, "function": function,
            "kode": k, "municipality": names.get(k, label) if k else label,
            "population": float(pop[sel].sum()),
            "affected_population": float(w.sum()),
            "cut_off_population": float(w[~finite].sum()),
            "mean_increase_minutes": float(np.average(inc[a][finite], weights=w[finite])) if w[finite].sum() > 0 else 0.0,
            "max_increase_minutes": float(inc[a][finite].max()) if finite.any() else 0.0,
        }
        for t in thresholds:
            tt = int(t) if float(t).is_integer() else t
            b = float(pop[sel & (before <= t)].sum())
            af = float(pop[sel & (after <= t)].sum())
            row[f"lose_within_{tt}"] = b - af
            row[f"share_within_{tt}_after"] = af / max(float(pop[sel].sum()), 1e-9)
        row["mean_minutes_before"] = _wmean(before[sel], pop[sel])
        row["mean_minutes_after"] = _wmean(after[sel], pop[sel])
        rows.append(row)
    return rows


def _wmean(m, w):
    f = np.isfinite(m)
    return float(np.average(m[f], weights=w[f])) if w[f].sum() > 0 else float("nan")


def _n_minus_1(ctx: RunContext, sites: pd.DataFrame, hospitals: pd.DataFrame) -> pd.DataFrame:
    """Close each own acute hospital in turn, and cut each listed set of links."""
    sec = ctx.scenario.acute
    names = municipality_names(ctx)
    label = ctx.region.title(ctx.lang)
    functions = ["acute"] + _functions_present(hospitals)
    # minutes per function with everything open
    fsites = {"acute": sites}
    for f in functions[1:]:
        fsites[f] = _function_sites(hospitals, f, cross_border=sec.cross_border, exclude=sec.exclude)
    base = {f: _nearest_minutes(ctx, s)["minutes"].to_numpy() for f, s in fsites.items()}
    rows: list[dict] = []
    loss_cells: dict[str, np.ndarray] = {}
    own = sites[sites["kind"].isin(ACUTE_KINDS)]
    with progress.task("N-1: closing each acute hospital", total=len(own) + len(sec.cuts)) as advance:
        for _, h in own.iterrows():
            for f in functions:
                s = fsites[f]
                if h["site_id"] not in set(s["site_id"]):
                    after = base[f]
                else:
                    after = _nearest_minutes(ctx, s[s["site_id"] != h["site_id"]])["minutes"].to_numpy()
                rows += _loss_rows(ctx, loss_type="hospital", lost=h["site_id"], lost_name=h["name"], function=f,
                                   before=base[f], after=after, thresholds=sec.thresholds, names=names, label=label)
                if f == "acute":
                    with np.errstate(invalid="ignore"):
                        loss_cells[f"hospital:{h['site_id']}"] = after - base[f]
            advance(1)
        for cut_name, link_ids in sorted(sec.cuts.items()):
            G = remove_links(ctx.graph, link_ids, scenario_path=ctx.scenario.path)
            cg = CompiledGraph.from_graph(G).with_landmasses(ctx.region.land)
            for f in functions:
                after = _nearest_minutes(ctx, fsites[f], compiled=cg)["minutes"].to_numpy()
                rows += _loss_rows(ctx, loss_type="link", lost=cut_name, lost_name=", ".join(link_ids), function=f,
                                   before=base[f], after=after, thresholds=sec.thresholds, names=names, label=label)
                if f == "acute":
                    with np.errstate(invalid="ignore"):
                        loss_cells[f"link:{cut_name}"] = after - base[f]
            advance(1)
    table = round_table(pd.DataFrame(rows))
    write_csv(table, ctx.out / "acute_n_minus_1.csv")
    ctx.written.append("acute_n_minus_1.csv")
    ctx.results["n_minus_1_cells"] = loss_cells
    ctx.results["acute"]["n_minus_1_cells"] = loss_cells
    return table
