"""The maps a run writes, composed from the drawing functions in :mod:`geoplan.output.maps`.

Each function takes the finished run (:class:`~geoplan.run.results.RunResult`:
region, scenario, cells) and one step's result, and writes one offline HTML
map. Labels come from :mod:`geoplan.i18n` (Danish by default). Nothing here
computes a measure: the layers show what the step computed.
"""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.i18n import t
from geoplan.output import maps
from geoplan.output.catchments import add_catchment_layers
from geoplan.output.palettes import sequential
from geoplan.region import Region
from geoplan.run.results import (
    AcuteResult,
    HousesResult,
    JointHousesResult,
    PrehospitalResult,
    RunResult,
)

#: Town labels on every map: towns of at least this many inhabitants.
LABEL_MIN_POPULATION = 8000


def region_places(region: Region) -> pd.DataFrame:
    """Main towns (name, lon, lat, population) for map labels, from ``candidates.csv``."""
    path = region.folder / "candidates.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["name", "lon", "lat", "population"])
    df = pd.read_csv(path, dtype={"kommune": str})
    df = df[(df["kind"] == "town") & (pd.to_numeric(df["population"], errors="coerce") >= LABEL_MIN_POPULATION)]
    return df[["name", "lon", "lat", "population"]].sort_values("name").reset_index(drop=True)


def sources_caption(lang: str, extra: str = "") -> str:
    """The caption naming the data sources, after an optional ``extra`` sentence."""
    return (extra + " · " if extra else "") + t("map.caption_sources", lang, sources=t("map.sources_default", lang))


def when_text(hour: int | None, lang: str) -> str:
    """``kl. 03`` / ``at 03:00``, or ``hele døgnet`` when the map is not of one hour."""
    return t("heading.at_hour", lang, hour=f"{hour:02d}") if hour is not None else t("heading.all_day", lang)


def map_heading(run: RunResult, what: str, *, hour: int | None) -> str:
    """A map title that says what it shows, when, and in which scenario."""
    sc = run.scenario
    return t("heading.map", run.lang, what=what, when=when_text(hour, run.lang), scenario=sc.title or sc.name)


def acute_hour(run: RunResult, result: AcuteResult) -> int | None:
    """The hour the acute tables and main map show (``None``: every site open, around the clock)."""
    hour = getattr(result, "hour", None)
    if hour is None and run.scenario.acute is not None:
        hour = run.scenario.acute.at_hour
    return None if hour is None else int(hour)


def _acute_kinds(run: RunResult) -> list[str]:
    sec = run.scenario.acute
    return ["acute", "neighbour_acute"] if sec is None or sec.cross_border else ["acute"]


def closed_acute_sites(run: RunResult, result: AcuteResult) -> pd.DataFrame:
    """The region's acute hospitals (and neighbours' when counted) that the run does not count
    as open: excluded, or closed at the hour shown; with their (scenario) opening hours."""
    h = run.region.facilities("hospitals")
    sec = run.scenario.acute
    rows = h[h["kind"].isin(_acute_kinds(run)) & ~h["site_id"].isin(result.sites["site_id"])].copy()
    if sec is not None and "opening_hours" in rows.columns:
        rows["opening_hours"] = [sec.opening_hours.get(s, o) for s, o in
                                 zip(rows["site_id"], rows["opening_hours"].fillna("").astype(str), strict=True)]
    if sec is not None and sec.include is not None:
        rows = rows[rows["site_id"].isin(sec.include) | rows["site_id"].isin(sec.exclude)]
    return rows.sort_values("site_id").reset_index(drop=True)


def acute_changes(run: RunResult, result: AcuteResult, *, with_cuts: bool = False) -> str:
    """What the scenario changed for acute access, as one caption sentence (closed sites with the
    hour, changed opening hours, cut links); "nothing changed" when nothing did."""
    lang, sec = run.lang, run.scenario.acute
    parts = []
    closed = closed_acute_sites(run, result)
    hour = acute_hour(run, result)
    if len(closed):
        names = ", ".join(closed["name"].astype(str))
        parts.append(t("heading.closed_at", lang, hour=f"{hour:02d}", names=names) if hour is not None
                     else t("heading.closed", lang, names=names))
    if sec is not None and sec.opening_hours:
        h = run.region.facilities("hospitals")
        site_names = dict(zip(h["site_id"], h["name"], strict=True))
        parts.append(t("heading.opening_changed", lang, items=", ".join(
            f"{site_names.get(k, k)} {v}" for k, v in sorted(sec.opening_hours.items()))))
    if with_cuts and sec is not None and sec.cuts:
        parts.append(t("heading.cut", lang, names=", ".join(sec.cuts)))
    return "; ".join(parts) if parts else t("heading.unchanged", lang)


