"""Exception classes.

Every error a user can cause is a :class:`GeoplanError`. Its message names the
file, the field and the fix, so the CLI prints it as is (no traceback) and exits
non-zero.
"""

from __future__ import annotations

from pathlib import Path


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose."""

    exit_code = 2


class InputError(GeoplanError):
    """A user-supplied file holds something geoplan cannot use.

    Parameters
    ----------
    file
        The file at fault (or ``None`` when the input did not come from a file).
    problem
        What is wrong, naming the field / key / row.
    fix
        What the user should do about it.
    """

    def __init__(self, file: str | Path | None, problem: str, fix: str | None = None):
        self.file = None if file is None else str(file)
        self.problem = problem
        self.fix = fix
        where = f"{self.file}: " if self.file else ""
        msg = f"{where}{problem}"
        if fix:
            msg += f"\n  fix: {fix}"
        super().__init__(msg)


class OutputError(InputError):
    """An output location geoplan must not or cannot write: a folder of the user's own files,
    an existing file, ``/``, the working directory, a read-only place, a full disk, a name
    too long, or a folder another run is writing."""


class DataMissingError(GeoplanError):
    """An input of the region manifest is not in the data directory."""


class RegionNotFoundError(GeoplanError):
    """No region of that name in the region folders (:func:`geoplan.datadir.regions_dirs`)."""


class ScenarioError(InputError):
    """A scenario file is malformed or names something unknown."""


class PointOutsideNetworkError(InputError):
    """A point lies outside the region / too far from any network node."""


class NetworkError(GeoplanError):
    """A road network cannot be built or fails the graph schema."""


class InfeasibleError(GeoplanError):
    """An optimisation model has no feasible solution; the message says what cannot be met."""


class SolverError(GeoplanError):
    """The solver failed (not installed, crashed, or returned no usable solution)."""


def plain(value: object) -> str:
    """A value as a message shows it: numbers plainly (``nan``, ``-1``, ``2.5``, not ``np.float64(nan)``),
    anything else by its ``repr`` (strings quoted)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
