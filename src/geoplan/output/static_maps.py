"""Static maps for slides and print: one PNG and a one-page A4-landscape PDF per map.

:func:`static_map` draws, with matplotlib (no browser):

- cells coloured by the classes of a :class:`~geoplan.output.palettes.BandScheme`
  (each class dissolved into one shape: no seams between cells);
- a legend giving every class with the population living in it, then the
  site symbols (closed sites drawn hollow with a cross, and labelled closed);
- title and subtitle (scenario, hour, what changed), municipal and region
  outlines, sites with a symbol per kind (markers and colours from
  ``palettes.toml``), a scale bar (``matplotlib-scalebar``), a north arrow and
  a source line.

:func:`save_static_map` writes ``.png`` (150 dpi, 1754 × 1240 px) or ``.pdf``
(A4 landscape, one page) byte-identically run to run: no creation date, no
software version, fonts embedded as TrueType (text stays searchable).

Inputs are GeoDataFrames in EPSG:25832 (others are reprojected) and plain
parameters; labels come from :mod:`geoplan.i18n`.

Limits: the north arrow points to grid north of EPSG:25832, within 2° of true
north across Denmark; site labels are not de-cluttered (use ``label_sites``
for a handful of sites only); one language per figure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from geoplan.errors import InputError
from geoplan.i18n import check_lang, fmt_number, t
from geoplan.output.palettes import BandScheme, categorical, marker, special

__all__ = [
    "A4_LANDSCAPE_IN",
    "PNG_DPI",
    "save_static_map",
    "sites_frame",
    "static_map",
    "write_static_maps",
]

WORK_CRS = "EPSG:25832"
#: Figure size in inches (A4 landscape, 297 × 210 mm).
A4_LANDSCAPE_IN = (297 / 25.4, 210 / 25.4)
#: Resolution of the PNG (1754 × 1240 px: sharp on a full-HD slide).
PNG_DPI = 150

_RC = {
    "font.family": "DejaVu Sans",
    "pdf.fonttype": 42,  # TrueType: text in the PDF is searchable and copyable
    "svg.hashsalt": "geoplan",
    "path.simplify": True,
}


def _work(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(None, f"{what} must be a GeoDataFrame", "pass it with its geometry")
    if gdf.crs is None:
        raise InputError(None, f"{what} has no CRS", "set it, e.g. gdf.set_crs(25832)")
    return gdf if gdf.crs.to_epsg() == 25832 else gdf.to_crs(WORK_CRS)


def _union(geoms: np.ndarray[Any, Any]) -> shapely.Geometry:
    try:
        out = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:  # not a clean coverage (cells clipped at the coast)
        return shapely.union_all(geoms)
    if abs(out.area - float(shapely.area(geoms).sum())) > 1e-6 * max(out.area, 1.0):
        out = shapely.union_all(geoms)
    return out


def static_map(
    cells: gpd.GeoDataFrame,
    *,
    column: str,
    bands: BandScheme,
    title: str,
    subtitle: str | None = None,
    legend_title: str | None = None,
    municipalities: gpd.GeoDataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    population: str = "pop",
    source: str = "",
    lang: str = "da",
    label_sites: bool = False,
    lines: gpd.GeoDataFrame | None = None,
    lines_title: str | None = None,
) -> Figure:
    """One map as a matplotlib Figure (A4 landscape), ready for :func:`save_static_map`.

    Parameters
    ----------
    cells
        Polygons with ``column`` (classified by ``bands``; NaN/inf = the
        missing class) and ``population``.
    bands
        Classes, colours and labels, e.g. ``palettes.minute_bands([15, 30, 45, 60])``.
    title, subtitle
        Say what the map shows: the scenario, the hour, what was changed.
    legend_title
        Heading of the class legend (default: the title).
    municipalities, boundary
        Outlines drawn over the cells (thin) and around the region (bold).
    sites
        Points with a ``kind`` column (a facility kind of ``palettes.toml``),
        optionally ``closed`` (bool: drawn hollow with a cross) and ``name``.
    source
        The source line ("Vejnet: OSM 2024; befolkning: WorldPop 2020").
    label_sites
        Write each site's ``name`` beside it.
    lines, lines_title
        Lines drawn over everything along their whole length (cut crossings), each named by
        its ``label`` column at its middle; ``lines_title`` is their legend entry.

    Raises
    ------
    InputError
        Missing columns, unknown site kinds, no CRS.
    """
    check_lang(lang)
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib_scalebar.scalebar import ScaleBar

    cells = _work(cells, "cells")
    for c in (column, population):
        if c not in cells.columns:
            raise InputError(
                None, f"cells lack the column {c!r}", f"pass one of {list(cells.columns)}"
            )
    values = pd.to_numeric(cells[column], errors="coerce").to_numpy(dtype=float)
    pop = pd.to_numeric(cells[population], errors="coerce").fillna(0).to_numpy(dtype=float)
    cls = bands.classify(values)
    colors = bands.all_colors()
    labels = [*bands.labels, bands.missing_label]

    with mpl.rc_context(cast(Any, _RC)):
        fig = Figure(figsize=A4_LANDSCAPE_IN)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, 0.075, 0.64, 0.79))
        ax.set_axis_off()
        ax.set_aspect("equal")
        geoms = cells.geometry.to_numpy()
        for k, colour in enumerate(colors):
            sel = cls == k
            if sel.any():
                gpd.GeoSeries([_union(geoms[sel])], crs=cells.crs).plot(
                    ax=ax, color=colour, linewidth=0, edgecolor="none", zorder=1
                )
        if municipalities is not None:
            _work(municipalities, "municipalities").boundary.plot(
                ax=ax, color=special("outline"), linewidth=0.5, zorder=3
            )
        if boundary is not None:
            _work(boundary, "boundary").boundary.plot(
                ax=ax, color=special("region_outline"), linewidth=1.3, zorder=4
            )
        symbol_handles = (
            _draw_sites(ax, sites, lang=lang, label=label_sites) if sites is not None else []
        )
        if lines is not None and len(lines):
            from matplotlib import patheffects

            ln = _work(lines, "lines")
            ln.plot(ax=ax, color="#D55E00", linewidth=3.2, zorder=6)
            if "label" in ln.columns:
                for geom, lab in zip(ln.geometry, ln["label"], strict=True):
                    mid = geom.interpolate(0.5, normalized=True)
                    ax.annotate(str(lab), (mid.x, mid.y), xytext=(6, -10), textcoords="offset points",
                                fontsize=8, color="#7a2e00", zorder=7,
                                path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])
            symbol_handles.append((Line2D([], [], color="#D55E00", linewidth=3.2),
                                   lines_title or t("map.cut_links", lang)))

        # class legend with the population per class
        handles, texts = [], []
        for k, (colour, lab) in enumerate(zip(colors, labels, strict=True)):
            sel = cls == k
            if k == len(colors) - 1 and not sel.any():
                continue  # no missing values: no "unreachable" entry
            n = fmt_number(round(float(pop[sel].sum())), lang)
            handles.append(Patch(facecolor=colour, edgecolor="#555555", linewidth=0.4))
            texts.append(f"{lab}   {t('legend.population_in_band', lang, n=n)}")
        lax = fig.add_axes((0.68, 0.075, 0.30, 0.79))
        lax.set_axis_off()
        leg = lax.legend(
            handles,
            texts,
            title=legend_title or title,
            loc="upper left",
            frameon=False,
            fontsize=10,
            title_fontsize=11,
            handlelength=2.2,
            handleheight=1.4,
            alignment="left",
        )
        leg.get_title().set_fontweight("bold")
        lax.add_artist(leg)
        if municipalities is not None:
            symbol_handles.append(
                (
                    Line2D([], [], color=special("outline"), linewidth=0.8),
                    t("legend.municipal_borders", lang),
                )
            )
        if symbol_handles:
            lax.legend(
                [h for h, _ in symbol_handles],
                [s for _, s in symbol_handles],
                title=t("legend.symbols", lang),
                loc="lower left",
                frameon=False,
                fontsize=10,
                title_fontsize=11,
                alignment="left",
            ).get_title().set_fontweight("bold")

        ax.add_artist(
            ScaleBar(
                1,
                "m",
                location="lower left",
                length_fraction=0.22,
                box_alpha=0.75,
                font_properties={"size": 9},
            )
        )
        ax.annotate(
            t("map.north", lang),
            xy=(0.96, 0.97),
            xytext=(0.96, 0.87),
            xycoords="axes fraction",
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
            arrowprops={
                "facecolor": "#1a1a1a",
                "edgecolor": "#1a1a1a",
                "width": 3.5,
                "headwidth": 11,
            },
        )
        fig.text(0.02, 0.955, title, fontsize=18, fontweight="bold", va="top")
        if subtitle:  # below the title, however many lines it has
            fig.text(0.02, 0.905 - 0.033 * title.count("\n"), subtitle, fontsize=11, va="top", color="#333333")
        if source:
            fig.text(0.02, 0.03, t("map.source", lang, text=source), fontsize=8, color="#444444")
    return fig


def _draw_sites(
    ax: Any, sites: gpd.GeoDataFrame, *, lang: str, label: bool
) -> list[tuple[Any, str]]:
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    s = _work(sites, "sites")
    if "kind" not in s.columns:
        raise InputError(None, "sites lack the column 'kind'", "give each site a facility kind")
    colours = categorical("facility_kinds")
    unknown = sorted(set(map(str, s["kind"])) - set(colours))
    if unknown:
        raise InputError(None, f"unknown site kind(s) {unknown}", f"use one of {sorted(colours)}")
    closed = (
        s["closed"].fillna(False).astype(bool).to_numpy()
        if "closed" in s.columns
        else np.zeros(len(s), bool)
    )
    pts = shapely.point_on_surface(s.geometry.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    kinds = [str(k) for k in s["kind"]]
    handles: list[tuple[Any, str]] = []
    for kind in dict.fromkeys(kinds):
        sel = np.array([k == kind for k in kinds])
        mk, col = marker(kind), colours[kind]
        size = 150 if mk == "*" else 70
        for is_closed in (False, True):
            part = sel & (closed == is_closed)
            if not part.any():
                continue
            face = special("closed_fill") if is_closed else col
            ax.scatter(
                x[part],
                y[part],
                s=size,
                marker=mk,
                c=face,
                edgecolors="#222222",
                linewidths=0.9,
                zorder=6,
            )
            if is_closed:
                ax.scatter(
                    x[part],
                    y[part],
                    s=size * 0.55,
                    marker="x",
                    c=special("closed_mark"),
                    linewidths=1.6,
                    zorder=7,
                )
        handles.append(
            (
                Line2D(
                    [],
                    [],
                    marker=mk,
                    linestyle="",
                    markerfacecolor=col,
                    markeredgecolor="#222222",
                    markersize=11 if mk == "*" else 8,
                ),
                t(f"kind.{kind}", lang),
            )
        )
    if closed.any():
        handles.append(
            (
                Line2D(
                    [],
                    [],
                    marker="X",
                    linestyle="",
                    markerfacecolor=special("closed_fill"),
                    markeredgecolor="#222222",
                    markersize=8,
                ),
                t("legend.closed", lang),
            )
        )
    if label and "name" in s.columns:
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for xi, yi, name in zip(x, y, s["name"], strict=True):
            ax.annotate(
                str(name),
                (xi, yi),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=7.5,
                path_effects=halo,
                zorder=8,
            )
    return handles


def save_static_map(fig: Figure, path: str | os.PathLike[str], *, dpi: int = PNG_DPI) -> Path:
    """Write ``fig`` as ``.png`` or ``.pdf`` (by suffix), atomically and byte-identically.

    The PNG carries no ``Software`` text chunk, the PDF no ``CreationDate``
    and no producer version; fonts are embedded as TrueType subsets.
    """
    import matplotlib as mpl

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise InputError(p, f"unsupported static map format {p.suffix!r}", "use .png or .pdf")
    meta: dict[str, Any] = (
        {"Software": None}
        if fmt == "png"
        else {"Creator": "geoplan", "Producer": None, "CreationDate": None, "ModDate": None}
    )
    tmp = p.with_name(f".{p.name}.tmp")
    with mpl.rc_context(cast(Any, _RC)):
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, facecolor="white")
    os.replace(tmp, p)
    return p


def write_static_maps(fig: Figure, stem: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``<stem>.png`` and ``<stem>.pdf`` of one figure."""
    s = Path(stem)
    return save_static_map(fig, s.with_suffix(".png")), save_static_map(fig, s.with_suffix(".pdf"))


def sites_frame(
    points: Sequence[tuple[float, float]],
    kinds: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    closed: Sequence[bool] | None = None,
) -> gpd.GeoDataFrame:
    """A small sites GeoDataFrame (EPSG:25832) for :func:`static_map` from x/y pairs."""
    df = pd.DataFrame({"kind": list(kinds)})
    if names is not None:
        df["name"] = list(names)
    if closed is not None:
        df["closed"] = list(closed)
    return gpd.GeoDataFrame(
        df,
        geometry=gpd.points_from_xy([p[0] for p in points], [p[1] for p in points]),
        crs=WORK_CRS,
    )
