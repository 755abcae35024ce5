"""Writer of ``geoplan compare``: a :class:`~geoplan.run.results.CompareResult` → files.

For every per-cell measure both scenarios publish (acute access, prehospital
response, health houses …):

- ``compare_<measure>_by_municipality.csv`` — per municipality and for the
  region: how many citizens gain or lose access within each threshold, and
  the change in the population-weighted mean time;
- ``compare_<measure>.html`` — side-by-side synchronised maps (A | B);
- ``compare_<measure>_difference.html`` — cells coloured by B − A minutes;

and ``compare_parameters.csv`` (the scenario keys that differ) and
``report.html`` — headline changes first, the differing parameters, the tables.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.i18n import t
from geoplan.output import maps
from geoplan.output.files import OutputFolder
from geoplan.output.palettes import diverging
from geoplan.output.tables import RunFolder
from geoplan.run.results import AcuteResult, CompareResult, RunResult

DIFF_BANDS = [-15.0, -5.0, -0.5, 0.5, 5.0, 15.0]
#: Shorter = blue, longer = red (ColorBrewer RdBu, colour-blind safe; palettes.toml ``diverging.delta``).
DIFF_COLORS = list(diverging(7))


def _value(v: Any) -> str:
    """A parameter value as one CSV / table cell (``None``: empty; lists and tables as JSON)."""
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)


def parameters_table(result: CompareResult) -> pd.DataFrame:
    """``parameter, a, b``: one row per scenario key whose value differs."""
    return pd.DataFrame([{"parameter": k, "a": _value(va), "b": _value(vb)} for k, va, vb in result.parameters],
                        columns=["parameter", "a", "b"])


def write_comparison(result: CompareResult, folder: Path, *, sub: tuple[str, str]) -> list[str]:
    """Write the comparison files into ``folder`` (the runs are in its sub-folders ``sub``)."""
    out = RunFolder(Path(folder))
    lang = result.a.lang
    for key, table in result.tables.items():
        out.csv(table, f"compare_{key}_by_municipality.csv")
        if result.a.scenario.output.maps:
            _compare_maps(result, key=key, out=out, lang=lang)
    out.csv(parameters_table(result), "compare_parameters.csv")
    out.finish(lang=lang)
    _write_compare_report(result, out, sub=sub, lang=lang)
    return out.written


def _acute_sites(run: RunResult) -> pd.DataFrame:
    r = run["acute"]
    assert isinstance(r, AcuteResult)
    return r.sites


def _compare_maps(result: CompareResult, *, key: str, out: OutputFolder, lang: str) -> None:
    from geoplan.output.scenario_maps import add_hospitals, region_places, sources_caption

    ra, rb = result.a, result.b
    a, b = ra.scenario, rb.scenario
    ma, mb = ra.measures[key], rb.measures[key]
    region = ra.region
    cells = ra.cells[["cell_id", "pop", "geometry"]]
    label = ma.label(lang)
    title = t("map.travel_time", lang, what=label)
    tip = f"{t('field.travel_time', lang)} ({t('unit.min', lang)})"
    bands = list(ma.thresholds)
    d = maps.dual_map(boundary=region.boundary, municipalities=region.municipalities, places=region_places(region),
                      left=a.name, right=b.name, title=title, caption=sources_caption(lang), lang=lang)
    maps.add_cells(d.m1, cells.assign(minutes=np.round(ma.minutes, 1)), column="minutes", bands=bands,
                   name=f"{title} ({a.name})", tooltip_fields={"minutes": tip}, lang=lang)
    maps.add_cells(d.m2, cells.assign(minutes=np.round(mb.minutes, 1)), column="minutes", bands=bands,
                   name=f"{title} ({b.name})", tooltip_fields={"minutes": tip}, lang=lang)
    if key == "acute":
        add_hospitals(d.m1, region, _acute_sites(ra), lang=lang, all_hospitals=False)
        add_hospitals(d.m2, region, _acute_sites(rb), lang=lang, all_hospitals=False)
    maps.save_map(d, out.add(f"compare_{key}.html"))

    with np.errstate(invalid="ignore"):
        diff = mb.minutes - ma.minutes
    diff = np.where(np.isfinite(diff), diff, np.where(np.isinf(mb.minutes) & np.isfinite(ma.minutes), 999.0, 0.0))
    changed = np.abs(diff) >= 0.05
    dtitle = t("map.difference", lang) + f": {label} ({b.name} − {a.name})"
    m = maps.base_map(boundary=region.boundary, municipalities=region.municipalities, places=region_places(region),
                      title=dtitle, caption=sources_caption(lang, t("map.compare_changed_only", lang)), lang=lang)
    if changed.any():
        maps.add_cells(m, cells.loc[changed].assign(diff=np.round(diff[changed], 1)), column="diff",
                       bands=DIFF_BANDS, colors=DIFF_COLORS, name=dtitle,
                       tooltip_fields={"diff": f"{t('field.change', lang)} ({t('unit.min', lang)})"}, lang=lang)
    else:
        maps.add_legend(m, title=dtitle, items=[("#f7f7f7", t("map.no_change", lang))])
    if key == "acute":
        add_hospitals(m, region, _acute_sites(rb), lang=lang, all_hospitals=False)
    maps.save_map(m, out.add(f"compare_{key}_difference.html"))


def change_sentences(result: CompareResult, lang: str) -> list[str]:
    """One plain sentence per changed figure of each measure (region totals): who loses and who
    gains access within each threshold, the change of the mean time, the hardest-hit municipalities."""
    from geoplan.i18n import fmt_number
    from geoplan.measures.coverage import threshold_key

    out: list[str] = []
    for key, table in result.tables.items():
        m = result.a.measures[key]
        what = m.label(lang)
        data, tot = table[table["kode"].astype(str) != ""], table[table["kode"].astype(str) == ""]
        if tot.empty:
            continue
        r = tot.iloc[-1]
        said = False
        for T in m.thresholds:
            tt = threshold_key(T)
            for kind in ("lose", "gain"):
                n = float(r.get(f"{kind}_within_{tt}", 0.0) or 0.0)
                if round(n) > 0:
                    out.append(t(f"compare_sentence.{kind}", lang, n=fmt_number(n, lang, digits=0),
                                 minutes=fmt_number(float(T), lang, digits=0 if float(T).is_integer() else 1),
                                 what=what))
                    said = True
        ch = float(r.get("mean_change_minutes", 0.0) or 0.0)
        if abs(ch) >= 0.05:
            out.append(t("compare_sentence.mean_up" if ch > 0 else "compare_sentence.mean_down", lang,
                         what=what, change=fmt_number(abs(ch), lang, digits=1),
                         a=fmt_number(float(r["mean_minutes_a"]), lang, digits=1),
                         b=fmt_number(float(r["mean_minutes_b"]), lang, digits=1)))
            said = True
        if said and "mean_change_minutes" in data.columns:
            worst = data.sort_values("mean_change_minutes", ascending=False).head(3)
            worst = worst[worst["mean_change_minutes"] >= 0.05]
            if len(worst):
                out.append(t("compare_sentence.worst", lang, items=", ".join(
                    f"{w.municipality} (+{fmt_number(float(w.mean_change_minutes), lang, digits=1)} min)"
                    for w in worst.itertuples())))
        if not said:
            out.append(t("compare_sentence.unchanged", lang, what=what))
    return out


def _write_compare_report(result: CompareResult, out: OutputFolder, *, sub: tuple[str, str], lang: str) -> None:
    from geoplan.output.report import CSS, _computed, table_html

    a, b = result.a.scenario, result.b.scenario
    written = list(out.written)
    title = t("report.compare_title", lang, a=a.name, b=b.name)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='caption'>A = {html.escape(a.title or a.name)} · B = {html.escape(b.title or b.name)}</p>",
             f"<h2>{t('report.summary', lang)}</h2><div class='headlines'>"]
    parts += [f"<div class='headline'>{html.escape(h.text(lang))}</div>" for h in result.headlines]
    parts.append(f"</div><h2>{html.escape(t('compare_sentence.heading', lang))}</h2><ul class='changes'>")
    parts += [f"<li>{html.escape(x)}</li>" for x in change_sentences(result, lang)]
    parts.append(f"</ul><h2>{t('report.maps', lang)}</h2><ul class='maps'>")
    parts += [f"<li><a href='{n}'>{n}</a></li>" for n in written if n.endswith(".html")]
    parts += [f"<li><a href='{s}/report.html'>{html.escape(s)}: report.html</a></li>" for s in sub]
    parts.append(f"</ul><h2>{html.escape(t('report.parameters', lang))}</h2>")
    params = parameters_table(result)
    if params.empty:
        parts.append(f"<p>{html.escape(t('report.no_parameters', lang))}</p>")
    else:
        head = f"<th>{html.escape(t('report.parameter', lang))}</th><th>A: {html.escape(a.name)}</th>" \
               f"<th>B: {html.escape(b.name)}</th>"
        rows = "".join(f"<tr><td>{html.escape(r.parameter)}</td><td>{html.escape(_short(r.a))}</td>"
                       f"<td>{html.escape(_short(r.b))}</td></tr>" for r in params.itertuples())
        parts.append(f"<table class='parameters'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    parts.append(f"<h2>{t('report.tables', lang)}</h2>")
    for n in written:
        if n.endswith("_by_municipality.csv"):
            df = _computed(out, n)
            cols = ["municipality", "population"] + [c for c in df.columns if c.startswith(("gain_", "lose_"))] + [
                "mean_minutes_a", "mean_minutes_b", "mean_change_minutes"]
            parts.append(f"<h3>{html.escape(n)}</h3>" + table_html(df, lang=lang, columns=cols))
    page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    out.text(page, "report.html")


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["parameters_table", "write_comparison"]
