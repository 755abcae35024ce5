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
    # --- equity (geoplan.measures.equity)
    "equity.title": {"da": "Lighed i adgang", "en": "Equity of access"},
    "equity.measure.acute_minutes": {"da": "Køretid til akuthospital", "en": "Drive time to an acute hospital"},
    "equity.measure.ambulance_response_minutes": {"da": "Ambulancens responstid", "en": "Ambulance response time"},
    "equity.measure.gp_access": {
        "da": "Adgang til praktiserende læge (indeks)",
        "en": "Access to general practice (index)",
    },
    "equity.measure.house_minutes": {"da": "Køretid til sundhedshus", "en": "Drive time to a health house"},
    "equity.indicator.unreachable_population": {"da": "Indbyggere uden adgang", "en": "Population without access"},
    "equity.indicator.mean_reachable": {"da": "Gennemsnit (med adgang)", "en": "Mean (with access)"},
    "equity.indicator.p10": {"da": "10 %-fraktil", "en": "10th percentile"},
    "equity.indicator.p50": {"da": "Median", "en": "Median"},
    "equity.indicator.p90": {"da": "90 %-fraktil", "en": "90th percentile"},
    "equity.indicator.p90_p10": {"da": "Forhold 90 %/10 %-fraktil", "en": "Ratio of 90th to 10th percentile"},
    "equity.indicator.worst_decile_mean": {
        "da": "Gennemsnit for de dårligst stillede 10 %",
        "en": "Mean of the worst-off 10 %",
    },
    "equity.indicator.gini": {"da": "Gini-koefficient", "en": "Gini coefficient"},
    "equity.indicator.theil": {"da": "Theil-indeks", "en": "Theil index"},
    "equity.indicator.theil_between": {"da": "Theil mellem grupper", "en": "Theil between groups"},
    "equity.indicator.theil_within": {"da": "Theil inden for grupper", "en": "Theil within groups"},
    "equity.indicator.theil_between_share": {
        "da": "Andel af uligheden mellem grupper",
        "en": "Share of inequality between groups",
    },
    "equity.group.all": {"da": "Alle", "en": "Everyone"},
    "equity.group.age65": {"da": "65 år og derover", "en": "Aged 65 and over"},
    "equity.worst_places": {"da": "De {n} dårligst stillede steder", "en": "The {n} worst-off places"},
    "equity.worst_off": {"da": "De dårligst stillede {pct} %", "en": "The worst-off {pct} %"},
    "equity.access_vs_deprivation": {"da": "Adgang og social position", "en": "Access and social position"},
    "equity.spearman_rho": {"da": "Rangkorrelation (Spearman)", "en": "Rank correlation (Spearman)"},
    "equity.no_car_note": {
        "da": "Husstande uden bil: for dem siger en køretid i bil ikke, hvor lang rejsen er.",
        "en": "Households without a car: for them a drive time does not say how long the journey is.",
    },
    # --- settlement class and islands (geoplan.measures.urban)
    "settlement.urban": {"da": "By", "en": "Urban"},
    "settlement.periurban": {"da": "Bynært område", "en": "Peri-urban"},
    "settlement.rural": {"da": "Land", "en": "Rural"},
    "urban_rural.urban": {"da": "By", "en": "Urban"},
    "urban_rural.rural": {"da": "Land", "en": "Rural"},
    "field.urban_share": {"da": "Andel bebygget areal", "en": "Urban share of land"},
    "field.settlement": {"da": "Bebyggelsestype", "en": "Settlement class"},
    "field.island": {"da": "Ø", "en": "Island"},
    "island.true": {"da": "Ø", "en": "Island"},
    "island.false": {"da": "Fastland", "en": "Mainland"},
    # --- social position (geoplan.measures.socioeconomic)
    "socio.households": {"da": "Husstande", "en": "Households"},
    "socio.households_no_car": {"da": "Husstande uden bil", "en": "Households without a car"},
    "socio.no_car_share": {"da": "Andel husstande uden bil", "en": "Share of households without a car"},
    "socio.low_income_households": {
        "da": "Husstande med indkomst under 200.000 kr.",
        "en": "Households with income below 200,000 kr",
    },
    "socio.low_income_share": {
        "da": "Andel husstande med indkomst under 200.000 kr.",
        "en": "Share of households with income below 200,000 kr",
    },
    "socio.basic_education_share": {
        "da": "Andel 25-64-årige med grundskole som højeste uddannelse",
        "en": "Share aged 25-64 with basic schooling only",
    },
    "socio.early_retirement_per_1000": {
        "da": "Førtidspensionister pr. 1.000 18-64-årige",
        "en": "Early-retirement pensioners per 1,000 aged 18-64",
    },
    "socio.mean_household_income_kr": {
        "da": "Gennemsnitlig bruttoindkomst pr. husstand (kr.)",
        "en": "Mean gross household income (kr)",
    },
    "socio.persons": {"da": "Personer", "en": "Persons"},
    "socio.deprivation_index": {"da": "Socialt indeks (z-score)", "en": "Deprivation index (z-score)"},
    # --- care at home vs in a house (geoplan.measures.home_care)
    "home_care.title": {"da": "Hjemme eller i sundhedshuset", "en": "At home or in the health house"},
    "home_care.home": {"da": "Hjemme hos borgeren", "en": "In the citizen's home"},
    "home_care.house": {"da": "I sundhedshuset", "en": "In the health house"},
    "home_care.equal": {"da": "Lige dyrt", "en": "Equal cost"},
    "home_care.none": {"da": "Ingen adgang", "en": "No access"},
    "home_care.cheaper": {"da": "Billigst", "en": "Cheaper option"},
    "home_care.home_cost": {"da": "Omkostning hjemme (kr. pr. år)", "en": "Cost at home (kr a year)"},
    "home_care.house_cost": {"da": "Omkostning i huset (kr. pr. år)", "en": "Cost in the house (kr a year)"},
    "home_care.difference": {
        "da": "Forskel hjemme minus hus (kr. pr. år)",
        "en": "Difference home minus house (kr a year)",
    },
    "home_care.break_even": {
        "da": "Personaleomkostning hvor de er lige dyre (kr. pr. time)",
        "en": "Staff cost at which both cost the same (kr per hour)",
    },
    "home_care.users": {"da": "Borgere i ordningen", "en": "Users of the service"},
    "home_care.visits": {"da": "Besøg pr. år", "en": "Visits a year"},
}


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
