"""Exact location models on a cost matrix: LSCP, MCLP, p-median, p-center, joint placement.

Models take a travel-time matrix (demand × sites, minutes, ``np.inf`` =
unreachable) and demand weights; they know nothing of maps or scenarios.
Each is a class with ``from_cost_matrix(...)`` and ``.solve(...)`` (returns
self) in the style of PySAL spopt; the MILP is written in its docstring.
"""

from geoplan.locate.frontier import how_many_frontier, plot_frontier
from geoplan.locate.joint import JointPlacement
from geoplan.locate.lscp import LSCP
from geoplan.locate.mclp import MCLP
from geoplan.locate.pcenter import PCenter
from geoplan.locate.pmedian import PMedian

__all__ = [
    "LSCP",
    "MCLP",
    "JointPlacement",
    "PCenter",
    "PMedian",
    "how_many_frontier",
    "plot_frontier",
]
