"""The maps a run writes, composed from the drawing functions in :mod:`geoplan.output.maps`.

Each function takes the run context and the step's results and writes one
offline HTML map. Labels come from :mod:`geoplan.i18n` (Danish by default).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.i18n import t
from geoplan.output import maps

#: Town labels on every map: towns of at least this many inhabitants.
LABEL_MIN_POPULATION = 8000


def region_places(region) -> pd.DataFrame:
    """Main towns (name, lon, lat, population) for map labels, from ``candidates.csv``."""
    path = region.folder / "candidates.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["name", "lon", "lat", "population"])
    df = pd.read_csv(path, dtype={"kommune": str})
    df = df[(df["kind"] == "town") & (pd.to_numeric(df["population"], errors="coerce") >= LABEL_MIN_POPULATION)]
    return df[["name", "lon", "lat", "population"]].sort_values("name").reset_index(drop=True)


def sources_caption(lang: str, extra: str = "") -> str:
    src = ("WorldPop 2020 (CC BY 4.0), DAGI 2014, Danmarks Statistik, håndlagt strategisk vejnet"
           if lang == "da" else
           "WorldPop 2020 (CC BY 4.0), DAGI 2014, Statistics Denmark, hand-authored strategic road network")
    return (extra + " · " if extra else "") + t("map.caption_sources", lang, sources=src)


def new_map(ctx, *, title: str, caption: str):
    """A base map of the run's region (outlines, town labels, offline)."""
    return maps.base_map(boundary=ctx.region.boundary, municipalities=ctx.region.municipalities,
                         places=region_places(ctx.region), title=title, caption=sources_caption(ctx.lang, caption),
                         lang=ctx.lang)


HOSPITAL_KINDS = {"acute": "acute_hospital", "neighbour_acute": "neighbour_hospital", "hospital": "other_hospital"}


def add_hospitals(m, ctx, sites: pd.DataFrame, *, all_hospitals: bool = True) -> None:
    """Markers for the open acute sites, and (optionally) the region's other hospitals."""
    lang = ctx.lang
    popup = {"name": t("field.name", lang), "opening_hours": "Åbningstid" if lang == "da" else "Opening hours"}
    for kind, sym in HOSPITAL_KINDS.items():
        rows = sites[sites["kind"] == kind]
        if kind == "hospital" and all_hospitals:
            h = ctx.region.facilities("hospitals")
            rows = h[h["kind"] == "hospital"]
        if rows.empty:
            continue
        maps.add_facilities(m, rows, kind=sym, name=t(f"kind.{sym}", lang), popup_fields=popup, lang=lang,
                            show=kind != "hospital")


def municipality_layer(ctx, table: pd.DataFrame, *, fields: dict[str, str]) -> gpd.GeoDataFrame:
    """Municipality polygons joined with a by-municipality table (shares as %)."""
    munis = ctx.region.municipalities[["kode", "navn", "geometry"]].merge(
        table[table["kode"] != ""].drop(columns=["municipality"], errors="ignore"), on="kode", how="left")
    for col in fields:
        if col.startswith("share"):
            munis[col] = 100 * munis[col]
    return munis


def acute_access_map(ctx, *, cells: gpd.GeoDataFrame, sites: pd.DataFrame, table: pd.DataFrame,
                     bands, path: Path, by_hour: pd.DataFrame | None = None) -> Path:
    """``acute.html``: cells by minutes to the nearest acute hospital, hospitals, municipalities."""
    lang = ctx.lang
    what = t("kind.acute_hospital", lang).lower()
    title = t("map.travel_time", lang, what=what)
    caption = ("Køretid i bil fra hver beboet km² (2020-befolkning skaleret til 2025)" if lang == "da"
               else "Drive time from every inhabited km² (2020 population scaled to 2025)")
    m = new_map(ctx, title=title, caption=caption)
    tip_min = f"{t('field.travel_time', lang)} ({t('unit.min', lang)})"
    cells = cells.assign(pop_r=np.round(cells["pop"]))
    maps.add_cells(m, cells, column="minutes", bands=list(bands), name=title,
                   tooltip_fields={"minutes": tip_min, "nearest_name": t("field.nearest", lang),
                                   "pop_r": t("field.population", lang)}, lang=lang)
    # per hour of day: only the cells whose time differs from the main layer (keeps the file small)
    hour_cells = ctx.results.get("acute_cells_by_hour") or {}
    for hour, minutes in sorted(hour_cells.items()):
        with np.errstate(invalid="ignore"):
            changed = ~np.isclose(minutes, cells["minutes"].to_numpy(), atol=0.05)
        if not changed.any():
            continue
        label = (f"Kl. {hour:02d}: celler med længere køretid" if lang == "da"
                 else f"At {hour:02d}:00: cells with a longer drive")
        maps.add_cells(m, cells.loc[changed].assign(minutes=np.round(minutes[changed], 1)), column="minutes",
                       bands=list(bands), name=label, tooltip_fields={"minutes": tip_min}, lang=lang, show=False,
                       show_legend=False)
    fields = {"population": t("field.population", lang),
              **{f"share_within_{int(x)}": f"≤ {int(x)} {t('unit.min', lang)} (%)" for x in ctx.scenario.acute.thresholds
                 if float(x).is_integer()},
              "mean_minutes": t("report.mean_time", lang) + f" ({t('unit.min', lang)})"}
    maps.add_municipalities(m, municipality_layer(ctx, table, fields=fields), name=t("layer.municipalities", lang),
                            tooltip_fields=fields, lang=lang, show=False)
    add_hospitals(m, ctx, sites)
    return maps.save_map(m, path)


