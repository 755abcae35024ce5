"""Colour-blind-safe colour schemes for maps, and a check that they stay distinct.

The schemes live in ``palettes.toml`` beside this module (data, not code):

- **sequential** — banded minutes (``minutes``: viridis, short = light) and
  extra minutes (``increase``: magma);
- **diverging** — changes in minutes (``delta``: ColorBrewer RdBu, shorter =
  blue, longer = red, a near-white neutral middle);
- **categorical** — facility kinds and site status (Okabe & Ito), with the
  groups of colours that appear together on one map.

:func:`minute_bands` and :func:`delta_bands` return a :class:`BandScheme`:
class limits, colours, legend labels (Danish or English, through
:func:`geoplan.i18n.t`, with a true minus sign U+2212) and a
:meth:`BandScheme.classify` that puts values into classes.

:func:`check_distinct` simulates protanopia, deuteranopia and tritanopia with
the model of Machado, Oliveira & Fernandes (2009) as implemented by
``colour-science`` and measures every pair of colours with CIEDE2000. A scheme
passes when every pair stays at least ``MIN_DELTA_E`` (10, see
``palettes.toml``) apart under every simulated vision.

Limits: the Machado model is a linear approximation of dichromacy in sRGB;
it is least accurate for tritanopia (the tests cross-check with Brettel et al.
1997 through ``daltonlens``). The check says two colours differ, not that the
order of a scale reads right. Sequential schemes support at most
``max_classes`` classes (6): more classes cannot all stay 10 apart.
"""

from __future__ import annotations

import functools
import itertools
import math
import tomllib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geoplan.errors import GeoplanError
from geoplan.i18n import check_lang, fmt_number, t

__all__ = [
    "MIN_DELTA_E",
    "MINUS",
    "VISIONS",
    "BandScheme",
    "CVDResult",
    "PaletteError",
    "categorical",
    "check_distinct",
    "delta_bands",
    "delta_e_matrix",
    "diverging",
    "fmt_signed",
    "group_colors",
    "marker",
    "minute_bands",
    "scheme_summary",
    "sequential",
    "simulate_cvd",
    "special",
]

#: The minus sign used in every label (U+2212), never the hyphen-minus.
MINUS = "\u2212"

#: Simulated visions: normal, and the three dichromacies at full severity.
VISIONS: tuple[str, ...] = ("normal", "protanopia", "deuteranopia", "tritanopia")
_MACHADO = {
    "protanopia": "Protanomaly",
    "deuteranopia": "Deuteranomaly",
    "tritanopia": "Tritanomaly",
}

Vision = Literal["normal", "protanopia", "deuteranopia", "tritanopia"]


class PaletteError(GeoplanError):
    """A colour scheme cannot be built (unknown name, too many classes, bad colour)."""