def scenario_caption(run: RunResult, *parts: str) -> str:
    """``Scenarie: <name>`` followed by the given sentences."""
    return " · ".join([t("heading.scenario", run.lang, name=run.scenario.name), *[p for p in parts if p]])


def _site_frame(rows: pd.DataFrame, kind: str, *, closed: bool = False) -> gpd.GeoDataFrame:
    """Sites for a static map: ``kind`` (palettes.toml facility kind), ``name``, ``closed``."""
    if isinstance(rows, gpd.GeoDataFrame) and rows.crs is not None:
        g = rows[["name", "geometry"]].copy() if "name" in rows.columns else rows[["geometry"]].copy()
    else:
        g = gpd.GeoDataFrame(rows[["name"]].copy() if "name" in rows.columns else pd.DataFrame(index=rows.index),
                             geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs="EPSG:4326")
    g["kind"] = kind
    g["closed"] = closed
    return g


def write_static(run: RunResult, html_path: Path, cells: gpd.GeoDataFrame, *, column: str,
                 limits: list[float], title: str, subtitle: str, sites: list[gpd.GeoDataFrame] | None = None,
                 scheme: str = "minutes", label_sites: bool = False,
                 legend_title: str | None = None, lines: gpd.GeoDataFrame | None = None,
                 unit: str = "min", from_zero: bool = True) -> tuple[Path, Path]:
    """The PNG and one-page PDF of a map (beside its HTML: ``acute.html`` → ``acute.png``/``.pdf``).

    ``limits`` are the class limits of ``column`` (``unit`` after each label; ``from_zero=False``
    for values that can be negative)."""
    import textwrap

    from geoplan.output import palettes, static_maps

    bands = palettes.minute_bands(limits, lang=run.lang, scheme=scheme, unit=unit, from_zero=from_zero)
    short = title.split(" — ")[0]
    legend_title = legend_title or short
    sc = run.scenario
    subtitle = textwrap.fill(((sc.title + " · ") if sc.title else "") + subtitle, width=88)
    title = textwrap.fill(short, width=72)
    s = [x for x in (sites or []) if len(x)]
    site_gdf = gpd.GeoDataFrame(pd.concat([x.to_crs("EPSG:25832") for x in s], ignore_index=True),
                                crs="EPSG:25832") if s else None
    fig = static_maps.static_map(cells, column=column, bands=bands, title=title, subtitle=subtitle,
                                 legend_title=textwrap.fill(legend_title, width=34),
                                 municipalities=run.region.municipalities, boundary=run.region.boundary,
                                 sites=site_gdf, population="pop", source=t("map.sources_default", run.lang),
                                 lang=run.lang, label_sites=label_sites, lines=lines)
    return static_maps.write_static_maps(fig, Path(html_path).with_suffix(""))


def new_map(region: Region, lang: str, *, title: str, caption: str) -> folium.Map:
    """A base map of a region (outlines, town labels, offline)."""
    return maps.base_map(boundary=region.boundary, municipalities=region.municipalities,
                         places=region_places(region), title=title, caption=sources_caption(lang, caption),
                         lang=lang)


HOSPITAL_KINDS = {"acute": "acute_hospital", "neighbour_acute": "neighbour_hospital", "hospital": "other_hospital"}


def add_hospitals(m: folium.Map, region: Region, sites: pd.DataFrame, *, lang: str,
                  all_hospitals: bool = True) -> None:
    """Markers for the open acute sites, and (optionally) the region's other hospitals."""
    popup = {"name": t("field.name", lang), "opening_hours": t("field.opening_hours", lang),
             "functions": t("heading.functions", lang)}
    for kind, sym in HOSPITAL_KINDS.items():
        rows = sites[sites["kind"] == kind]
        if kind == "hospital" and all_hospitals:
            h = region.facilities("hospitals")
            rows = h[h["kind"] == "hospital"]
        if rows.empty:
            continue
        rows = rows.assign(functions=hospital_functions(rows, lang))
        maps.add_facilities(m, rows, kind=sym, name=t(f"kind.{sym}", lang), popup_fields=popup, lang=lang,
                            show=kind != "hospital")


