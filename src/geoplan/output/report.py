"""``report.html``: one self-contained page per run, headline numbers first.

The page has no external references: tables are HTML, plots are embedded
PNG (base64), maps are linked by relative path (they sit beside the report).
Danish by default, English with the scenario's ``lang = "en"``.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from geoplan.i18n import fmt_number, t
from geoplan.output.files import write_text

#: Column labels for tables shown in reports (CSV files keep their machine names).
COLUMN_LABELS = {
    "municipality": ("Kommune", "Municipality"),
    "kode": ("Kode", "Code"),
    "population": ("Indbyggere", "Population"),
    "mean_minutes": ("Gns. min", "Mean min"),
    "p95_minutes": ("95 %-fraktil, min", "95th pct., min"),
    "unreachable_population": ("Ikke nåbare", "Unreachable"),
    "affected_population": ("Berørte borgere", "Affected citizens"),
    "mean_increase_minutes": ("Gns. forøgelse, min", "Mean increase, min"),
    "max_increase_minutes": ("Største forøgelse, min", "Largest increase, min"),
    "covered_share": ("Andel dækket", "Share covered"),
    "weight": ("Efterspørgsel (vægt)", "Demand (weight)"),
    "house": ("Hus", "House"),
    "mean_minutes_a": ("Gns. min (A)", "Mean min (A)"),
    "mean_minutes_b": ("Gns. min (B)", "Mean min (B)"),
    "mean_change_minutes": ("Ændring, min", "Change, min"),
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2733;line-height:1.45;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:2px solid #dde3ea;padding-bottom:.2rem}
.caption{color:#5a6675;font-size:.92rem}
.headlines{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:.8rem;margin:1.2rem 0}
.headline{background:#f1f6fb;border-left:5px solid #1f6fb2;padding:.8rem 1rem;font-size:1.08rem}
.headline .value{font-size:1.9rem;font-weight:700;color:#1f4e79;display:block}
table{border-collapse:collapse;font-size:.88rem;margin:.6rem 0 1rem;width:100%}
th,td{border-bottom:1px solid #e3e8ee;padding:.28rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f6f8fa;position:sticky;top:0}
tr.total td{font-weight:700;border-top:2px solid #9aa7b4}
ul.maps li{margin:.3rem 0} img.plot{max-width:100%;border:1px solid #e3e8ee}
"""


def _col_label(col: str, lang: str) -> str:
    i = 1 if lang == "en" else 0
    if col in COLUMN_LABELS:
        return COLUMN_LABELS[col][i]
    for prefix, da, en in (("gain_within_", "Får adgang ≤", "Gain ≤"), ("lose_within_", "Mister adgang ≤", "Lose ≤"),
                           ("net_within_", "Netto ≤", "Net ≤")):
        if col.startswith(prefix):
            m = col.removeprefix(prefix)
            return (f"{da} {m} min", f"{en} {m} min")[i]
    pre = {"amb_mean_h12": ("Gns. ambulance, min", "Mean ambulance, min"),
           "misses_h12": ("Mål ikke nået", "Targets missed"),
           "first_misses_h12": ("Mål ikke nået, første enhed", "Targets missed, first unit"),
           "misses_h03": ("Mål ikke nået kl. 03", "Targets missed at 03:00")}
    if col in pre:
        return pre[col][i]
    if col.startswith("share_first_A") or col.startswith(("share_A", "share_B")):
        first = "første enhed " if "first" in col else ""
        first_en = "first unit " if "first" in col else ""
        code = col.split("_")[-2]
        return (f"Andel {first}{code[0]} ≤ {code[1:]} min", f"Share {first_en}{code[0]} ≤ {code[1:]} min")[i]
    if col.startswith("share_within_"):
        m = col.removeprefix("share_within_")
        return (f"Andel ≤ {m} min", f"Share ≤ {m} min")[i]
    return col