@functools.cache
def _config() -> dict[str, Any]:
    text = resources.files("geoplan.output").joinpath("palettes.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


#: CIEDE2000 distance every two colours shown together must keep (``palettes.toml``).
MIN_DELTA_E: float = float(_config()["check"]["min_delta_e"])


# ----------------------------------------------------------------------------- colours


def _rgb(colors: Iterable[str]) -> npt.NDArray[np.float64]:
    """sRGB in 0..1, shape (n, 3); raises PaletteError for anything matplotlib cannot read."""
    from matplotlib.colors import to_rgb

    out = []
    for c in colors:
        try:
            out.append(to_rgb(c))
        except ValueError:
            raise PaletteError(f"not a colour: {c!r} (use e.g. '#1a9850')") from None
    return np.asarray(out, dtype=float).reshape(-1, 3)


def _hex(rgb: Sequence[float]) -> str:
    from matplotlib.colors import to_hex

    r, g, b = (float(x) for x in rgb[:3])
    return str(to_hex((r, g, b)))


def special(name: str) -> str:
    """A fixed colour of ``[special]`` in palettes.toml (``unreachable``, ``closed_fill`` ...)."""
    sp = _config()["special"]
    if name not in sp:
        raise PaletteError(f"no special colour {name!r}; known: {', '.join(sorted(sp))}")
    return str(sp[name])


def _scheme(kind: str, name: str) -> dict[str, Any]:
    table = _config().get(kind, {})
    if name not in table:
        raise PaletteError(f"no {kind} scheme {name!r}; known: {', '.join(sorted(table))}")
    return dict(table[name])


def _sample(spec: dict[str, Any], n: int) -> tuple[str, ...]:
    import matplotlib as mpl

    cmap = mpl.colormaps[spec["colormap"]]
    xs = np.linspace(float(spec["start"]), float(spec["stop"]), n)
    if spec.get("reverse", False):
        xs = xs[::-1]
    return tuple(_hex(cmap(float(x))[:3]) for x in xs)


def sequential(n_classes: int, *, scheme: str = "minutes") -> tuple[str, ...]:
    """``n_classes`` colours of a sequential scheme, first = smallest values.

    Parameters
    ----------
    n_classes
        2 .. the scheme's ``max_classes`` (6).
    scheme
        ``"minutes"`` (viridis, light = short) or ``"increase"`` (magma).

    Raises
    ------
    PaletteError
        Unknown scheme, or more classes than stay distinct.
    """
    spec = _scheme("sequential", scheme)
    top = int(spec["max_classes"])
    if not 2 <= n_classes <= top:
        raise PaletteError(
            f"sequential scheme {scheme!r} has 2 to {top} classes, asked for {n_classes}: "
            f"use at most {top - 1} band limits (more classes cannot be told apart reliably)"
        )
    return _sample(spec, n_classes)


def diverging(n_classes: int, *, scheme: str = "delta") -> tuple[str, ...]:
    """``n_classes`` colours of a diverging scheme, most negative first.

    An odd ``n_classes`` has a neutral middle class (the colormap's centre).

    Raises
    ------
    PaletteError
        Unknown scheme, fewer than 2 or more than ``max_classes`` (7) classes.
    """
    spec = _scheme("diverging", scheme)
    top = int(spec["max_classes"])
    if not 2 <= n_classes <= top:
        raise PaletteError(
            f"diverging scheme {scheme!r} has 2 to {top} classes, asked for {n_classes}"
        )
    return _sample(spec, n_classes)


def categorical(scheme: str = "facility_kinds") -> dict[str, str]:
    """``{category: colour}`` of a categorical scheme (``facility_kinds``, ``site_status``)."""
    return {str(k): str(v) for k, v in _scheme("categorical", scheme)["colors"].items()}


def marker(kind: str) -> str:
    """matplotlib marker of a facility kind (static maps)."""
    markers = _scheme("categorical", "facility_kinds")["markers"]
    if kind not in markers:
        raise PaletteError(
            f"no marker for facility kind {kind!r}; known: {', '.join(sorted(markers))}"
        )
    return str(markers[kind])


def group_colors(scheme: str, group: str) -> dict[str, str]:
    """The colours of one map group of a categorical scheme (names may be ``[special]`` colours)."""
    spec = _scheme("categorical", scheme)
    groups = spec.get("groups", {})
    if group not in groups:
        raise PaletteError(f"no group {group!r} in {scheme!r}; known: {', '.join(sorted(groups))}")
    colors = spec["colors"]
    return {str(n): str(colors[n]) if n in colors else special(n) for n in groups[group]}


# ----------------------------------------------------------------------------- CVD check


def simulate_cvd(
    colors: Sequence[str] | npt.ArrayLike, vision: str = "deuteranopia", *, severity: float = 1.0
) -> npt.NDArray[np.float64]:
    """sRGB (0..1, shape (n, 3)) of ``colors`` as seen with a colour-vision deficiency.

    Machado, Oliveira & Fernandes (2009) applied to linear RGB (``colour-science``'s
    ``matrix_cvd_Machado2009``), clipped to the sRGB gamut. ``vision="normal"``
    returns the colours unchanged. ``colors`` are CSS colours or an (n, 3) array in 0..1.
    """
    import colour

    rgb = _as_rgb(colors)
    if vision == "normal":
        return rgb
    if vision not in _MACHADO:
        raise PaletteError(f"unknown vision {vision!r}; use one of {', '.join(VISIONS)}")
    if not 0.0 <= severity <= 1.0:
        raise PaletteError(f"severity must be in 0..1, got {severity}")
    with warnings.catch_warnings():
        # colour-science warns that its tritanomaly matrices use the shift approximation
        # of Machado et al. (2009); documented above and cross-checked in the tests
        warnings.simplefilter("ignore")
        M = np.asarray(
            colour.matrix_cvd_Machado2009(_MACHADO[vision], float(severity)), dtype=float
        )
    lin = np.asarray(colour.cctf_decoding(rgb, function="sRGB"), dtype=float)
    sim = np.clip(lin @ M.T, 0.0, 1.0)
    return np.asarray(colour.cctf_encoding(sim, function="sRGB"), dtype=float)


def _as_rgb(colors: Sequence[str] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    if isinstance(colors, np.ndarray) and colors.dtype.kind == "f":
        a = np.asarray(colors, dtype=float).reshape(-1, 3)
        if a.min(initial=0.0) < 0 or a.max(initial=0.0) > 1:
            raise PaletteError("RGB arrays must be in 0..1")
        return a
    return _rgb([str(c) for c in np.asarray(colors, dtype=object).ravel()])


def _composite(
    rgb: npt.NDArray[np.float64], opacity: float, background: str
) -> npt.NDArray[np.float64]:
    if opacity >= 1.0:
        return rgb
    bg = _rgb([background])[0]
    out: npt.NDArray[np.float64] = opacity * rgb + (1.0 - opacity) * bg
    return out


def delta_e_matrix(
    colors: Sequence[str] | npt.ArrayLike,
    vision: str = "normal",
    *,
    opacity: float = 1.0,
    background: str = "#ffffff",
) -> npt.NDArray[np.float64]:
    """CIEDE2000 distances between all pairs of ``colors`` under ``vision`` (n × n).

    With ``opacity < 1`` each colour is first composited over ``background``
    (as a map draws semi-transparent cells over its land fill).
    """
    import colour

    rgb = _composite(_as_rgb(colors), float(opacity), background)
    lab = np.asarray(colour.XYZ_to_Lab(colour.sRGB_to_XYZ(simulate_cvd(rgb, vision))), dtype=float)
    n = len(lab)
    i, j = np.triu_indices(n, 1)
    d = np.zeros((n, n))
    if len(i):
        dij = np.asarray(colour.delta_E(lab[i], lab[j], method="CIE 2000"), dtype=float)
        d[i, j] = d[j, i] = dij
    return d


@dataclass(frozen=True)
class CVDResult:
    """The closest pair of colours under one vision."""

    vision: str
    min_delta_e: float
    pair: tuple[str, str]
    threshold: float

    @property
    def passed(self) -> bool:
        return self.min_delta_e >= self.threshold


def check_distinct(
    colors: Sequence[str],
    *,
    threshold: float = MIN_DELTA_E,
    visions: Iterable[str] = VISIONS,
    opacity: float = 1.0,
    background: str = "#ffffff",
) -> list[CVDResult]:
    """How far apart the closest two of ``colors`` stay under each simulated vision.

    Parameters
    ----------
    colors
        Two or more CSS colours shown together (the classes of a scale plus
        its "unreachable" colour; the symbols of one map).
    threshold
        Minimum CIEDE2000 distance for :attr:`CVDResult.passed`; default
        :data:`MIN_DELTA_E` (10).
    visions
        Any of :data:`VISIONS`.
    opacity, background
        Composite the colours over ``background`` first (map cells are drawn
        at 0.75 opacity over the land fill).

    Returns
    -------
    list of CVDResult
        One per vision, in the order given. ``all(r.passed for r in ...)``
        is the verdict.
    """
    cols = [str(c) for c in colors]
    if len(cols) < 2:
        raise PaletteError("need at least two colours to compare")
    out = []
    for v in visions:
        d = delta_e_matrix(cols, v, opacity=opacity, background=background)
        d[np.diag_indices(len(cols))] = np.inf
        k = int(np.argmin(d))
        i, j = divmod(k, len(cols))
        out.append(
            CVDResult(v, float(d[i, j]), (cols[min(i, j)], cols[max(i, j)]), float(threshold))
        )
    return out


# ----------------------------------------------------------------------------- bands


def fmt_signed(
    value: float, lang: str = "da", *, digits: int | None = None, plus: bool = True
) -> str:
    """A number with a true minus sign (U+2212) and, with ``plus``, a ``+`` for positives.

    ``fmt_signed(-5, "da")`` → ``"−5"``; ``fmt_signed(0.5, "da")`` → ``"+0,5"``; zero has no sign.
    """
    x = float(value)
    if digits is None:
        digits = 0 if x.is_integer() else 1
    body = fmt_number(abs(x), lang, digits=digits)
    if x < 0 and body.strip("0,.") != "":
        return MINUS + body
    if x > 0 and plus:
        return "+" + body
    return body


@dataclass(frozen=True)
class BandScheme:
    """Classes of a numeric value: limits, colours, legend labels and the missing-value class.

    ``classify(values)`` returns class indices 0 .. ``len(colors) - 1``, and
    ``len(colors)`` for NaN/infinite values (drawn in ``missing_color``).
    """

    kind: Literal["sequential", "diverging"]
    limits: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    missing_color: str
    missing_label: str
    neutral: int | None = None  # index of the neutral class of a diverging scheme

    @property
    def n_classes(self) -> int:
        return len(self.colors)

    def classify(self, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Class index per value (``n_classes`` for NaN and ±inf)."""
        v = np.asarray(values, dtype=float).ravel()
        out = np.full(v.shape, self.n_classes, dtype=np.int64)
        f = np.isfinite(v)
        lim = np.asarray(self.limits, dtype=float)
        if self.kind == "sequential":
            # upper limits included: 15 falls in 0–15 (as geoplan.maps.add_cells)
            out[f] = np.searchsorted(lim, v[f], side="left")
        else:
            # symmetric about 0: |v| < first limit is neutral; |v| >= a limit moves outward
            k = np.searchsorted(lim, np.abs(v[f]), side="right")
            mid = len(lim)
            out[f] = mid + np.sign(v[f]).astype(np.int64) * k
        return out

    def all_colors(self) -> tuple[str, ...]:
        """Class colours followed by the missing-value colour (what a map may show together)."""
        return (*self.colors, self.missing_color)

    def legend(self, *, include_missing: bool = True) -> list[tuple[str, str]]:
        """``[(colour, label), ...]`` in class order."""
        items = list(zip(self.colors, self.labels, strict=True))
        if include_missing:
            items.append((self.missing_color, self.missing_label))
        return items


def _check_limits(limits: Sequence[float], *, positive: bool) -> tuple[float, ...]:
    try:
        b = tuple(float(x) for x in limits)
    except (TypeError, ValueError):
        raise PaletteError(f"band limits must be numbers, got {list(limits)!r}") from None
    if (
        not b
        or any(not math.isfinite(x) for x in b)
        or any(y <= x for x, y in itertools.pairwise(b))
    ):
        raise PaletteError(
            f"band limits must be finite and strictly increasing, got {list(limits)}"
        )
    if positive and b[0] <= 0:
        raise PaletteError(
            f"diverging limits are the positive side (e.g. [0.5, 5, 15]), got {list(b)}"
        )
    return b


def _num(x: float, lang: str) -> str:
    return fmt_signed(x, lang, plus=False)


def minute_bands(
    limits: Sequence[float] = (15, 30, 45, 60),
    *,
    unit: str = "min",
    lang: str = "da",
    scheme: str = "minutes",
    from_zero: bool = True,
) -> BandScheme:
    """Sequential classes ``0–15, 15–30, …, > 60`` with colours and labels.

    Parameters
    ----------
    limits
        Increasing upper limits (included: 15 falls in 0–15).
    unit
        Appended to every label (``""`` for none).
    scheme
        A sequential scheme of palettes.toml.
    from_zero
        First label ``0–15`` (values are never negative); else ``≤ 15``.
    """
    check_lang(lang)
    b = _check_limits(limits, positive=False)
    colors = sequential(len(b) + 1, scheme=scheme)
    missing = special(str(_scheme("sequential", scheme).get("missing", "unreachable")))
    u = f" {unit}" if unit else ""
    first = (
        t("band.range", lang, a=_num(0, lang), b=_num(b[0], lang))
        if from_zero and b[0] > 0
        else t("band.at_most", lang, x=_num(b[0], lang))
    )
    mids = [
        t("band.range", lang, a=_num(x, lang), b=_num(y, lang)) for x, y in itertools.pairwise(b)
    ]
    last = t("band.above", lang, x=_num(b[-1], lang))
    labels = tuple(f"{s}{u}" for s in (first, *mids, last))
    return BandScheme(
        kind="sequential",
        limits=b,
        colors=colors,
        labels=labels,
        missing_color=missing,
        missing_label=t("legend.unreachable", lang),
    )


def delta_bands(
    limits: Sequence[float] = (0.5, 5, 15),
    *,
    unit: str = "min",
    lang: str = "da",
    scheme: str = "delta",
) -> BandScheme:
    """Diverging classes symmetric about zero with a neutral middle.

    ``limits=(0.5, 5, 15)`` gives 7 classes: ``≤ −15``, ``−15 til −5``,
    ``−5 til −0,5``, ``uændret (±0,5)``, ``+0,5 til +5``, ``+5 til +15``,
    ``≥ +15``: a value with ``|v| < 0.5`` is neutral, ``|v| >= limit`` moves it
    one class outward (so −15 and +15 both fall in the outermost classes).
    """
    check_lang(lang)
    b = _check_limits(limits, positive=True)
    n = 2 * len(b) + 1
    colors = diverging(n, scheme=scheme)
    missing = special(str(_scheme("diverging", scheme).get("missing", "lost_access")))
    u = f" {unit}" if unit else ""

    def s(x: float) -> str:
        return fmt_signed(x, lang)

    neg = [t("band.at_most", lang, x=s(-b[-1]))]
    neg += [t("band.range_signed", lang, a=s(-y), b=s(-x)) for x, y in itertools.pairwise(b)][::-1]
    pos = [t("band.range_signed", lang, a=s(x), b=s(y)) for x, y in itertools.pairwise(b)]
    pos += [t("band.at_least", lang, x=s(b[-1]))]
    mid = t(
        "band.unchanged", lang, x=fmt_number(b[0], lang, digits=0 if b[0].is_integer() else 1) + u
    )
    labels = (*(f"{x}{u}" for x in neg), mid, *(f"{x}{u}" for x in pos))
    return BandScheme(
        kind="diverging",
        limits=b,
        colors=colors,
        labels=labels,
        missing_color=missing,
        missing_label=t("legend.lost_access", lang),
        neutral=len(b),
    )


def scheme_summary(schemes: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """``{name: {vision: min ΔE}}`` for a set of colour lists (for reports and the lead)."""
    return {
        name: {r.vision: round(r.min_delta_e, 1) for r in check_distinct(list(cols))}
        for name, cols in schemes.items()
    }