#: Hospital function columns (0/1) of hospitals.csv, in the order they are listed.
HOSPITAL_FUNCTIONS = ("emergency_department", "stroke_thrombolysis", "thrombectomy", "pci", "trauma_centre",
                      "obstetrics", "psychiatric_emergency")


def hospital_functions(rows: pd.DataFrame, lang: str) -> list[str]:
    """Per hospital its functions as text ("akutmodtagelse, PCI …"; "–" when none is listed)."""
    cols = [c for c in HOSPITAL_FUNCTIONS if c in rows.columns]
    out = []
    for _, r in rows.iterrows():
        have = [t(f"hospital_function.{c}", lang) for c in cols
                if pd.notna(r[c]) and str(r[c]).strip() not in ("", "0", "0.0", "False")]
        out.append(", ".join(have) if have else t("value.missing", lang))
    return out


def municipality_layer(region: Region, table: pd.DataFrame, *, fields: dict[str, str]) -> gpd.GeoDataFrame:
    """Municipality polygons joined with a by-municipality table (shares as %)."""
    munis = region.municipalities[["kode", "navn", "geometry"]].merge(
        table[table["kode"] != ""].drop(columns=["municipality"], errors="ignore"), on="kode", how="left")
    for col in fields:
        if col.startswith("share"):
            munis[col] = 100 * munis[col]
    return munis


def add_municipality_table(m: folium.Map, region: Region, table: pd.DataFrame, *, fields: dict[str, str],
                           lang: str) -> None:
    """The hidden-at-start municipalities layer of a map, with ``fields`` of a by-municipality table as tooltip."""
    maps.add_municipalities(m, municipality_layer(region, table, fields=fields), name=t("layer.municipalities", lang),
                            tooltip_fields=fields, lang=lang, show=False)


def _minutes_tip(lang: str) -> str:
    return f"{t('field.travel_time', lang)} ({t('unit.min', lang)})"


# ------------------------------------------------------------------------------------ acute


def acute_access_map(run: RunResult, result: AcuteResult, path: Path) -> Path:
    """``acute.html``: cells by minutes to the nearest acute hospital, hospitals, municipalities."""
    lang, region = run.lang, run.region
    hour = acute_hour(run, result)
    title = t("map.travel_time" if hour is None else "map.travel_time_open", lang,
              what=t("noun.acute_hospital", lang))
    m = new_map(region, lang, title=map_heading(run, title, hour=hour),
                caption=scenario_caption(run, acute_changes(run, result), t("map.acute_caption", lang)))
    tip_min = _minutes_tip(lang)
    cells = result.cells.assign(pop_r=np.round(result.cells["pop"]))
    bands = list(result.bands)
    maps.add_cells(m, cells, column="minutes", bands=bands, name=title,
                   tooltip_fields={"minutes": tip_min, "nearest_name": t("field.nearest", lang),
                                   "pop_r": t("field.population", lang)}, lang=lang)
    # per hour of day: only the cells whose time differs from the main layer (keeps the file small)
    for other_hour, minutes in sorted(result.cells_by_hour.items()):
        with np.errstate(invalid="ignore"):
            changed = ~np.isclose(minutes, cells["minutes"].to_numpy(), atol=0.05)
        if not changed.any():
            continue
        maps.add_cells(m, cells.loc[changed].assign(minutes=np.round(minutes[changed], 1)), column="minutes",
                       bands=bands, name=t("map.acute_hour_layer", lang, hour=f"{other_hour:02d}"),
                       tooltip_fields={"minutes": tip_min}, lang=lang, show=False, show_legend=False)
    fields = {"population": t("field.population", lang),
              **{f"share_within_{int(x)}": f"≤ {int(x)} {t('unit.min', lang)} (%)" for x in result.thresholds
                 if float(x).is_integer()},
              "mean_minutes": t("report.mean_time", lang) + f" ({t('unit.min', lang)})"}
    add_municipality_table(m, region, result.table, fields=fields, lang=lang)
    add_hospitals(m, region, result.sites, lang=lang)
    add_closed_hospitals(run, result, m)
    add_catchment_layers(m, run, result)
    maps.save_map(m, path)
    write_static(run, path, cells, column="minutes", limits=bands, title=map_heading(run, title, hour=hour),
                 subtitle=scenario_caption(run, acute_changes(run, result)), sites=_acute_static_sites(run, result),
                 label_sites=True)
    return path


