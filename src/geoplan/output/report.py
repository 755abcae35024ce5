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

from geoplan.i18n import fmt_number, fmt_percent, has_label, t
from geoplan.output.equity import report_section as equity_report_section
from geoplan.output.files import OutputFolder
from geoplan.run.results import RunResult

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
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%} li a{overflow-wrap:anywhere}
@media (max-width:600px){body{margin:1rem auto;padding:0 .6rem}h1{font-size:1.3rem}
.headline .value{font-size:1.4rem}table{font-size:.8rem}th,td{padding:.2rem .3rem}}
"""


def _col_label(col: str, lang: str) -> str:
    """The heading of a table column (labels ``column.*`` of :mod:`geoplan.i18n`; else the name)."""
    if has_label(f"column.{col}"):
        return t(f"column.{col}", lang)
    for prefix in ("gain_within_", "lose_within_", "net_within_"):
        if col.startswith(prefix):
            return t(f"column_pattern.{prefix.rstrip('_')}", lang, minutes=col.removeprefix(prefix))
    if col.startswith("share_first_A") or col.startswith(("share_A", "share_B")):
        code = col.split("_")[-2]
        key = "column_pattern.share_first_target" if "first" in col else "column_pattern.share_target"
        return t(key, lang, priority=code[0], minutes=code[1:])
    if col.startswith("share_within_"):
        return t("column_pattern.share_within", lang, minutes=col.removeprefix("share_within_"))
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
                text = fmt_percent(float(v) if pd.notna(v) else None, lang)
            elif isinstance(v, float):
                whole = "population" in c or c.startswith(("gain_", "lose_", "net_"))
                text = fmt_number(v, lang, digits=0 if whole else 1)
            else:
                text = html.escape(str(v))
            cells.append(f"<td>{text}</td>")
        cls = ' class="total"' if total_last and i == len(df) - 1 else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def png_html(path: Path, *, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


#: Output files shown as tables in the report, in order: file → columns (``None``: all).
#: Their headings are the labels ``report_table.<file stem>``.
REPORT_TABLES: dict[str, list[str] | None] = {
    "acute_access_by_municipality.csv": None,
    "health_houses_coverage_by_municipality.csv": None,
    "psychiatry_houses_coverage_by_municipality.csv": None,
    "joint_houses_coverage_by_municipality.csv": None,
    "prehospital_coverage_by_municipality.csv": [
        "municipality", "population", "amb_mean_h12", "share_A10_h12", "share_A15_h12", "share_A20_h12",
        "share_B15_h12", "share_B20_h12", "misses_h12", "share_first_A10_h12", "first_misses_h12", "misses_h03"],
}


def _title(group: str, name: str, lang: str) -> str:
    """The label ``<group>.<file stem>``, else the file name."""
    key = f"{group}.{Path(name).stem}"
    return t(key, lang) if has_label(key) else name


def _computed(out: OutputFolder, name: str) -> pd.DataFrame:
    """A table as its step computed it (short names, totals last); read back when not at hand."""
    computed = getattr(out, "computed", {})
    if name in computed:
        return computed[name]
    return pd.read_csv(out / name, dtype={"kode": str}, keep_default_na=False, na_values=[""])


def _status_text(v: object, lang: str) -> str:
    key = f"heading.status_{v}"
    return t(key, lang) if has_label(key) else str(v)


def answer_sections(run: RunResult, lang: str) -> list[str]:
    """The tables that answer the scenario's question, shown right after the headlines:
    houses — the chosen sites with the citizens each serves, and what each extra house adds;
    resilience — the N-1 table (each closure / cut: who is affected, how much longer)."""
    from geoplan.run.results import AcuteResult, HousesResult, JointHousesResult

    parts: list[str] = []
    for name, res in run.steps.items():
        if isinstance(res, HousesResult):
            houses = t(f"noun.{name}", lang) if has_label(f"noun.{name}") else name
            sites = res.sites_table.sort_values("population", ascending=False).assign(
                status=lambda d: [_status_text(v, lang) for v in d["status"]])
            parts.append(f"<h2>{html.escape(t('heading.answer_sites', lang, houses=houses))}</h2>")
            parts.append(table_html(sites.rename(columns={"population": "population_served"}), lang=lang,
                                    columns=["name", "status", "municipality", "population_served",
                                             "mean_minutes_served"], total_last=False))
            if res.frontier is not None and len(res.frontier):
                f = res.frontier.copy()
                f["p"] = f["p"].astype(int).astype(str)
                total = float(run.cells["pop"].sum())
                f["covered_population"] = f["covered_share"] * total
                f["gain_population"] = f["marginal_gain"] * total
                parts.append(f"<h2>{html.escape(t('heading.answer_frontier', lang))}</h2>")
                parts.append(table_html(f, lang=lang, columns=["p", "covered_share", "covered_population",
                                                               "gain_population", "mean_minutes"],
                                        total_last=False))
        elif isinstance(res, JointHousesResult):
            parts.append(f"<h2>{html.escape(t('heading.answer_joint', lang))}</h2>")
            parts.append(table_html(res.sites, lang=lang, total_last=False))
        elif isinstance(res, AcuteResult) and res.n_minus_1 is not None and len(res.n_minus_1):
            n1 = res.n_minus_1
            sel = n1["kode"].astype(str) == ""
            if "function" in n1.columns:
                sel &= n1["function"] == "acute"
            rows = n1[sel].sort_values("affected_population", ascending=False).assign(
                loss_type=lambda d: [t(f"heading.loss_{v}", lang) if has_label(f"heading.loss_{v}") else str(v)
                                     for v in d["loss_type"]])
            tt = "30" if "lose_within_30" in rows.columns else None
            cols = ["lost_name", "loss_type", "affected_population", "cut_off_population", "mean_increase_minutes",
                    "max_increase_minutes", *([f"lose_within_{tt}"] if tt else []), "mean_minutes_after"]
            parts.append(f"<h2>{html.escape(t('heading.answer_n_minus_1', lang))}</h2>")
            parts.append(f"<p class='caption'>{html.escape(t('heading.answer_n_minus_1_note', lang))}</p>")
            parts.append(table_html(rows, lang=lang, columns=cols, total_last=False))
    return parts


def write_report(run: RunResult, out: OutputFolder) -> Path:
    """Write ``report.html`` for a run whose other files are already in ``out``."""
    lang = run.lang
    sc = run.scenario
    written = out.written
    title = sc.title or sc.name
    parts = [f"<h1>{html.escape(t('report.title', lang, scenario=title))}</h1>"]
    caption = (sc.description + " — " if sc.description else "") + t(
        "map.caption_sources", lang, sources=t("report.sources", lang))
    parts.append(f'<p class="caption">{html.escape(caption)}</p>')
    if run.headlines:
        parts.append(f"<h2>{html.escape(t('report.summary', lang))}</h2><div class='headlines'>")
        for h in run.headlines:
            parts.append(f"<div class='headline'>{html.escape(h.text(lang))}</div>")
        parts.append("</div>")
    parts.extend(answer_sections(run, lang))
    maps = sorted(n for n in set(written) if n.endswith(".html") and n != "report.html")
    if maps:
        parts.append(f"<h2>{html.escape(t('report.maps', lang))}</h2><ul class='maps'>")
        for m in maps:
            stem = Path(m).stem
            still = "".join(f" · <a href='{html.escape(f)}'>{f.rsplit('.', 1)[1].upper()}</a>"
                            for f in (f"{stem}.png", f"{stem}.pdf") if f in written)
            parts.append(f"<li><a href='{html.escape(m)}'>{html.escape(_title('map_title', m, lang))}</a>"
                         f"{still}</li>")
        parts.append(f"</ul><p class='caption'>{html.escape(t('report.offline_note', lang))}</p>")
    static = {f"{Path(m).stem}.png" for m in maps} | {f"{Path(m).stem}.pdf" for m in maps}
    plots = sorted(n for n in set(written) if n.endswith(".png") and n not in static)
    for p in plots:
        parts.append(f"<h2>{html.escape(_title('plot_title', p, lang))}</h2>{png_html(out / p, alt=p)}")
    parts.append(equity_report_section(run, out))  # equity section (geoplan.output.equity)
    parts.append(f"<h2>{html.escape(t('report.tables', lang))}</h2>")
    tables = [n for n in REPORT_TABLES if n in written] + sorted(
        n for n in set(written) if n.endswith("_by_municipality.csv") and n not in REPORT_TABLES)
    for name in tables:
        df = _computed(out, name)
        parts.append(f"<h3>{html.escape(_title('report_table', name, lang))}</h3>")
        parts.append(table_html(df, lang=lang, columns=REPORT_TABLES.get(name)))
    others = sorted(n for n in set(written) if n.endswith((".csv", ".gpkg", ".json")) and n not in tables)
    if others:
        parts.append(f"<h2>{t('report.other_files', lang)}</h2><ul>" + "".join(
            f"<li><a href='{html.escape(n)}'>{html.escape(n)}</a></li>" for n in others) + "</ul>")
    # no timestamp: the same run gives the same page
    parts.append(f"<p class='caption'>geoplan · {html.escape(sc.name)}</p>")
    page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    return out.text(page, "report.html")