def acute_loss_map(ctx, *, losses: dict[str, np.ndarray], sites: pd.DataFrame, path: Path) -> Path:
    """``acute_n_minus_1.html``: one layer per closure / cut, cells coloured by extra minutes."""
    lang = ctx.lang
    title = ("Robusthed: ekstra køretid hvis et akuthospital lukker eller en forbindelse afbrydes" if lang == "da"
             else "Resilience: extra drive time if an acute hospital closes or a link is cut")
    caption = ("Kun berørte celler vises; vælg lag i lagkontrollen" if lang == "da"
               else "Only affected cells are shown; pick a layer in the layer control")
    m = new_map(ctx, title=title, caption=caption)
    names = dict(zip(sites["site_id"], sites["name"], strict=True))
    tip = f"{t('field.change', lang)} ({t('unit.min', lang)})"
    first = True
    for key, inc in losses.items():
        kind, lost = key.split(":", 1)
        inc = np.where(np.isfinite(inc), inc, 999.0)
        sel = inc > 0.05
        if not sel.any():
            continue
        label = (f"Lukket: {names.get(lost, lost)}" if lang == "da" else f"Closed: {names.get(lost, lost)}") \
            if kind == "hospital" else (f"Afbrudt: {lost}" if lang == "da" else f"Cut: {lost}")
        c = ctx.cells.loc[sel, ["cell_id", "pop", "geometry"]].assign(extra=np.round(inc[sel], 1))
        maps.add_cells(m, c, column="extra", bands=[5, 10, 20, 30], name=label, tooltip_fields={"extra": tip},
                       lang=lang, show=first, show_legend=first,
                       colors=["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"])
        first = False
    cut_links = _cut_link_lines(ctx)
    if cut_links is not None and not cut_links.empty:
        maps.add_lines(m, cut_links, name=t("map.cut_links", lang), label_field="label")
    add_hospitals(m, ctx, sites)
    return maps.save_map(m, path)


def _cut_link_lines(ctx) -> gpd.GeoDataFrame | None:
    """Straight lines of the links named in ``acute.cuts`` (for the resilience map)."""
    import shapely

    cuts = ctx.scenario.acute.cuts if ctx.scenario.acute else {}
    if not cuts:
        return None
    G = ctx.graph
    rows = []
    wanted = {lid: name for name, ids in cuts.items() for lid in ids}
    seen = set()
    for u, v, d in G.edges(data=True):
        lid = d.get("link_id")
        if lid in wanted and lid not in seen:
            seen.add(lid)
            rows.append({"label": f"{wanted[lid]} ({lid})",
                         "geometry": shapely.LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                                         (G.nodes[v]["x"], G.nodes[v]["y"])])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:25832") if rows else None


def _house_bands(T: float) -> list[float]:
    return sorted({round(T / 2, 1), float(T), round(1.5 * T, 1), float(2 * T)})