def _acute_static_sites(run: RunResult, result: AcuteResult) -> list[gpd.GeoDataFrame]:
    sites = [_site_frame(result.sites[result.sites["kind"] == k], sym) for k, sym in
             (("acute", "acute_hospital"), ("neighbour_acute", "neighbour_hospital"))]
    closed = closed_acute_sites(run, result)
    if len(closed):
        sites.append(_site_frame(closed.assign(name=closed["name"].astype(str) + " ("
                                               + t("legend.closed", run.lang).lower() + ")"),
                                 "acute_hospital", closed=True))
    return sites


def add_closed_hospitals(run: RunResult, result: AcuteResult, m: folium.Map) -> None:
    """The acute hospitals closed in this scenario (at the hour shown), drawn as closed."""
    closed = closed_acute_sites(run, result)
    if closed.empty:
        return
    lang = run.lang
    maps.add_facilities(m, closed, kind="closed_hospital",
                        name=t("heading.closed_layer", lang, when=when_text(acute_hour(run, result), lang)),
                        popup_fields={"name": t("field.name", lang), "opening_hours": t("field.opening_hours", lang)},
                        lang=lang)


def acute_loss_map(run: RunResult, result: AcuteResult, path: Path) -> Path:
    """``acute_n_minus_1.html``: one layer per closure / cut, cells coloured by extra minutes."""
    lang, region = run.lang, run.region
    m = new_map(region, lang, title=map_heading(run, t("map.n_minus_1_title", lang), hour=acute_hour(run, result)),
                caption=scenario_caption(run, acute_changes(run, result, with_cuts=True),
                                         t("map.n_minus_1_caption", lang), _nobody_affected(run, result)))
    names = dict(zip(result.sites["site_id"], result.sites["name"], strict=True))
    tip = f"{t('field.change', lang)} ({t('unit.min', lang)})"
    first = True
    for key, inc in result.loss_cells.items():
        kind, lost = key.split(":", 1)
        inc = np.where(np.isfinite(inc), inc, 999.0)
        sel = inc > 0.05
        if not sel.any():
            continue
        label = (t("map.closed", lang, name=names.get(lost, lost)) if kind == "hospital"
                 else t("map.cut", lang, name=lost))
        c = run.cells.loc[sel, ["cell_id", "pop", "geometry"]].assign(extra=np.round(inc[sel], 1))
        maps.add_cells(m, c, column="extra", bands=[5, 10, 20, 30], name=label, tooltip_fields={"extra": tip},
                       lang=lang, show=first, show_legend=True,
                       colors=list(sequential(5, scheme="increase")))
        first = False
    if result.cut_lines is not None and not result.cut_lines.empty:
        maps.add_lines(m, result.cut_lines, name=t("map.cut_links", lang), label_field="label")
    add_hospitals(m, region, result.sites, lang=lang)
    maps.save_map(m, path)
    _loss_static(run, result, path)
    return path


def _loss_static(run: RunResult, result: AcuteResult, path: Path) -> None:
    """PNG/PDF of the N-1 map: per cell the largest extra time over all closures and cuts."""
    if not result.loss_cells:
        return
    stack = np.vstack([np.where(np.isfinite(v), v, 999.0) for v in result.loss_cells.values()])
    worst = stack.max(axis=0)
    c = run.cells[["cell_id", "pop", "geometry"]].assign(extra=np.where(worst > 0.05, np.round(worst, 1), np.nan))
    c = c[np.isfinite(c["extra"])]
    if c.empty:
        return
    lang = run.lang
    write_static(run, path, c, column="extra", limits=[5, 10, 20, 30], scheme="increase",
                 title=map_heading(run, t("map.n_minus_1_title", lang), hour=acute_hour(run, result)),
                 subtitle=scenario_caption(run, acute_changes(run, result, with_cuts=True),
                                           _nobody_affected(run, result)),
                 legend_title=t("heading.worst_case", lang) + f" ({t('unit.min', lang)})",
                 sites=_acute_static_sites(run, result),
                 lines=result.cut_lines if result.cut_lines is not None and len(result.cut_lines) else None)


