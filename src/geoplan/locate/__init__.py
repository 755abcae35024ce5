"""Exact location models on a cost matrix: LSCP, MCLP, p-median, p-center, joint placement.

Models take a travel-time matrix (demand × sites, minutes, ``np.inf`` =
unreachable) and demand weights; they know nothing of maps or scenarios.
Each is a class with ``from_cost_matrix(...)`` and ``.solve(...)`` (returns
self) in the style of PySAL spopt; the MILP is written in its docstring.

:data:`MODELS` is the one registry of the single-facility-type models by name
(``geoplan locate --model``, the scenario key ``model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from geoplan._lazy import lazy_getattr
from geoplan.errors import InputError

if TYPE_CHECKING:
    from geoplan.locate.base import LocationModel
    from geoplan.locate.frontier import how_many_frontier, plot_frontier
    from geoplan.locate.joint import JointPlacement
    from geoplan.locate.lscp import LSCP
    from geoplan.locate.mclp import MCLP
    from geoplan.locate.pcenter import PCenter
    from geoplan.locate.pmedian import PMedian

#: Public names → defining module (imported on first use: the solvers load only when needed).
_LAZY = {
    "LocationModel": "geoplan.locate.base",
    "how_many_frontier": "geoplan.locate.frontier",
    "plot_frontier": "geoplan.locate.frontier",
    "JointPlacement": "geoplan.locate.joint",
    "LSCP": "geoplan.locate.lscp",
    "MCLP": "geoplan.locate.mclp",
    "PCenter": "geoplan.locate.pcenter",
    "PMedian": "geoplan.locate.pmedian",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


class ModelClass(Protocol):
    """What the registry's classes have in common: ``from_cost_matrix(cost, **parameters)``
    returning a model (a :class:`LocationModel` with ``solve`` and ``summary``)."""

    def from_cost_matrix(self, cost: Any, **parameters: Any) -> Any: ...


@dataclass(frozen=True)
class ModelSpec:
    """A location model of the registry.

    Attributes
    ----------
    class_name
        The model class in this package (``from_cost_matrix``, ``solve``, ``summary``);
        :attr:`cls` imports it.
    takes
        Which of ``p`` and ``max_minutes`` its ``from_cost_matrix`` takes.
    needs
        Those of them that must be given.
    what
        One line on what the model optimises.
    """

    class_name: str
    takes: tuple[str, ...]
    needs: tuple[str, ...]
    what: str

    @property
    def cls(self) -> ModelClass:
        cls: ModelClass = __getattr__(self.class_name)
        return cls


#: Location models by name, in the order the CLI lists them.
MODELS: dict[str, ModelSpec] = {
    "lscp": ModelSpec(
        "LSCP",
        ("max_minutes",),
        ("max_minutes",),
        "fewest sites so that everybody is within max_minutes",
    ),
    "mclp": ModelSpec(
        "MCLP",
        ("max_minutes", "p"),
        ("p", "max_minutes"),
        "most demand within max_minutes with p sites",
    ),
    "pmedian": ModelSpec(
        "PMedian",
        ("p", "max_minutes"),
        ("p",),
        "least mean travel time with p sites (max_minutes: a hard cap)",
    ),
    "pcenter": ModelSpec("PCenter", ("p",), ("p",), "least worst-case travel time with p sites"),
}


def model_spec(name: str) -> ModelSpec:
    """The registry entry of a model name (case-insensitive).

    Raises
    ------
    InputError
        Unknown name; the message lists the known ones.
    """
    spec = MODELS.get((name or "").lower())
    if spec is None:
        raise InputError(None, f"unknown model {name!r}", f"use one of {', '.join(MODELS)}")
    return spec


__all__ = [
    "LSCP",
    "MCLP",
    "MODELS",
    "JointPlacement",
    "LocationModel",
    "ModelClass",
    "ModelSpec",
    "PCenter",
    "PMedian",
    "how_many_frontier",
    "model_spec",
    "plot_frontier",
]
