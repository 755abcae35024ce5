"""``geoplan compare A.toml B.toml``: what changes between two scenarios.

Both scenarios are run (their own outputs go to sub-folders), then, for every
per-cell measure both publish (acute access, prehospital response, health
houses …):

- ``compare_<measure>_by_municipality.csv`` — per municipality and for the
  region: how many citizens gain or lose access within each threshold, and
  the change in the population-weighted mean time;
- ``compare_<measure>.html`` — side-by-side synchronised maps (A | B);
- ``compare_<measure>_difference.html`` — cells coloured by B − A minutes;
- ``report.html`` — headline changes first, then the tables.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan import progress
from geoplan.config.scenario import Scenario
from geoplan.errors import ScenarioError
from geoplan.i18n import fmt_number, t
from geoplan.measures.coverage import round_table
from geoplan.output import maps
from geoplan.output.files import staged_directory, write_csv, write_text
from geoplan.run.context import RunContext
from geoplan.run.pipeline import run_scenario

DIFF_BANDS = [-15.0, -5.0, -0.5, 0.5, 5.0, 15.0]
DIFF_COLORS = ["#1a9850", "#66bd63", "#d9ef8b", "#f7f7f7", "#fee08b", "#f46d43", "#a50026"]


def delta_by_municipality(a: np.ndarray, b: np.ndarray, pop: np.ndarray, kode: np.ndarray, *,
                          thresholds, names: dict[str, str], total_label: str) -> pd.DataFrame:
    """Citizens gaining / losing access within each threshold, and mean-time change (B − A).

    Returns
    -------
    pandas.DataFrame
        Per municipality then a total row: ``kode, municipality, population``,
        ``gain_within_<T>``, ``lose_within_<T>``, ``net_within_<T>``,
        ``share_within_<T>_a``, ``share_within_<T>_b``, ``mean_minutes_a``,
        ``mean_minutes_b``, ``mean_change_minutes``.
    """
    rows = []
    groups = [(k, kode == k) for k in sorted(set(kode))] + [("", np.ones(len(kode), bool))]
    for k, sel in groups:
        w = pop[sel]
        row = {"kode": k, "municipality": names.get(k, total_label) if k else total_label,
               "population": float(w.sum())}
        for T in thresholds:
            tt = int(T) if float(T).is_integer() else T
            ina, inb = a[sel] <= T, b[sel] <= T
            row[f"gain_within_{tt}"] = float(w[~ina & inb].sum())
            row[f"lose_within_{tt}"] = float(w[ina & ~inb].sum())
            row[f"net_within_{tt}"] = row[f"gain_within_{tt}"] - row[f"lose_within_{tt}"]
            row[f"share_within_{tt}_a"] = float(w[ina].sum() / max(w.sum(), 1e-9))
            row[f"share_within_{tt}_b"] = float(w[inb].sum() / max(w.sum(), 1e-9))
        fa, fb = np.isfinite(a[sel]), np.isfinite(b[sel])
        row["mean_minutes_a"] = float(np.average(a[sel][fa], weights=w[fa])) if w[fa].sum() else float("nan")
        row["mean_minutes_b"] = float(np.average(b[sel][fb], weights=w[fb])) if w[fb].sum() else float("nan")
        row["mean_change_minutes"] = row["mean_minutes_b"] - row["mean_minutes_a"]
        rows.append(row)
    return pd.DataFrame(rows)


def default_compare_dir(a: Scenario, b: Scenario) -> Path:
    """``./maps/compare-<a>-vs-<b>`` in the working directory."""
    return Path.cwd() / "maps" / f"compare-{a.name}-vs-{b.name}"


def compare_scenarios(a: Scenario, b: Scenario, *, out: Path | None = None) -> Path:
    """Run both scenarios and write the comparison (see module docstring).

    Raises
    ------
    ScenarioError
        The scenarios are of different regions, or share no measure.
    """
    if a.region != b.region:
        raise ScenarioError(b.path, f"region {b.region!r} differs from {a.region!r} in {a.path}",
                            "compare scenarios of the same region")
    out = Path(out) if out is not None else default_compare_dir(a, b)
    lang = a.lang
    with staged_directory(out) as tmp:
        sub_a, sub_b = (a.name, b.name) if a.name != b.name else (f"{a.name}-A", f"{b.name}-B")
        progress.step(f"Running {a.name}")
        ca = run_scenario(a, out=tmp / sub_a)
        progress.step(f"Running {b.name}")
        cb = run_scenario(b, out=tmp / sub_b)
        common = [k for k in ca.measures if k in cb.measures]
        if not common:
            raise ScenarioError(b.path, f"no measure in common with {a.path} "
                                f"({sorted(ca.measures)} vs {sorted(cb.measures)})",
                                "give both scenarios the same section, e.g. [acute]")
        cells = ca.cells
        names = dict(zip(ca.region.municipalities["kode"], ca.region.municipalities["navn"], strict=True))
        written, headlines = [], []
        for key in common:
            ma, mb = ca.measures[key], cb.measures[key]
            table = delta_by_municipality(ma.minutes, mb.minutes, cells["pop"].to_numpy(), cells["kode"].to_numpy(),
                                          thresholds=ma.thresholds, names=names,
                                          total_label=ca.region.title(lang))
            fname = f"compare_{key}_by_municipality.csv"
            write_csv(round_table(table), tmp / fname)
            written.append(fname)
            headlines += _headlines(table, key=key, label=ma.label(lang), a=a, b=b, lang=lang,
                                    thresholds=ma.thresholds)
            written += _compare_maps(ca, cb, key=key, out=tmp, lang=lang, a=a, b=b)
        _write_compare_report(tmp, a=a, b=b, sub=(sub_a, sub_b), written=written, headlines=headlines, lang=lang)
    return out


def _headlines(table, *, key, label, a, b, lang, thresholds) -> list[str]:
    tot = table.iloc[-1]
    T = 30 if 30 in thresholds else thresholds[len(thresholds) // 2]
    tt = int(T)
    gain, lose = tot[f"gain_within_{tt}"], tot[f"lose_within_{tt}"]
    dm = tot["mean_change_minutes"]
    if lang == "en":
        return [f"{b.name} vs {a.name} ({label}): {fmt_number(lose, 'en', digits=0)} citizens lose and "
                f"{fmt_number(gain, 'en', digits=0)} gain access within {tt} min; the mean time changes by "
                f"{fmt_number(dm, 'en', digits=1)} min."]
    return [f"{b.name} mod {a.name} ({label}): {fmt_number(lose, 'da', digits=0)} borgere mister og "
            f"{fmt_number(gain, 'da', digits=0)} får adgang inden for {tt} min; den gennemsnitlige tid ændres med "
            f"{fmt_number(dm, 'da', digits=1)} min."]


def _compare_maps(ca: RunContext, cb: RunContext, *, key: str, out: Path, lang: str, a, b) -> list[str]:
    from geoplan.output.scenario_maps import add_hospitals, region_places, sources_caption

    if not ca.scenario.output.maps:
        return []
    ma, mb = ca.measures[key], cb.measures[key]
    region = ca.region
    cells = ca.cells[["cell_id", "pop", "geometry"]]
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
        add_hospitals(d.m1, ca, ca.results["acute"]["sites"], all_hospitals=False)
        add_hospitals(d.m2, cb, cb.results["acute"]["sites"], all_hospitals=False)
    side = f"compare_{key}.html"
    maps.save_map(d, out / side)

    with np.errstate(invalid="ignore"):
        diff = mb.minutes - ma.minutes
    diff = np.where(np.isfinite(diff), diff, np.where(np.isinf(mb.minutes) & np.isfinite(ma.minutes), 999.0, 0.0))
    changed = np.abs(diff) >= 0.05
    dtitle = t("map.difference", lang) + f": {label} ({b.name} − {a.name})"
    m = maps.base_map(boundary=region.boundary, municipalities=region.municipalities, places=region_places(region),
                      title=dtitle, caption=sources_caption(lang, "Kun celler med ændret tid" if lang == "da"
                                                            else "Only cells whose time changes"), lang=lang)
    if changed.any():
        maps.add_cells(m, cells.loc[changed].assign(diff=np.round(diff[changed], 1)), column="diff",
                       bands=DIFF_BANDS, colors=DIFF_COLORS, name=dtitle,
                       tooltip_fields={"diff": f"{t('field.change', lang)} ({t('unit.min', lang)})"}, lang=lang)
    else:
        maps.add_legend(m, title=dtitle, items=[("#f7f7f7", "Ingen ændring" if lang == "da" else "No change")])
    if key == "acute":
        add_hospitals(m, cb, cb.results["acute"]["sites"], all_hospitals=False)
    diff_name = f"compare_{key}_difference.html"
    maps.save_map(m, out / diff_name)
    return [side, diff_name]


def _write_compare_report(out: Path, *, a, b, sub, written, headlines, lang) -> None:
    from geoplan.output.report import CSS, table_html

    title = (f"Sammenligning: {a.name} og {b.name}" if lang == "da" else f"Comparison: {a.name} and {b.name}")
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='caption'>A = {html.escape(a.title or a.name)} · B = {html.escape(b.title or b.name)}</p>",
             f"<h2>{t('report.summary', lang)}</h2><div class='headlines'>"]
    parts += [f"<div class='headline'>{html.escape(h)}</div>" for h in headlines]
    parts.append(f"</div><h2>{t('report.maps', lang)}</h2><ul class='maps'>")
    parts += [f"<li><a href='{n}'>{n}</a></li>" for n in written if n.endswith(".html")]
    parts += [f"<li><a href='{s}/report.html'>{html.escape(s)}: report.html</a></li>" for s in sub]
    parts.append(f"</ul><h2>{t('report.tables', lang)}</h2>")
    for n in written:
        if n.endswith(".csv"):
            df = pd.read_csv(out / n, dtype={"kode": str}, keep_default_na=False, na_values=[""])
            cols = ["municipality", "population"] + [c for c in df.columns if c.startswith(("gain_", "lose_"))] + [
                "mean_minutes_a", "mean_minutes_b", "mean_change_minutes"]
            parts.append(f"<h3>{html.escape(n)}</h3>" + table_html(df, lang=lang, columns=cols))
    page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    write_text(page, out / "report.html")