def _loss_label(run: RunResult, result: AcuteResult, key: str) -> str:
    names = dict(zip(result.sites["site_id"], result.sites["name"], strict=True))
    kind, lost = key.split(":", 1)
    return (t("map.closed", run.lang, name=names.get(lost, lost)) if kind == "hospital"
            else t("map.cut", run.lang, name=lost))


def _nobody_affected(run: RunResult, result: AcuteResult) -> str:
    """``Ingen berørte: …`` naming the closures and cuts after which nobody's time grows."""
    quiet = [_loss_label(run, result, k).split(": ", 1)[-1] for k, inc in result.loss_cells.items()
             if not (np.where(np.isfinite(inc), inc, 999.0) > 0.05).any()]
    return t("heading.nobody_affected", run.lang, names=", ".join(quiet)) if quiet else ""


# ------------------------------------------------------------------------------------ houses


def _house_bands(T: float) -> list[float]:
    return sorted({round(T / 2, 1), float(T), round(1.5 * T, 1), float(2 * T)})


#: Per kind of house: the map symbol and the i18n nouns (singular, plural).
HOUSE_KINDS = {
    "health_houses": {"symbol": "health_house", "one": "noun.health_house", "many": "noun.health_houses"},
    "psychiatry_houses": {"symbol": "psychiatry_house", "one": "noun.psychiatry_house",
                          "many": "noun.psychiatry_houses"},
}


def houses_map(run: RunResult, result: HousesResult, path: Path) -> Path:
    """``<kind>.html``: cells by minutes to the nearest chosen house; existing, new and candidate sites."""
    lang, region = run.lang, run.region
    info = HOUSE_KINDS[result.kind]
    what, houses = t(info["one"], lang), t(info["many"], lang)
    sites, max_minutes = result.sites, result.section.max_minutes
    n_new = int((sites["status"] == "new").sum())
    m = new_map(region, lang, title=map_heading(run, t("map.houses_title", lang, n=len(sites), houses=houses),
                                                hour=None),
                caption=scenario_caption(run, t("map.houses_caption", lang, n_new=n_new)))
    names = dict(zip(sites["site_id"], sites["name"], strict=True))
    cells = run.cells[["cell_id", "pop", "geometry"]].assign(
        minutes=np.round(result.minutes, 1), house=[names.get(s, "") for s in result.nearest],
        pop_r=np.round(run.cells["pop"]))
    maps.add_cells(m, cells, column="minutes", bands=_house_bands(max_minutes),
                   name=t("map.travel_time", lang, what=what),
                   tooltip_fields={"minutes": _minutes_tip(lang), "house": t("field.nearest", lang),
                                   "pop_r": t("field.population", lang)},
                   lang=lang)
    T = int(max_minutes) if float(max_minutes).is_integer() else max_minutes
    fields = {"population": t("field.population", lang), f"share_within_{T}": f"≤ {T} {t('unit.min', lang)} (%)",
              "mean_minutes": t("report.mean_time", lang) + f" ({t('unit.min', lang)})"}
    add_municipality_table(m, region, result.coverage, fields=fields, lang=lang)
    popup = {"name": t("field.name", lang), "population": t("field.population", lang)}
    existing = sites[sites["status"] != "new"].assign(population=lambda d: np.round(d["population"]))
    new = sites[sites["status"] == "new"].assign(population=lambda d: np.round(d["population"]))
    if not existing.empty:
        maps.add_facilities(m, existing, kind=info["symbol"], name=t("map.existing_houses", lang, houses=houses),
                            popup_fields=popup, lang=lang)
    if not new.empty:
        maps.add_facilities(m, new, kind="chosen_site", name=t("map.new_houses", lang, houses=houses),
                            popup_fields=popup, lang=lang)
    rest = result.candidates[~result.candidates["site_id"].isin(sites["site_id"])]
    if not rest.empty:
        maps.add_facilities(m, rest, kind="candidate_site", name=t("kind.candidate_site", lang), lang=lang, show=False)
    add_catchment_layers(m, run, result)
    maps.save_map(m, path)
    write_static(run, path, cells, column="minutes", limits=_house_bands(max_minutes),
                 title=map_heading(run, t("map.houses_title", lang, n=len(sites), houses=houses), hour=None),
                 subtitle=scenario_caption(run, t("map.houses_caption", lang, n_new=n_new)),
                 sites=[_site_frame(existing, info["symbol"]), _site_frame(new, "chosen_site")], label_sites=True)
    return path