def table_html(df: pd.DataFrame, *, lang: str, columns: list[str] | None = None, total_last: bool = True) -> str:
    """Render a table with localised numbers; shares as percentages."""
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    head = "".join(f"<th>{html.escape(_col_label(c, lang))}</th>" for c in cols)
    rows = []
    for i, (_, r) in enumerate(df[cols].iterrows()):
        cells = []
        for c in cols:
            v = r[c]
            if c.startswith("share") or c == "covered_share":
                text = fmt_number(100 * float(v), lang, digits=1) + " %" if pd.notna(v) else fmt_number(None, lang)
            elif isinstance(v, float):
                whole = c.endswith("population") or c.startswith(("gain_", "lose_", "net_"))
                text = fmt_number(v, lang, digits=0 if whole else 1)
            else:
                text = html.escape(str(v))
            cells.append(f"<td>{text}</td>")
        cls = ' class="total"' if total_last and i == len(df) - 1 else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png_html(path: Path, *, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


#: Output files shown as tables in the report, in order: file → (Danish heading, English heading, columns).
REPORT_TABLES = {
    "acute_access_by_municipality.csv": ("Køretid til nærmeste akuthospital, pr. kommune",
                                         "Drive time to the nearest acute hospital, by municipality", None),
    "health_houses_coverage_by_municipality.csv": (
        "Køretid til nærmeste sundhedshus (forslaget), pr. kommune",
        "Drive time to the nearest health house (proposal), by municipality", None),
    "psychiatry_houses_coverage_by_municipality.csv": (
        "Køretid til nærmeste psykiatrihus (forslaget), pr. kommune",
        "Drive time to the nearest psychiatry house (proposal), by municipality", None),
    "joint_houses_coverage_by_municipality.csv": (
        "Fælles placering: køretid til nærmeste sundhedshus og psykiatrihus, pr. kommune",
        "Joint placement: drive time to the nearest health and psychiatry house, by municipality", None),
    "prehospital_coverage_by_municipality.csv": (
        "Præhospital responstid kl. 12, pr. kommune (ambulance; mål: A ≤ 10 min for 75 %, ≤ 15 for 92 %, ≤ 20 for 98 %)",
        "Prehospital response at 12:00, by municipality (ambulance; targets: A ≤ 10 min for 75 %, ≤ 15 for 92 %, "
        "≤ 20 for 98 %)",
        ["municipality", "population", "amb_mean_h12", "share_A10_h12", "share_A15_h12", "share_A20_h12",
         "share_B15_h12", "share_B20_h12", "misses_h12", "share_first_A10_h12", "first_misses_h12", "misses_h03"]),
}


def write_report(ctx) -> Path:
    """Write ``report.html`` for a finished run into ``ctx.out``."""
    lang = ctx.lang
    sc = ctx.scenario
    title = sc.title or sc.name
    parts = [f"<h1>{html.escape(t('report.title', lang, scenario=title))}</h1>"]
    caption = (sc.description + " — " if sc.description else "") + t(
        "map.caption_sources", lang,
        sources="WorldPop 2020 (CC BY 4.0), DAGI 2014, Danmarks Statistik, geoplan-vejnet (håndlagt)" if lang == "da"
        else "WorldPop 2020 (CC BY 4.0), DAGI 2014, Statistics Denmark, geoplan strategic road network (hand-authored)")
    parts.append(f'<p class="caption">{html.escape(caption)}</p>')
    if ctx.headlines:
        parts.append(f"<h2>{html.escape(t('report.summary', lang))}</h2><div class='headlines'>")
        for h in ctx.headlines:
            text = h.get(lang) or h.get("da") or ""
            parts.append(f"<div class='headline'>{html.escape(text)}</div>")
        parts.append("</div>")
    maps = sorted(n for n in set(ctx.written) if n.endswith(".html") and n != "report.html")
    if maps:
        parts.append(f"<h2>{html.escape(t('report.maps', lang))}</h2><ul class='maps'>")
        for m in maps:
            parts.append(f"<li><a href='{html.escape(m)}'>{html.escape(_map_title(m, lang))}</a></li>")
        parts.append(f"</ul><p class='caption'>{html.escape(t('report.offline_note', lang))}</p>")
    plots = sorted(n for n in set(ctx.written) if n.endswith(".png"))
    for p in plots:
        parts.append(f"<h2>{html.escape(_plot_title(p, lang))}</h2>{png_html(ctx.out / p, alt=p)}")
    parts.append(f"<h2>{html.escape(t('report.tables', lang))}</h2>")
    tables = [n for n in REPORT_TABLES if n in ctx.written] + sorted(
        n for n in set(ctx.written) if n.endswith("_by_municipality.csv") and n not in REPORT_TABLES)
    for name in tables:
        da, en, cols = REPORT_TABLES.get(name, (name, name, None))
        df = pd.read_csv(ctx.out / name, dtype={"kode": str}, keep_default_na=False, na_values=[""])
        parts.append(f"<h3>{html.escape(en if lang == 'en' else da)}</h3>")
        parts.append(table_html(df, lang=lang, columns=cols))
    others = sorted(n for n in set(ctx.written) if n.endswith((".csv", ".gpkg", ".json")) and n not in tables)
    if others:
        label = "Andre filer fra kørslen" if lang == "da" else "Other files of this run"
        parts.append(f"<h2>{label}</h2><ul>" + "".join(
            f"<li><a href='{html.escape(n)}'>{html.escape(n)}</a></li>" for n in others) + "</ul>")
    # no timestamp: the same run gives the same page
    parts.append(f"<p class='caption'>geoplan · {html.escape(sc.name)}</p>")
    page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    path = write_text(page, ctx.out / "report.html")
    ctx.written.append("report.html")
    return path


MAP_TITLES = {
    "acute.html": ("Køretid til nærmeste akuthospital", "Drive time to the nearest acute hospital"),
    "acute_n_minus_1.html": ("Robusthed: hvis et akuthospital lukker eller en vej/færge afbrydes",
                             "Resilience: if an acute hospital closes or a road/ferry is cut"),
    "prehospital.html": ("Præhospital responstid", "Prehospital response time"),
    "health_houses.html": ("Sundhedshuse: forslag til placering", "Health houses: proposed sites"),
    "psychiatry_houses.html": ("Psykiatrihuse: forslag til placering", "Psychiatry houses: proposed sites"),
    "joint_houses.html": ("Fælles placering af sundheds- og psykiatrihuse", "Joint placement of health and psychiatry houses"),
}


def _map_title(name: str, lang: str) -> str:
    da, en = MAP_TITLES.get(name, (name, name))
    return en if lang == "en" else da


PLOT_TITLES = {
    "health_houses_frontier.png": ("Hvor mange sundhedshuse? Dækning og køretid mod antal huse",
                                   "How many health houses? Coverage and travel time against the number of houses"),
    "psychiatry_houses_frontier.png": ("Hvor mange psykiatrihuse? Dækning og køretid mod antal huse",
                                       "How many psychiatry houses? Coverage and travel time against the number of houses"),
}


def _plot_title(name: str, lang: str) -> str:
    da, en = PLOT_TITLES.get(name, (name, name))
    return en if lang == "en" else da