def houses_map(ctx, *, key: str, info: dict, cells_minutes: np.ndarray, nearest: np.ndarray, sites: pd.DataFrame,
               candidates: pd.DataFrame, coverage: pd.DataFrame, max_minutes: float, path: Path) -> Path:
    """``<kind>.html``: cells by minutes to the nearest chosen house; existing, new and candidate sites."""
    lang = ctx.lang
    what = info["en"] if lang == "en" else info["da"]
    title = (f"Forslag: {len(sites)} {what.replace('hus', 'huse')} — køretid til nærmeste" if lang == "da"
             else f"Proposal: {len(sites)} {what}s — drive time to the nearest")
    n_new = int((sites["status"] == "new").sum())
    caption = (f"{n_new} nye placeringer valgt af optimeringsmodellen, eksisterende huse bevaret" if lang == "da"
               else f"{n_new} new sites chosen by the optimisation model, existing houses kept")
    m = new_map(ctx, title=title, caption=caption)
    names = dict(zip(sites["site_id"], sites["name"], strict=True))
    cells = ctx.cells[["cell_id", "pop", "geometry"]].assign(
        minutes=np.round(cells_minutes, 1), house=[names.get(s, "") for s in nearest], pop_r=np.round(ctx.cells["pop"]))
    tip = f"{t('field.travel_time', lang)} ({t('unit.min', lang)})"
    maps.add_cells(m, cells, column="minutes", bands=_house_bands(max_minutes),
                   name=t("map.travel_time", lang, what=what),
                   tooltip_fields={"minutes": tip, "house": t("field.nearest", lang), "pop_r": t("field.population", lang)},
                   lang=lang)
    T = int(max_minutes) if float(max_minutes).is_integer() else max_minutes
    fields = {"population": t("field.population", lang), f"share_within_{T}": f"≤ {T} {t('unit.min', lang)} (%)",
              "mean_minutes": t("report.mean_time", lang) + f" ({t('unit.min', lang)})"}
    maps.add_municipalities(m, municipality_layer(ctx, coverage, fields=fields), name=t("layer.municipalities", lang),
                            tooltip_fields=fields, lang=lang, show=False)
    popup = {"name": t("field.name", lang), "population": t("field.population", lang)}
    existing = sites[sites["status"] != "new"].assign(population=lambda d: np.round(d["population"]))
    new = sites[sites["status"] == "new"].assign(population=lambda d: np.round(d["population"]))
    if not existing.empty:
        maps.add_facilities(m, existing, kind=info["symbol"],
                            name=(f"Eksisterende {what.replace('hus', 'huse')}" if lang == "da" else f"Existing {what}s"),
                            popup_fields=popup, lang=lang)
    if not new.empty:
        maps.add_facilities(m, new, kind="chosen_site",
                            name=(f"Nye {what.replace('hus', 'huse')} (forslag)" if lang == "da" else f"New {what}s (proposed)"),
                            popup_fields=popup, lang=lang)
    rest = candidates[~candidates["site_id"].isin(sites["site_id"])]
    if not rest.empty:
        maps.add_facilities(m, rest, kind="candidate_site", name=t("kind.candidate_site", lang), lang=lang, show=False)
    return maps.save_map(m, path)


def joint_houses_map(ctx, *, sites: pd.DataFrame, minutes_by: dict, sec, path: Path) -> Path:
    """``joint_houses.html``: one cell layer per house type; sites by type, co-located ones marked."""
    lang = ctx.lang
    title = ("Fælles placering af sundheds- og psykiatrihuse" if lang == "da"
             else "Joint placement of health and psychiatry houses")
    m = new_map(ctx, title=title, caption=("Vælg lag for sundhedshuse eller psykiatrihuse" if lang == "da"
                                            else "Pick the health-house or psychiatry-house layer"))
    tip = f"{t('field.travel_time', lang)} ({t('unit.min', lang)})"
    for i, (part, kind) in enumerate((("health", "health_house"), ("psychiatry", "psychiatry_house"))):
        T = getattr(sec, part).max_minutes
        maps.add_cells(m, ctx.cells[["cell_id", "geometry"]].assign(minutes=np.round(minutes_by[part], 1)),
                       column="minutes", bands=_house_bands(T), name=t("map.travel_time", lang, what=t(f"kind.{kind}", lang).lower()),
                       tooltip_fields={"minutes": tip}, lang=lang, show=i == 0, show_legend=i == 0)
        rows = sites[sites[f"{part}_house"]]
        if not rows.empty:
            maps.add_facilities(m, rows, kind=kind, name=t(f"kind.{kind}", lang), lang=lang)
    return maps.save_map(m, path)
