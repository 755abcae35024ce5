"""Danish and English labels for maps and reports.

Every text a politician reads on a map or in a report comes from :data:`LABELS`
through :func:`t`, so a map made with ``lang="en"`` is English throughout and
Danish (the default) otherwise. Number formatting follows the language too:
Danish writes ``12.345,6`` where English writes ``12,345.6``.

Limits: only ``"da"`` and ``"en"``; labels are plain text (no HTML); a missing
key is an error, never a silent fallback, so a typo shows up in tests.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

LANGS: tuple[str, ...] = ("da", "en")

#: key -> {"da": ..., "en": ...}. Keys may contain ``{name}`` fields for ``t(..., name=...)``.
LABELS: dict[str, dict[str, str]] = {
    # --- base map layers and controls
    "layer.region": {"da": "Regionsgrænse", "en": "Region boundary"},
    "layer.municipal_borders": {"da": "Kommunegrænser", "en": "Municipal boundaries"},
    "layer.towns": {"da": "Byer", "en": "Towns"},
    "layer.background": {
        "da": "Baggrundskort (OpenStreetMap, kræver internet)",
        "en": "Background map (OpenStreetMap, needs internet)",
    },
    "layer.municipalities": {"da": "Kommuner", "en": "Municipalities"},
    "control.fullscreen": {"da": "Fuld skærm", "en": "Full screen"},
    "control.zoom_in": {"da": "Zoom ind", "en": "Zoom in"},
    "control.zoom_out": {"da": "Zoom ud", "en": "Zoom out"},
    "legend.symbols": {"da": "Signaturer", "en": "Symbols"},
    "legend.unreachable": {"da": "Ikke nåbar", "en": "Unreachable"},
    "value.missing": {"da": "–", "en": "–"},
    "value.unreachable": {"da": "ikke nåbar", "en": "unreachable"},
    "value.yes": {"da": "ja", "en": "yes"},
    "value.no": {"da": "nej", "en": "no"},
    # --- facility kinds (map symbols and report tables)
    "kind.acute_hospital": {"da": "Akuthospital", "en": "Acute hospital"},
    "kind.other_hospital": {"da": "Andet hospital", "en": "Other hospital"},
    "kind.neighbour_hospital": {
        "da": "Hospital i nabo-region",
        "en": "Hospital in a neighbouring region",
    },
    "kind.ambulance_station": {"da": "Ambulancestation", "en": "Ambulance station"},
    "kind.physician_car": {"da": "Akutlægebil", "en": "Emergency physician car"},
    "kind.helicopter_base": {"da": "Akutlægehelikopter", "en": "Air ambulance base"},
    "kind.health_house": {"da": "Sundhedshus", "en": "Health house"},
    "kind.psychiatry_house": {"da": "Psykiatrihus", "en": "Psychiatry house"},
    "kind.candidate_site": {"da": "Mulig placering", "en": "Candidate site"},
    "kind.chosen_site": {"da": "Valgt placering", "en": "Chosen site"},
    # --- common field names (tooltips, tables)
    "field.municipality": {"da": "Kommune", "en": "Municipality"},
    "field.code": {"da": "Kode", "en": "Code"},
    "field.name": {"da": "Navn", "en": "Name"},
    "field.population": {"da": "Indbyggere", "en": "Population"},
    "field.over65": {"da": "Andel 65+ år", "en": "Share aged 65+"},
    "field.travel_time": {"da": "Køretid", "en": "Travel time"},
    "field.response_time": {"da": "Responstid", "en": "Response time"},
    "field.distance": {"da": "Afstand", "en": "Distance"},
    "field.nearest": {"da": "Nærmeste", "en": "Nearest"},
    "field.covered": {"da": "Dækket", "en": "Covered"},
    "field.covered_share": {"da": "Andel dækket", "en": "Share covered"},
    "field.facility": {"da": "Enhed", "en": "Facility"},
    "field.address": {"da": "Adresse", "en": "Address"},
    "field.source": {"da": "Kilde", "en": "Source"},
    "field.change": {"da": "Ændring", "en": "Change"},
    # --- units
    "unit.min": {"da": "min", "en": "min"},
    "unit.km": {"da": "km", "en": "km"},
    "unit.persons": {"da": "personer", "en": "persons"},
    "unit.pct": {"da": "%", "en": "%"},
    # --- map titles and layer names used by the pipeline
    "map.travel_time": {"da": "Køretid til nærmeste {what}", "en": "Travel time to nearest {what}"},
    "map.coverage": {
        "da": "Dækning inden for {minutes} min",
        "en": "Coverage within {minutes} min",
    },
    "map.compare": {"da": "Sammenligning af scenarier", "en": "Scenario comparison"},
    "map.difference": {"da": "Forskel i køretid", "en": "Difference in travel time"},
    "map.resilience": {"da": "Robusthed: afbrudte forbindelser", "en": "Resilience: cut links"},
    "map.cut_links": {"da": "Afbrudte forbindelser", "en": "Cut links"},
    "map.ferries": {"da": "Færger", "en": "Ferries"},
    "map.cells": {"da": "Befolkningsceller (1 km)", "en": "Population cells (1 km)"},
    "map.caption_sources": {
        "da": "Kilder: {sources}",
        "en": "Sources: {sources}",
    },
    # --- reports
    "report.title": {"da": "Rapport: {scenario}", "en": "Report: {scenario}"},
    "report.scenario": {"da": "Scenarie", "en": "Scenario"},
    "report.baseline": {"da": "Nuværende struktur", "en": "Current structure"},
    "report.summary": {"da": "Sammenfatning", "en": "Summary"},
    "report.method": {"da": "Metode", "en": "Method"},
    "report.limitations": {"da": "Forbehold", "en": "Limitations"},
    "report.data_sources": {"da": "Datakilder", "en": "Data sources"},
    "report.generated": {"da": "Dannet", "en": "Generated"},
    "report.maps": {"da": "Kort", "en": "Maps"},
    "report.tables": {"da": "Tabeller", "en": "Tables"},
    "report.by_municipality": {"da": "Pr. kommune", "en": "By municipality"},
    "report.population_within": {
        "da": "Indbyggere inden for {minutes} min",
        "en": "Population within {minutes} min",
    },
    "report.mean_time": {"da": "Gennemsnitlig køretid", "en": "Mean travel time"},
    "report.max_time": {"da": "Længste køretid", "en": "Longest travel time"},
    "report.p90_time": {"da": "90 %-fraktil for køretid", "en": "90th percentile travel time"},
    "report.open_map": {"da": "Åbn kortet", "en": "Open the map"},
    "report.offline_note": {
        "da": "Kortene virker uden internet.",
        "en": "The maps work without internet.",
    },
}


# --- output building blocks: band labels, workbooks, static maps, catchments (issue 14)
LABELS.update(
    {
        "band.range": {"da": "{a}–{b}", "en": "{a}–{b}"},
        "band.range_signed": {"da": "{a} til {b}", "en": "{a} to {b}"},
        "band.at_most": {"da": "≤ {x}", "en": "≤ {x}"},
        "band.at_least": {"da": "≥ {x}", "en": "≥ {x}"},
        "band.above": {"da": "> {x}", "en": "> {x}"},
        "band.unchanged": {"da": "uændret (±{x})", "en": "unchanged (±{x})"},
        "legend.closed": {"da": "Lukket", "en": "Closed"},
        "legend.lost_access": {"da": "Mister al adgang", "en": "Loses all access"},
        "legend.population_in_band": {"da": "{n} indb.", "en": "{n} people"},
        "legend.population_heading": {"da": "Indbyggere", "en": "Population"},
        "legend.municipal_borders": {"da": "Kommunegrænse", "en": "Municipal boundary"},
        "map.north": {"da": "N", "en": "N"},
        "map.source": {"da": "Kilde: {text}", "en": "Source: {text}"},
        "status.existing": {"da": "Eksisterende", "en": "Existing"},
        "status.new": {"da": "Ny", "en": "New"},
        "status.fixed": {"da": "Fastholdt", "en": "Kept"},
        "status.candidate": {"da": "Mulig placering", "en": "Candidate"},
        "status.closed": {"da": "Lukket", "en": "Closed"},
        "xlsx.total": {"da": "I alt", "en": "Total"},
        "xlsx.explanation_sheet": {"da": "Forklaring", "en": "Explanation"},
        "xlsx.col_sheet": {"da": "Ark", "en": "Sheet"},
        "xlsx.col_column": {"da": "Kolonne", "en": "Column"},
        "xlsx.col_label": {"da": "Overskrift", "en": "Heading"},
        "xlsx.col_meaning_da": {"da": "Betydning (dansk)", "en": "Meaning (Danish)"},
        "xlsx.col_meaning_en": {"da": "Betydning (engelsk)", "en": "Meaning (English)"},
        "xlsx.col_unit": {"da": "Enhed", "en": "Unit"},
        "xlsx.total_note": {
            "da": "Rækken «I alt» står under tabellen og indgår ikke i dataene.",
            "en": "The «Total» row sits below the table and is not part of the data.",
        },
        "xlsx.no_entry": {"da": "(ikke beskrevet)", "en": "(not described)"},
        "catchment.layer": {"da": "Opland: {name}", "en": "Catchment: {name}"},
        "catchment.service_area": {
            "da": "Inden for {minutes} min af {name}",
            "en": "Within {minutes} min of {name}",
        },
    }
)


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise ``ValueError`` naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str = "da", /, **fields: object) -> str:
    """Translate a label key.

    Parameters
    ----------
    key
        A key of :data:`LABELS`, e.g. ``"layer.towns"``.
    lang
        ``"da"`` (default) or ``"en"``.
    **fields
        Values for ``{name}`` placeholders in the label.

    Returns
    -------
    str
        The label in that language, placeholders filled in.

    Raises
    ------
    KeyError
        For an unknown key (with a message naming it).
    ValueError
        For an unsupported language.
    """
    check_lang(lang)
    try:
        text = LABELS[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r} in geoplan.i18n.LABELS") from None
    return text.format(**fields) if fields else text


def fmt_number(value: object, lang: str = "da", *, digits: int | None = None) -> str:
    """Format a number for display: thousands separators and the language's decimal mark.

    Parameters
    ----------
    value
        A number (int, float, numpy scalar), ``None``/NaN (shown as "–") or
        infinity (shown as "unreachable"/"ikke nåbar"). Other values are
        returned as ``str(value)``.
    lang
        ``"da"`` or ``"en"``.
    digits
        Decimals to show. Default: 0 for integers and whole floats of 100 or
        more, else 1.

    Returns
    -------
    str
    """
    check_lang(lang)
    if value is None:
        return t("value.missing", lang)
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if isinstance(value, Integral):
        text = f"{int(value):,}"
    elif isinstance(value, Real):
        x = float(value)
        if math.isnan(x):
            return t("value.missing", lang)
        if math.isinf(x):
            return t("value.unreachable", lang)
        if digits is None:
            digits = 0 if (x.is_integer() or abs(x) >= 100) else 1
        text = f"{x:,.{digits}f}"
    else:
        return str(value)
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
