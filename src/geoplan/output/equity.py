"""Writer of the ``[equity]`` step and the equity section of ``report.html``.

Files (when the run has at least one measure):

- ``equity_indicators.csv``: every measure's indicators (unreachable population, mean,
  P10/P50/P90, P90/P10, worst-off decile mean, Gini, Theil) for everyone, the 65+,
  each settlement class, urban/rural, island/mainland and municipality, and the Theil
  between/within split per breakdown (tidy: measure, indicator, group, value, population);
- ``equity_worst_places.csv``: the worst cells and municipalities of every measure, with
  the households without a car of their municipality;
- ``equity_worst_off.csv``: per measure, the municipalities the worst-off decile lives
  in (how many, their share of the worst off and of the municipality) with its
  households without a car;
- ``equity_deprivation.csv``: per measure and municipality, access beside the four
  social-position indicators, the deprivation index and the households without a car;
- ``equity_correlations.csv``: Spearman's rho of bad access against each indicator;
- ``equity_access_vs_deprivation.png``: one panel per measure, municipality mean
  against the deprivation index;
- ``equity_deprivation.html``: the municipalities coloured by the deprivation index and
  by each measure's rank, tooltips with both.

:func:`report_section` is the hook :mod:`geoplan.output.report` calls: the HTML of the
equity section (empty when the run has no equity result).
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.i18n import fmt_number, fmt_percent, has_label, t
from geoplan.measures.coverage import round_table
from geoplan.output.files import OutputFolder
from geoplan.run.results import EquityResult, RunResult

#: Breakdown groups shown in the report's key-figure table, in order (tidy ``group`` values).
REPORT_GROUPS: tuple[str, ...] = (
    "all", "age=65+", "settlement=urban", "settlement=periurban", "settlement=rural",
    "urban_rural=urban", "urban_rural=rural", "island=false", "island=true",
)
#: Indicators shown in the key-figure table.
REPORT_INDICATORS: tuple[str, ...] = (
    "mean_reachable", "p10", "p50", "p90", "p90_p10", "worst_decile_mean", "gini", "theil",
    "unreachable_population",
)
SOCIAL_SHOWN: tuple[str, ...] = ("no_car_share", "low_income_share", "basic_education_share",
                                 "early_retirement_per_1000", "deprivation_index")
#: Rows of the worst cells shown in the report per measure (the CSV has them all).
REPORT_WORST_CELLS = 20


def write_equity(result: EquityResult, run: RunResult, out: OutputFolder) -> None:
    """Write the equity tables, chart and map (nothing when the run measured nothing)."""
    if not result.reports:
        return
    assert result.indicators is not None and result.worst_places is not None
    out.csv(result.indicators, "equity_indicators.csv", float_digits=6)
    out.csv(result.worst_places, "equity_worst_places.csv")
    if result.worst_off is not None:
        out.csv(result.worst_off, "equity_worst_off.csv")
    if result.deprivation is not None and result.correlations is not None:
        out.csv(round_table(result.deprivation, digits=8), "equity_deprivation.csv", float_digits=6)
        out.csv(result.correlations, "equity_correlations.csv")
        plot_access_vs_deprivation(run, result, out.add("equity_access_vs_deprivation.png"))
        if run.scenario.output.maps:
            deprivation_map(run, result, out.add("equity_deprivation.html"))


# --------------------------------------------------------------------------- chart and map
def _scaled(result: EquityResult, measure: str, values: np.ndarray) -> np.ndarray:
    """Scores per 1,000 inhabitants, minutes as they are."""
    return values * 1000.0 if result.reports[measure].unit == "score" else values


def _unit(result: EquityResult, measure: str, lang: str) -> str:
    return t("equity.unit_per_1000", lang) if result.reports[measure].unit == "score" else t("unit.min", lang)


def plot_access_vs_deprivation(run: RunResult, result: EquityResult, path: Path) -> Path:
    """One scatter per measure: municipality mean (y) against the deprivation index (x), named points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert result.deprivation is not None and result.correlations is not None
    lang = run.lang
    measures = list(result.reports)
    n = len(measures)
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), measures, strict=False):
        d = result.deprivation[result.deprivation["measure"] == name]
        x = d["deprivation_index"].to_numpy(dtype="float64")
        y = _scaled(result, name, d["mean_reachable"].to_numpy(dtype="float64"))
        ax.scatter(x, y, s=np.sqrt(d["population"].to_numpy(dtype="float64")) / 3, color="#1f6fb2", alpha=0.7)
        for xi, yi, label in zip(x, y, d["municipality"], strict=True):
            ax.annotate(str(label), (xi, yi), fontsize=7, xytext=(3, 2), textcoords="offset points")
        c = result.correlations
        rho = c.loc[(c["measure"] == name) & (c["indicator"] == "deprivation_index"), "spearman_rho"]
        rho_text = fmt_number(float(rho.iloc[0]), lang, digits=2) if len(rho) else "–"
        ax.set_title(f"{t(result.labels[name], lang)} (ρ = {rho_text})", fontsize=10)
        ax.set_xlabel(t("socio.deprivation_index", lang), fontsize=9)
        ax.set_ylabel(f"{t('equity.indicator.mean_reachable', lang)} ({_unit(result, name, lang)})", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def deprivation_map(run: RunResult, result: EquityResult, path: Path) -> Path:
    """``equity_deprivation.html``: municipalities by deprivation index, and by each measure's rank."""
    from geoplan.output import maps, palettes
    from geoplan.output.scenario_maps import map_heading, new_map, scenario_caption, write_static

    assert result.deprivation is not None
    lang, region = run.lang, run.region
    m = new_map(region, lang, title=map_heading(run, t("map_title.equity_deprivation", lang), hour=None), caption=scenario_caption(run, t("map.equity_caption", lang)))
    dep = result.deprivation
    first = dep[dep["measure"] == next(iter(result.reports))].set_index("kode")
    munis = region.municipalities[["kode", "navn", "geometry"]].copy()
    tips: dict[str, str] = {}
    for col in ("deprivation_index", "no_car_share", "low_income_share"):
        if col in first.columns:
            v = munis["kode"].map(first[col]).to_numpy(dtype="float64")
            munis[col] = np.round(100 * v, 1) if col.endswith("share") else np.round(v, 2)
            tips[col] = t(f"socio.{col}", lang) + (" (%)" if col.endswith("share") else "")
    for name in result.reports:
        d = dep[dep["measure"] == name].set_index("kode")
        munis[f"v_{name}"] = np.round(_scaled(result, name, munis["kode"].map(d["mean_reachable"])
                                              .to_numpy(dtype="float64")), 2)
        munis[f"r_{name}"] = munis["kode"].map(d["rank_worst_access"]).astype("float64")
        tips[f"v_{name}"] = f"{t(result.labels[name], lang)} ({_unit(result, name, lang)})"
    munis["pop"] = 0.0
    maps.add_cells(m, munis, column="deprivation_index", bands=[-1.0, -0.5, 0.0, 0.5, 1.0],
                   name=t("socio.deprivation_index", lang), unit="", colors=list(palettes.diverging(6)),
                   tooltip_fields=tips, lang=lang, canvas=False)
    write_static(run, path, munis[["pop", "deprivation_index", "geometry"]], column="deprivation_index",
                 limits=[-1.0, -0.5, 0.0, 0.5, 1.0],
                 title=map_heading(run, t("map_title.equity_deprivation", lang), hour=None),
                 subtitle=t("map.equity_caption", lang), legend_title=t("socio.deprivation_index", lang),
                 unit="", from_zero=False)
    n = len(munis)
    bands = [float(b) for b in np.unique(np.round(np.linspace(0, n, 6)[1:-1]))]
    colors = list(reversed(palettes.sequential(len(bands) + 1, scheme="increase")))
    for name in result.reports:
        maps.add_cells(m, munis, column=f"r_{name}", bands=bands, unit="", colors=colors,
                       name=t("equity.rank_layer", lang, what=t(result.labels[name], lang)),
                       tooltip_fields={f"r_{name}": t("equity.rank_worst", lang), **tips}, lang=lang,
                       show=False, show_legend=False, canvas=False)
    return maps.save_map(m, path)


# --------------------------------------------------------------------------- report section
def _fmt(v: object, lang: str, *, digits: int = 1) -> str:
    if isinstance(v, float | np.floating) and not np.isfinite(v):
        return fmt_number(float(v), lang)
    return fmt_number(v, lang, digits=digits)


def _group_label(group: str, lang: str) -> str:
    if group == "all":
        return t("equity.group.all", lang)
    if group == "age=65+":
        return t("equity.group.age65", lang)
    key, _, val = group.partition("=")
    label = f"{key}.{val}"
    return t(label, lang) if has_label(label) else group


def _key_figures(result: EquityResult, name: str, lang: str) -> pd.DataFrame:
    rep = result.reports[name]
    tab = rep.table
    score = rep.unit == "score"
    rows = []
    for g in REPORT_GROUPS:
        sub = tab[tab["group"] == g].set_index("indicator")
        if sub.empty:
            continue
        row = {t("equity.group_heading", lang): _group_label(g, lang),
               t("column.population", lang): _fmt(float(sub["population"].iloc[0]), lang, digits=0)}
        for ind in REPORT_INDICATORS:
            v = float(sub.loc[ind, "value"])
            if ind in ("gini", "theil", "p90_p10"):
                text = _fmt(v, lang, digits=3 if ind != "p90_p10" else 2)
            elif ind == "unreachable_population":
                text = _fmt(v, lang, digits=0)
            else:
                text = _fmt(v * 1000.0 if score else v, lang, digits=2 if score else 1)
            row[t(f"equity.indicator.{ind}", lang)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _worst_cells(result: EquityResult, name: str, lang: str, n: int) -> pd.DataFrame:
    assert result.worst_places is not None
    w = result.worst_places
    w = w[(w["measure"] == name) & (w["level"] == "cell")].head(n)
    score = result.reports[name].unit == "score"
    out = pd.DataFrame({
        "#": w["rank"].astype(str),
        t("equity.place", lang): w["place"].astype(str),
        t("column.municipality", lang): w["navn"].astype(str) if "navn" in w.columns else "",
        f"{t('equity.value', lang)} ({_unit(result, name, lang)})":
            [_fmt(v * 1000.0 if score else v, lang, digits=2 if score else 1) for v in w["value"]],
        t("column.population", lang): [_fmt(v, lang, digits=0) for v in w["population"]],
    })
    if "no_car_share" in w.columns:
        out[t("socio.no_car_share", lang)] = [fmt_percent(float(v), lang) if pd.notna(v) else "–"
                                              for v in w["no_car_share"]]
    return out


def _deprivation_table(result: EquityResult, name: str, lang: str) -> pd.DataFrame:
    assert result.deprivation is not None
    d = result.deprivation[result.deprivation["measure"] == name].sort_values("rank_worst_access")
    score = result.reports[name].unit == "score"
    out = pd.DataFrame({
        t("equity.rank_worst", lang): d["rank_worst_access"].astype(str),
        t("column.municipality", lang): d["municipality"].astype(str),
        f"{t('equity.indicator.mean_reachable', lang)} ({_unit(result, name, lang)})":
            [_fmt(v * 1000.0 if score else v, lang, digits=2 if score else 1) for v in d["mean_reachable"]],
        t("column.unreachable_population", lang): [_fmt(v, lang, digits=0) for v in d["unreachable_population"]],
    })
    for col in SOCIAL_SHOWN:
        if col in d.columns:
            out[t(f"socio.{col}", lang)] = [
                fmt_percent(float(v), lang) if col.endswith("share") else _fmt(float(v), lang, digits=2)
                for v in d[col]]
    if "households_no_car" in d.columns:
        out[t("socio.households_no_car", lang)] = [_fmt(float(v), lang, digits=0) for v in d["households_no_car"]]
    return out


def _correlations(result: EquityResult, name: str, lang: str) -> str:
    assert result.correlations is not None
    c = result.correlations[result.correlations["measure"] == name]
    parts = [f"{html.escape(t(f'socio.{r.indicator}', lang))}: ρ = {_fmt(float(r.spearman_rho), lang, digits=2)} "
             f"(p = {_fmt(float(r.p_value), lang, digits=3)})" for r in c.itertuples()]
    return "; ".join(parts)


def report_section(run: RunResult, out: OutputFolder) -> str:
    """The equity section of ``report.html`` (``""`` when the run has no equity result)."""
    from geoplan.output.report import table_html

    result = run.steps.get("equity")
    if not isinstance(result, EquityResult) or not result.reports:
        return ""
    lang = run.lang
    sec = run.scenario.equity
    pct = fmt_number(100 * sec.worst_share, lang, digits=0)
    parts = [f"<h2>{html.escape(t('equity.title', lang))}</h2>",
             f"<p class='caption'>{html.escape(t('equity.intro', lang, pct=pct))}</p>"]
    no_car = _no_car_sentence(result, lang)
    if no_car:
        parts.append(f"<p>{html.escape(no_car)}</p>")
    for note in result.notes:
        parts.append(f"<p class='caption'>{html.escape(note)}</p>")
    for name in result.reports:
        parts.append(f"<h3>{html.escape(t(result.labels[name], lang))}</h3>")
        parts.append(table_html(_key_figures(result, name, lang), lang=lang, total_last=False))
        where = _worst_off_sentence(result, name, lang, pct)
        if where:
            parts.append(f"<p>{html.escape(where)}</p>")
        parts.append(f"<h4>{html.escape(t('equity.worst_places', lang, n=REPORT_WORST_CELLS))}</h4>")
        parts.append(table_html(_worst_cells(result, name, lang, REPORT_WORST_CELLS), lang=lang, total_last=False))
        if result.deprivation is not None:
            parts.append(f"<h4>{html.escape(t('equity.access_vs_deprivation', lang))}</h4>")
            parts.append(f"<p class='caption'>{_correlations(result, name, lang)}. "
                         f"{html.escape(t('equity.rho_note', lang))}</p>")
            parts.append(table_html(_deprivation_table(result, name, lang), lang=lang, total_last=False))
    return "".join(parts)


def _worst_off_sentence(result: EquityResult, name: str, lang: str, pct: str) -> str:
    """Where the worst off live (the three largest municipalities) and their households without a car."""
    if result.worst_off is None:
        return ""
    w = result.worst_off[result.worst_off["measure"] == name]
    if w.empty:
        return ""
    top = ", ".join(f"{r.municipality} ({fmt_percent(float(r.share_of_worst), lang)})" for r in w.head(3).itertuples())
    text = t("equity.worst_off_where", lang, pct=pct, n=_fmt(float(w["population"].sum()), lang, digits=0),
             where=top)
    if "no_car_share" in w.columns and w["no_car_share"].notna().all():
        share = float(np.average(w["no_car_share"], weights=w["population"]))
        text += " " + t("equity.worst_off_no_car", lang, share=fmt_percent(share, lang))
    return text


def _no_car_sentence(result: EquityResult, lang: str) -> str:
    if result.deprivation is None or "households_no_car" not in result.deprivation.columns:
        return ""
    d = result.deprivation[result.deprivation["measure"] == next(iter(result.reports))]
    total = float(d["households_no_car"].sum())
    hi = d.loc[d["no_car_share"].idxmax()]
    return t("equity.no_car_note", lang) + " " + t(
        "equity.no_car_figures", lang, n=_fmt(total, lang, digits=0),
        name=str(hi["municipality"]), share=fmt_percent(float(hi["no_car_share"]), lang))
