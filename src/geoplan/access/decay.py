"""Distance-decay weights for floating-catchment access: step, Gaussian and power (gravity).

Each weight is a small frozen dataclass that maps an array of travel costs
(minutes, float64) to weights in one vectorised call. They reproduce the weight
functions of PySAL ``access`` (``access.weights.step_fn``, ``gaussian`` and
``gravity``) value for value; the cross-check is in ``tests/test_access.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geoplan.errors import InputError, plain

FloatArray = npt.NDArray[np.float64]

#: The step weights of Luo & Qi (2009), PySAL ``access``'s default for E2SFCA:
#: 1 up to 10 minutes, 0.68 up to 20, 0.22 up to 30, 0 beyond.
LUO_QI_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


@dataclass(frozen=True)
class StepDecay:
    r"""Step weights: a weight per travel-time band.

    With bands :math:`t_1 < t_2 < \dots < t_K` and weights :math:`w_1, \dots, w_K`,

    .. math::

        f(c) = w_k \quad \text{for the smallest } k \text{ with } c \le t_k, \qquad
        f(c) = 0 \quad \text{for } c > t_K .

    A cost exactly on a band edge gets the weight of the band it closes
    (``c = 10`` with steps ``10:1, 20:0.68`` weighs 1), as in PySAL's
    ``access.weights.step_fn``.

    Parameters
    ----------
    steps
        ``(minutes, weight)`` pairs. Minutes finite, > 0 and strictly
        increasing; weights finite, >= 0, not increasing with minutes (a longer
        trip never weighs more) and not all 0.

    Raises
    ------
    InputError
        A band or weight breaks the rules above.
    """

    steps: tuple[tuple[float, float], ...]

    def __init__(self, steps: Iterable[tuple[float, float]]) -> None:
        pairs = tuple((float(t), float(w)) for t, w in steps)
        _check_steps(pairs, source=None)
        object.__setattr__(self, "steps", pairs)

    @property
    def max_minutes(self) -> float:
        """The last band edge: beyond it every weight is 0."""
        return self.steps[-1][0]

    def __call__(self, minutes: npt.ArrayLike) -> FloatArray:
        c = np.asarray(minutes, dtype=np.float64)
        edges = np.array([t for t, _ in self.steps], dtype=np.float64)
        w = np.append(np.array([x for _, x in self.steps], dtype=np.float64), 0.0)
        return w[np.searchsorted(edges, c, side="left")]

    def describe(self) -> str:
        """``"step 10:1,20:0.68,30:0.22"``."""
        return "step " + ",".join(f"{_num(t)}:{_num(w)}" for t, w in self.steps)


@dataclass(frozen=True)
class GaussianDecay:
    r"""Gaussian weights of width :math:`\sigma` minutes (PySAL ``access.weights.gaussian``).

    .. math:: f(c) = \exp\left(-\frac{c^2}{2\sigma^2}\right)

    ``f(0) = 1``; the normalising factor :math:`1/\sqrt{2\pi\sigma^2}` is not
    applied. It never reaches 0, so the catchment is cut by ``max_minutes``
    only. This is not the truncated kernel of Dai (2010), which is rescaled to
    reach 0 at the catchment edge.

    Parameters
    ----------
    width
        :math:`\sigma` in minutes, finite and > 0.
    """

    width: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.width) and self.width > 0):
            raise InputError(None, f"Gaussian width={plain(self.width)} is not a positive number",
                             "give the width (sigma) in minutes, e.g. 15")

    def __call__(self, minutes: npt.ArrayLike) -> FloatArray:
        c = np.asarray(minutes, dtype=np.float64)
        out: FloatArray = np.exp(-c * c / (2.0 * self.width**2))
        return out

    def describe(self) -> str:
        return f"gaussian width {_num(self.width)}"


@dataclass(frozen=True)
class PowerDecay:
    r"""Gravity (inverse power) weights (PySAL ``access.weights.gravity(1, -beta, min_minutes)``).

    .. math:: f(c) = \max(c, c_{\min})^{-\beta}

    ``min_minutes`` (:math:`c_{\min}`) keeps a cost of 0 from giving an
    infinite weight; PySAL's default is 0, geoplan's is 1 minute (a trip inside
    one's own 1 km cell). Costs are in minutes with scale 1: in the competition
    (2SFCA-type) model the scale cancels; in the potential model it multiplies
    every value by the same constant.

    Parameters
    ----------
    beta
        Decay exponent, finite and >= 0 (``0`` = no decay). Values of 1-2 are
        usual for drive times to primary care.
    min_minutes
        Floor on the cost, finite and >= 0.
    """

    beta: float
    min_minutes: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise InputError(None, f"gravity beta={plain(self.beta)} is not a number >= 0",
                             "give the decay exponent, e.g. 1.0 (a weight falls as minutes^-beta)")
        if not (math.isfinite(self.min_minutes) and self.min_minutes >= 0):
            raise InputError(None, f"gravity min_minutes={plain(self.min_minutes)} is not a number >= 0",
                             "give the floor on travel time in minutes, e.g. 1")

    def __call__(self, minutes: npt.ArrayLike) -> FloatArray:
        c = np.maximum(np.asarray(minutes, dtype=np.float64), self.min_minutes)
        with np.errstate(divide="ignore"):
            out: FloatArray = np.power(c, -self.beta)
        return out

    def describe(self) -> str:
        return f"power beta {_num(self.beta)}, min {_num(self.min_minutes)} min"


Decay = StepDecay | GaussianDecay | PowerDecay


def parse_step_weights(text: str, *, source: str | None = None) -> StepDecay:
    """Parse ``"10:1,20:0.68,30:0.22"`` into a :class:`StepDecay`.

    Parameters
    ----------
    text
        Comma-separated ``minutes:weight`` pairs, minutes increasing.
    source
        Where the text came from (e.g. ``"--weights"``), named in errors.

    Raises
    ------
    InputError
        Bad syntax, a number that is not finite, minutes not increasing,
        weights increasing or negative.
    """
    where = source or "weights"
    example = "write minutes:weight pairs separated by commas, e.g. 10:1,20:0.68,30:0.22"
    items = [s.strip() for s in str(text).split(",")]
    if not text or not str(text).strip() or any(s == "" for s in items):
        raise InputError(None, f"{where}: {text!r} has an empty item", example)
    pairs: list[tuple[float, float]] = []
    for item in items:
        parts = item.split(":")
        if len(parts) != 2:
            raise InputError(None, f"{where}: item {item!r} is not minutes:weight", example)
        try:
            t, w = float(parts[0]), float(parts[1])
        except ValueError:
            raise InputError(None, f"{where}: item {item!r} does not hold two numbers", example) from None
        pairs.append((t, w))
    _check_steps(tuple(pairs), source=where)
    return StepDecay(pairs)


def _check_steps(pairs: Sequence[tuple[float, float]], *, source: str | None) -> None:
    where = source or "step weights"
    if not pairs:
        raise InputError(None, f"{where}: no steps", "give at least one minutes:weight pair, e.g. 30:1")
    for t, w in pairs:
        if not (math.isfinite(t) and t > 0):
            raise InputError(None, f"{where}: band edge {plain(t)} minutes is not a positive number",
                             "band edges are minutes > 0, e.g. 10:1,20:0.68,30:0.22")
        if not (math.isfinite(w) and w >= 0):
            raise InputError(None, f"{where}: weight {plain(w)} (at {_num(t)} min) is not a number >= 0",
                             "weights are >= 0, e.g. 10:1,20:0.68,30:0.22")
    edges = [t for t, _ in pairs]
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise InputError(None, f"{where}: band edges {edges} are not strictly increasing",
                         "list the bands from the shortest to the longest trip, e.g. 10:1,20:0.68,30:0.22")
    ws = [w for _, w in pairs]
    if any(b > a for a, b in zip(ws, ws[1:], strict=False)):
        raise InputError(None, f"{where}: weights {ws} increase with travel time",
                         "a longer trip must not weigh more: use non-increasing weights")
    if max(ws) == 0:
        raise InputError(None, f"{where}: all weights are 0", "give the first band a weight > 0, e.g. 1")


def _num(x: float) -> str:
    return f"{x:g}"


__all__ = [
    "LUO_QI_STEPS",
    "Decay",
    "GaussianDecay",
    "PowerDecay",
    "StepDecay",
    "parse_step_weights",
]
