"""Danish and English labels for maps and reports.

Every text a politician reads on a map or in a report comes from :data:`LABELS`
(read from the data file ``labels.toml`` beside this module) through :func:`t`, so a map made with ``lang="en"`` is English throughout and
Danish (the default) otherwise. Number formatting follows the language too:
Danish writes ``12.345,6`` where English writes ``12,345.6``.

Limits: only ``"da"`` and ``"en"``; labels are plain text (no HTML); a missing
key is an error, never a silent fallback, so a typo shows up in tests.
"""

from __future__ import annotations

import math
import tomllib
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd

LANGS: tuple[str, ...] = ("da", "en")

#: The label table, one file: ``geoplan/i18n/labels.toml``.
LABELS_FILE = Path(__file__).with_name("labels.toml")


def _load_labels(path: Path = LABELS_FILE) -> dict[str, dict[str, str]]:
    """Read the label table: ``[group]`` tables of ``key = { da = "...", en = "..." }``.

    Raises ``ValueError`` naming the key when a label lacks a language or is not text.
    """
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for group, labels in raw.items():
        for key, label in labels.items():
            full = f"{group}.{key}"
            if not isinstance(label, dict) or set(label) != set(LANGS) or not all(
                    isinstance(label[lang], str) for lang in LANGS):
                raise ValueError(f"{path}: label {full!r} must be {{ da = \"...\", en = \"...\" }}")
            out[full] = {lang: label[lang] for lang in LANGS}
    return out


#: key -> {"da": ..., "en": ...}. Keys may contain ``{name}`` fields for ``t(..., name=...)``.
LABELS: dict[str, dict[str, str]] = _load_labels()


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
        A number (int, float, numpy scalar), ``None``/NaN/``pd.NA`` (shown as
        "–"), infinity (shown as "unreachable"/"ikke nåbar") or a boolean
        ("ja"/"yes"). Other values are returned as ``str(value)``.
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
    if value is None or value is pd.NA:
        return t("value.missing", lang)
    if isinstance(value, bool | np.bool_):
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


def fmt_percent(share: float | None, lang: str = "da", *, digits: int = 1) -> str:
    """A share (0–1) as a percentage: ``0.708`` → ``"70,8 %"`` (Danish), ``"70.8 %"`` (English).

    ``None``/NaN gives "–" (no per cent sign).
    """
    if share is None or share is pd.NA or (isinstance(share, float | np.floating) and math.isnan(share)):
        return t("value.missing", lang)
    return f"{fmt_number(100 * float(share), lang, digits=digits)} %"


def fmt_signed(value: float, lang: str = "da", *, digits: int = 1) -> str:
    """A number with its sign always shown: ``+0,3`` / ``−0,3`` (Danish minus sign), ``+0.3`` / ``-0.3``."""
    sign = t("sign.plus", lang) if value >= 0 else t("sign.minus", lang)
    return sign + fmt_number(abs(value), lang, digits=digits)


def has_label(key: str) -> bool:
    """Whether :data:`LABELS` has ``key``."""
    return key in LABELS