def joint_houses_map(run: RunResult, result: JointHousesResult, path: Path) -> Path:
    """``joint_houses.html``: one cell layer per house type; sites by type, co-located ones marked."""
    lang, sec = run.lang, result.section
    m = new_map(run.region, lang, title=map_heading(run, t("map.joint_title", lang), hour=None),
                caption=scenario_caption(run, t("map.joint_caption", lang)))
    for i, (part, kind) in enumerate((("health", "health_house"), ("psychiatry", "psychiatry_house"))):
        T = getattr(sec, part).max_minutes
        maps.add_cells(m, run.cells[["cell_id", "geometry"]].assign(minutes=np.round(result.minutes_by[part], 1)),
                       column="minutes", bands=_house_bands(T),
                       name=t("map.travel_time", lang, what=t(f"noun.{kind}", lang)),
                       tooltip_fields={"minutes": _minutes_tip(lang)}, lang=lang, show=i == 0, show_legend=i == 0)
        rows = result.sites[result.sites[f"{part}_house"]]
        status = rows.get(f"{part}_status", pd.Series("", index=rows.index)).astype(str)
        many = t(f"noun.{kind}s", lang)
        existing, new = rows[status != "new"], rows[status == "new"]
        if not existing.empty:
            maps.add_facilities(m, existing, kind=kind, name=t("map.existing_houses", lang, houses=many), lang=lang)
        if not new.empty:  # proposed houses: the chosen-site star, so new and existing look different
            maps.add_facilities(m, new, kind="chosen_site", name=t("map.new_houses", lang, houses=many), lang=lang)
    maps.save_map(m, path)
    T = sec.health.max_minutes
    write_static(run, path, run.cells[["cell_id", "pop", "geometry"]].assign(
                     minutes=np.round(result.minutes_by["health"], 1)), column="minutes", limits=_house_bands(T),
                 title=map_heading(run, t("map.travel_time", lang, what=t("noun.health_house", lang)), hour=None),
                 subtitle=scenario_caption(run, t("map.joint_title", lang)),
                 sites=[_site_frame(result.sites[result.sites[f"{p}_house"]], k) for p, k in
                        (("health", "health_house"), ("psychiatry", "psychiatry_house"))])
    return path


# ------------------------------------------------------------------------------------ prehospital

RESOURCES = ("ambulance", "physician_car", "helicopter")


