"""The ``[acute]`` step: drive times to the acute hospitals.

:func:`acute` computes an :class:`~geoplan.run.results.AcuteResult` and writes
nothing; :func:`geoplan.output.acute.write_acute` turns it into these files:

acute_access_by_municipality.csv
    Population, shares within each threshold, mean and 95th percentile minutes
    to the nearest open acute hospital, per municipality and for the region
    (with ``at_hour``: a first column ``hour``; only the sites open then count).
acute_access_cells.gpkg
    Per cell: minutes, nearest site.
acute_access_by_hour.csv (``hours = [...]``)
    The same per hour of day, with sites open by their ``opening_hours``
    (hospitals.csv, overridden by ``acute.opening_hours``), on a Monday.
acute_by_function.csv (``by_function = true``)
    Per hour (``at_hour``, empty = every site open, then each of ``hours``),
    function (stroke thrombolysis, PCI, …) and municipality: minutes to the
    nearest site that offers it and is open then.
acute_n_minus_1.csv (``n_minus_1 = true`` or ``cuts``)
    Close each acute hospital in turn (and cut each listed set of road links or
    ferries), at ``at_hour``: per function and municipality, who is affected and
    by how many minutes.
acute.html, acute_n_minus_1.html
    Maps.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import progress
from geoplan.config import AcuteSection
from geoplan.errors import InputError, ScenarioError
from geoplan.measures.coverage import access_by_group, round_table, threshold_key, weighted_mean
from geoplan.measures.hours import is_open
from geoplan.network.cuts import resolve_cuts
from geoplan.routing import CompiledGraph
from geoplan.run.context import (
    RunContext,
    cells_frame,
    municipality_names,
    remove_links,
    select_sites,
)
from geoplan.run.results import AcuteResult, CellMeasure, Headline

ACUTE_KINDS = ["acute"]
NEIGHBOUR_KINDS = ["neighbour_acute"]
#: Function columns of hospitals.csv (0/1), in report order.
FUNCTIONS = ["emergency_department", "stroke_thrombolysis", "thrombectomy", "pci", "trauma_centre",
             "obstetrics", "psychiatric_emergency"]


def open_at(sites: pd.DataFrame, hour: int | None) -> pd.DataFrame:
    """The rows of ``sites`` open at ``hour`` by their ``opening_hours`` (all rows when ``hour`` is None).

    An empty ``opening_hours`` counts as closed at every hour (see :mod:`geoplan.measures.hours`).
    """
    if hour is None:
        return sites.reset_index(drop=True)
    mask = np.array([is_open(h, hour=hour) for h in sites["opening_hours"]], dtype=bool)
    return sites[mask].reset_index(drop=True)


def table_hours(sec: AcuteSection) -> list[int | None]:
    """The hours the per-function table is computed for: the headline hour (``at_hour``; None = every
    site open) first, then each further hour of ``hours``."""
    return [sec.at_hour] + [h for h in sec.hours if h != sec.at_hour]


def all_acute_sites(ctx: RunContext) -> gpd.GeoDataFrame:
    """The acute hospitals a scenario counts (own + neighbours' when cross_border), whatever their hours."""
    sec = ctx.scenario.acute
    assert sec is not None
    table_file = ctx.region.folder / "hospitals.csv"
    hospitals = _hospitals(ctx)
    kinds = ACUTE_KINDS + (NEIGHBOUR_KINDS if sec.cross_border else [])
    return select_sites(hospitals, ids=sec.include, kinds=kinds, exclude=sec.exclude, key="acute",
                        scenario_path=ctx.scenario.file_of("acute"), table_file=table_file)


def acute_sites(ctx: RunContext) -> gpd.GeoDataFrame:
    """The acute hospitals a scenario counts, open at ``acute.at_hour`` (all of them without it)."""
    sec = ctx.scenario.acute
    assert sec is not None
    sites = open_at(all_acute_sites(ctx), sec.at_hour)
    if sites.empty:
        raise ScenarioError(ctx.scenario.file_of("acute.exclude"), "acute: no acute hospital is left open",
                            "remove some ids from acute.exclude (or check acute.at_hour and opening_hours)")
    return sites


def _hospitals(ctx: RunContext) -> gpd.GeoDataFrame:
    sec = ctx.scenario.acute
    assert sec is not None
    table_file = ctx.region.folder / "hospitals.csv"
    hospitals = ctx.region.facilities("hospitals")
    unknown = sorted(set(sec.opening_hours) - set(hospitals["site_id"]))
    if unknown:
        raise ScenarioError(ctx.scenario.file_of("acute.opening_hours"), f"acute.opening_hours: unknown facility {unknown}",
                            f"use site_id values from {table_file}")
    known_kinds = [*ACUTE_KINDS, *NEIGHBOUR_KINDS, "hospital"]
    odd = ~hospitals["kind"].isin(known_kinds)
    if odd.any():   # a typo ('acut') would silently drop the site from every acute measure
        i = int(np.flatnonzero(odd.to_numpy())[0])
        raise InputError(table_file, f"line {i + 2} (site_id {hospitals['site_id'].iloc[i]}): "
                         f"kind={hospitals['kind'].iloc[i]!r} is not a hospital kind",
                         f"use one of {', '.join(known_kinds)}")
    hours = hospitals["opening_hours"].fillna("").astype(str)
    hospitals["opening_hours"] = [sec.opening_hours.get(s, h) for s, h in zip(hospitals["site_id"], hours, strict=True)]
    for site, spec in zip(hospitals["site_id"], hospitals["opening_hours"], strict=True):
        try:
            is_open(spec, hour=0)
        except ValueError as exc:
            where = "acute.opening_hours" if site in sec.opening_hours else f"site_id {site}: opening_hours"
            raise ScenarioError(ctx.scenario.file_of("acute.opening_hours") if site in sec.opening_hours else table_file,
                                f"{where}: {exc}", "use the form '00-24' or 'Mo-Fr 08-22; Sa-Su 10-18'") from exc
    for f in FUNCTIONS:
        if f in hospitals.columns:
            flags = hospitals[f].fillna("").astype(str).str.strip()
            bad = ~flags.isin(["", "0", "1", "0.0", "1.0"])
            if bad.any():   # a typo ('yes', 'x') must not silently mean "not offered"
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(table_file, f"line {i + 2} (site_id {hospitals['site_id'].iloc[i]}): "
                                 f"{f}={flags.iloc[i]!r} is not 0 or 1",
                                 f"write {f} as 1 (the site offers it) or 0 / empty (it does not)")
            hospitals[f] = pd.to_numeric(flags.replace("", "0")).astype(int)
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


def acute(ctx: RunContext) -> AcuteResult:
    """Drive time from every cell to the nearest open acute hospital (and the optional analyses).

    Returns
    -------
    AcuteResult
        Tables, cells, headlines and the ``"acute"`` cell measure; nothing is written.
    """
    sec = ctx.scenario.acute
    assert sec is not None
    sites = acute_sites(ctx)
    near = _nearest_minutes(ctx, sites)
    minutes = near["minutes"].to_numpy()
    names = municipality_names(ctx)
    region_label = ctx.region.title(ctx.lang)
    table = access_by_group(minutes, ctx.cells["pop"], ctx.cells["kode"], thresholds=sec.thresholds,
                            group_names=names, total_label=region_label)
    table = round_table(table)
    if sec.at_hour is not None:   # the table is for one hour of day: say which
        table.insert(0, "hour", pd.array([sec.at_hour] * len(table), dtype="Int64"))
    site_names = dict(zip(sites["site_id"], sites["name"], strict=True))
    cells = cells_frame(ctx, minutes=np.round(minutes, 2), nearest_site=near["nearest"].to_numpy(),
                        nearest_name=[site_names.get(s, "") for s in near["nearest"]])
    total = table.iloc[-1]
    result = AcuteResult(
        step="acute", hour=sec.at_hour, sites=sites, table=table, cells=cells, thresholds=tuple(sec.thresholds),
        bands=tuple(sec.bands), headlines=acute_headlines(total, thresholds=sec.thresholds),
        measures={"acute": CellMeasure(minutes=minutes, label_key="noun.acute_hospital",
                                       thresholds=tuple(sec.thresholds))},
    )
    if sec.hours:
        result.by_hour, result.cells_by_hour = _by_hour(ctx, all_acute_sites(ctx))
    if sec.by_function or sec.n_minus_1 or sec.cuts:
        hospitals = _hospitals(ctx)
        if sec.by_function:
            result.by_function = _by_function(ctx, hospitals)
        if sec.n_minus_1 or sec.cuts:
            result.n_minus_1, result.loss_cells = _n_minus_1(ctx, sites, hospitals)
            result.cut_lines = cut_link_lines(ctx)
    within30 = total.get("share_within_30", np.nan)
    progress.step(f"acute: {100 * within30:.1f} % within 30 min, mean {total['mean_minutes']:.1f} min")
    return result


def acute_headlines(total: pd.Series, *, thresholds: list[float]) -> list[Headline]:
    """Headline sentences (da/en) from the region row of the access table."""
    t = 30 if 30 in thresholds else thresholds[len(thresholds) // 2]
    share = 100 * float(total[f"share_within_{int(t)}"])
    mean, p95 = float(total["mean_minutes"]), float(total["p95_minutes"])
    out = [
        Headline.from_label(f"acute_within_{int(t)}", share, "headline.acute_within",
                            numbers={"share": (share, 1)}, minutes=int(t)),
    ]
    lost = float(total.get("unreachable_population", 0.0))
    if lost > 0:   # cut off by cuts, closed sites or an island: said first, not hidden in a mean
        lost_share = 100 * lost / max(float(total["population"]), 1e-9)
        out.append(Headline.from_label("acute_unreachable", lost, "headline.acute_unreachable",
                                       numbers={"population": (lost, 0), "share": (lost_share, 1)}))
    out.append(Headline.from_label("acute_mean", mean, "headline.acute_mean",
                                   numbers={"mean": (mean, 1), "p95": (p95, 0)}))
    return out


def _by_hour(ctx: RunContext, sites: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Coverage per hour of day with the sites open at that hour (table, minutes per cell per hour).

    ``sites`` are all the acute hospitals counted, *not* those open at ``at_hour``: each hour
    selects its own open sites.
    """
    sec = ctx.scenario.acute
    assert sec is not None
    names = municipality_names(ctx)
    frames = []
    cells_by_hour = {}
    for hour in sec.hours:
        open_sites = open_at(sites, hour)
        near = _nearest_minutes(ctx, open_sites)
        cells_by_hour[hour] = near["minutes"].to_numpy()
        t = access_by_group(near["minutes"].to_numpy(), ctx.cells["pop"], ctx.cells["kode"],
                            thresholds=sec.thresholds, group_names=names, total_label=ctx.region.title(ctx.lang))
        t.insert(0, "open_sites", ";".join(open_sites["site_id"]))
        t.insert(0, "hour", hour)
        frames.append(t)
    return round_table(pd.concat(frames, ignore_index=True)), cells_by_hour


def _function_sites(hospitals: pd.DataFrame, function: str, *, cross_border: bool, exclude: list[str]) -> pd.DataFrame:
    kinds = {"acute", "hospital"} | ({"neighbour_acute"} if cross_border else set())
    sel = hospitals[(hospitals[function] == 1) & hospitals["kind"].isin(kinds) & ~hospitals["site_id"].isin(exclude)]
    return sel.sort_values("site_id").reset_index(drop=True)


def _functions_present(hospitals: pd.DataFrame) -> list[str]:
    return [f for f in FUNCTIONS if f in hospitals.columns]


def _by_function(ctx: RunContext, hospitals: pd.DataFrame) -> pd.DataFrame:
    """Minutes to the nearest site offering each function and open at the hour, by municipality.

    One block of rows per hour of :func:`table_hours` (column ``hour``: empty = every site open).
    """
    sec = ctx.scenario.acute
    assert sec is not None
    names = municipality_names(ctx)
    frames = []
    for hour in table_hours(sec):
        for f in _functions_present(hospitals):
            fs = open_at(_function_sites(hospitals, f, cross_border=sec.cross_border, exclude=sec.exclude), hour)
            near = _nearest_minutes(ctx, fs, description=f"Travel times: {f}")
            t = access_by_group(near["minutes"].to_numpy(), ctx.cells["pop"], ctx.cells["kode"],
                                thresholds=sec.thresholds, group_names=names, total_label=ctx.region.title(ctx.lang))
            t.insert(0, "sites", ";".join(fs["site_id"]))
            t.insert(0, "function", f)
            t.insert(0, "hour", pd.array([hour] * len(t), dtype="Int64"))
            frames.append(t)
    return round_table(pd.concat(frames, ignore_index=True))


def loss_rows(*, pop: np.ndarray, kode: np.ndarray, loss_type: str, lost: str, lost_name: str, function: str,
              before: np.ndarray, after: np.ndarray, thresholds: list[float], names: dict[str, str],
              label: str) -> list[dict[str, object]]:
    """Rows (per municipality + total) describing the change from ``before`` to ``after`` minutes.

    ``affected`` cells are those whose time grows; ``cut_off`` those that can no
    longer reach any site (``after`` infinite where ``before`` was finite).
    """
    with np.errstate(invalid="ignore"):
        inc = after - before
    inc = np.where(np.isfinite(inc), inc, np.where(np.isfinite(before) & ~np.isfinite(after), np.inf, 0.0))
    affected = inc > 1e-6
    rows: list[dict[str, object]] = []
    groups = [(k, kode == k) for k in sorted(set(kode))] + [("", np.ones(len(kode), bool))]
    for k, sel in groups:
        a = sel & affected
        w = pop[a]
        finite = np.isfinite(inc[a])
        row: dict[str, object] = {
            "loss_type": loss_type, "lost": lost, "lost_name": lost_name, "function": function,
            "kode": k, "municipality": names.get(k, label) if k else label,
            "population": float(pop[sel].sum()),
            "affected_population": float(w.sum()),
            "cut_off_population": float(w[~finite].sum()),
            "mean_increase_minutes": float(np.average(inc[a][finite], weights=w[finite])) if w[finite].sum() > 0 else 0.0,
            "max_increase_minutes": float(inc[a][finite].max()) if finite.any() else 0.0,
        }
        for t in thresholds:
            tt = threshold_key(t)
            b = float(pop[sel & (before <= t)].sum())
            af = float(pop[sel & (after <= t)].sum())
            row[f"lose_within_{tt}"] = b - af
            row[f"share_within_{tt}_after"] = af / max(float(pop[sel].sum()), 1e-9)
        row["mean_minutes_before"] = weighted_mean(before[sel], pop[sel])
        row["mean_minutes_after"] = weighted_mean(after[sel], pop[sel])
        rows.append(row)
    return rows


def _n_minus_1(ctx: RunContext, sites: pd.DataFrame,
               hospitals: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Close each own acute hospital in turn, and cut each listed set of links, at the headline hour.

    ``sites`` and every function's sites are those open at ``acute.at_hour`` (column ``hour``).

    Returns the loss table and, per loss (``hospital:<id>`` / ``link:<name>``), the
    extra minutes to the nearest acute hospital per cell.
    """
    sec = ctx.scenario.acute
    assert sec is not None
    names = municipality_names(ctx)
    label = ctx.region.title(ctx.lang)
    pop = ctx.cells["pop"].to_numpy()
    kode = ctx.cells["kode"].to_numpy()
    functions = ["acute"] + _functions_present(hospitals)
    # minutes per function with everything open
    fsites = {"acute": sites}
    for f in functions[1:]:   # open at the headline hour, as the acute sites are
        fsites[f] = open_at(_function_sites(hospitals, f, cross_border=sec.cross_border, exclude=sec.exclude),
                            sec.at_hour)
    base = {f: _nearest_minutes(ctx, s)["minutes"].to_numpy() for f, s in fsites.items()}
    rows: list[dict[str, object]] = []
    loss_cells: dict[str, np.ndarray] = {}

    def record(loss_type: str, lost: str, lost_name: str, function: str, after: np.ndarray) -> None:
        nonlocal rows
        rows += loss_rows(pop=pop, kode=kode, loss_type=loss_type, lost=lost, lost_name=lost_name,
                          function=function, before=base[function], after=after, thresholds=sec.thresholds,
                          names=names, label=label)
        if function == "acute":
            with np.errstate(invalid="ignore"):
                loss_cells[f"{loss_type}:{lost}"] = after - base[function]

    own = sites[sites["kind"].isin(ACUTE_KINDS)]
    with progress.task("N-1: closing each acute hospital", total=len(own) + len(sec.cuts)) as advance:
        for _, h in own.iterrows():
            for f in functions:
                s = fsites[f]
                if h["site_id"] not in set(s["site_id"]):
                    after = base[f]
                else:
                    after = _nearest_minutes(ctx, s[s["site_id"] != h["site_id"]])["minutes"].to_numpy()
                record("hospital", h["site_id"], h["name"], f, after)
            advance(1)
        for cut_name, link_ids in sorted(sec.cuts.items()):
            G = remove_links(ctx.graph, link_ids, scenario_path=ctx.scenario.file_of("acute.cuts"),
                             key=f"acute.cuts.{cut_name}")
            # a mask on the compiled graph (= compiling G, without the ~6 s of recompiling)
            drop = set(resolve_cuts(ctx.graph, link_ids, key=f"acute.cuts.{cut_name}"))
            cut = [(u, v, k) for u, v, k, d in ctx.graph.edges(keys=True, data=True) if d.get("link_id") in drop]
            cg = ctx.compiled.without_edges(G, cut)
            for f in functions:
                after = _nearest_minutes(ctx, fsites[f], compiled=cg)["minutes"].to_numpy()
                record("link", cut_name, ", ".join(link_ids), f, after)
            advance(1)
    table = pd.DataFrame(rows)
    table.insert(0, "hour", pd.array([sec.at_hour] * len(table), dtype="Int64"))
    return round_table(table), loss_cells


def cut_link_lines(ctx: RunContext) -> gpd.GeoDataFrame | None:
    """Straight lines of the links named in ``acute.cuts`` (for the resilience map)."""
    cuts = ctx.scenario.acute.cuts if ctx.scenario.acute else {}
    if not cuts:
        return None
    G = ctx.graph
    rows = []
    wanted = {lid: name for name, items in cuts.items()
              for lid in resolve_cuts(G, items, key=f"acute.cuts.{name!r}", file=ctx.scenario.file_of("acute"))}
    seen = set()
    for u, v, d in G.edges(data=True):
        lid = d.get("link_id")
        if lid in wanted and lid not in seen:
            seen.add(lid)
            rows.append({"label": f"{wanted[lid]} ({lid})",
                         "geometry": shapely.LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                                         (G.nodes[v]["x"], G.nodes[v]["y"])])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:25832") if rows else None