def prehospital_map(run: RunResult, result: PrehospitalResult, path: Path) -> Path:
    """``prehospital.html``: first-arrival minutes per hour, sites, areas missing a target."""
    lang = run.lang
    sec = run.scenario.prehospital
    assert sec is not None
    cell_gdf = result.cells
    m = maps.base_map(boundary=run.region.boundary, municipalities=run.region.municipalities,
                      title=map_heading(run, t("map.prehospital_title", lang),
                                        hour=next(iter(result.by_hour), None)),
                      caption=scenario_caption(run, t("map.prehospital_caption", lang)), lang=lang)
    res_label = {r: t(f"resource.{r}", lang) for r in RESOURCES}
    for i, h in enumerate(result.by_hour):
        s = f"h{h:02d}"
        layer = cell_gdf[["navn", "pop", "geometry"]].copy()
        layer["first"] = cell_gdf[f"first_{s}"]
        layer["by"] = [res_label.get(x, "") for x in cell_gdf[f"first_by_{s}"]]
        layer["amb"] = cell_gdf[f"amb_{s}"]
        maps.add_cells(m, layer, column="first", bands=sec.bands, name=t("map.first_unit_layer", lang, hour=f"{h:02d}"),
                       lang=lang, show=i == 0, show_legend=True,
                       tooltip_fields={"navn": t("field.municipality", lang), "first": t("field.first_unit_min", lang),
                                       "by": t("field.first", lang), "amb": t("field.ambulance_min", lang)})
    if result.postcodes is not None and result.postcode_areas is not None:
        region_shape = run.region.boundary.geometry.union_all()
        hours = list(result.by_hour)
        h0 = hours[0]
        # (column, which postcodes, label, colour, weight, dash, shown)
        layers: list[tuple[str, str, str, str, float, str | None, bool]] = [
            (f"misses_h{h0:02d}", "several", t("map.misses_several", lang, hour=f"{h0:02d}"), "#d50000", 3.0, None,
             True),
            (f"misses_h{h0:02d}", "one", t("map.misses_one", lang, hour=f"{h0:02d}"), "#ff6d00", 1.5, "5 4", True),
        ]
        for h in hours[1:]:
            layers.append((f"misses_h{h:02d}", "any", t("map.misses_any", lang, hour=f"{h:02d}"), "#6a1b9a", 2.0,
                           "6 4", False))
        layers.append((f"first_misses_h{h0:02d}", "any", t("map.first_misses", lang, hour=f"{h0:02d}"), "#0d47a1",
                       2.0, "2 4", False))
        for col, which, name, color, weight, dash, show in layers:
            lines = _miss_outlines(result.postcode_areas, result.postcodes, col, region_shape, which=which)
            if lines is None:
                continue
            maps.add_lines(m, lines, name=name, color=color, weight=weight, dash=dash, label_field="label", show=show)
    hours_popup = {"site_id": t("field.id", lang), "hours": t("field.hours", lang)}
    maps.add_facilities(m, result.stations, kind="ambulance_station", name=t("map.ambulance_stations", lang),
                        popup_fields=hours_popup, lang=lang)
    if len(result.cars):
        maps.add_facilities(m, result.cars, kind="physician_car", name=t("map.physician_cars", lang),
                            popup_fields=hours_popup, lang=lang)
    if len(result.helicopters):
        maps.add_facilities(m, result.helicopters, kind="helicopter_base", name=t("map.helicopter_bases", lang),
                            popup_fields={"site_id": t("field.id", lang)}, lang=lang)
    add_catchment_layers(m, run, result)
    maps.save_map(m, path)
    first_hour = next(iter(result.by_hour), None)
    if first_hour is not None:
        h0 = int(first_hour)
        write_static(run, path, cell_gdf[["pop", "geometry"]].assign(first=cell_gdf[f"first_h{h0:02d}"]),
                     column="first", limits=list(sec.bands),
                     title=map_heading(run, t("map.prehospital_title", lang), hour=h0),
                     subtitle=scenario_caption(run, t("map.first_unit_layer", lang, hour=f"{h0:02d}")),
                     sites=[_site_frame(result.stations, "ambulance_station"),
                            _site_frame(result.cars, "physician_car"),
                            _site_frame(result.helicopters, "helicopter_base")])
    return path


def _miss_outlines(postcodes: gpd.GeoDataFrame, pc_table: pd.DataFrame, column: str, region_shape: object, *,
                   which: str = "any") -> gpd.GeoDataFrame | None:
    """Outlines (clipped to the region) of the postcodes whose ``column`` lists missed targets.

    ``which``: ``"any"`` (one or more missed), ``"one"`` (exactly one), ``"several"`` (two or more).
    """
    n = pc_table[column].fillna("").astype(str).str.split().str.len()
    sel = {"any": n >= 1, "one": n == 1, "several": n >= 2}[which]
    miss = pc_table[sel][["postcode", "name", column]]
    if miss.empty:
        return None
    shapes = postcodes[["postcode", "geometry"]].merge(miss, on="postcode")
    clipped = shapes.geometry.intersection(region_shape)
    keep = ~clipped.is_empty
    labels = [
        f"{p} {n}: {x}"
        for p, n, x in zip(shapes["postcode"], shapes["name"], shapes[column], strict=True)
    ]
    return gpd.GeoDataFrame(
        {"label": np.asarray(labels, dtype=object)[keep.to_numpy()]},
        geometry=clipped[keep].boundary.to_numpy(),
        crs=postcodes.crs,
    )
