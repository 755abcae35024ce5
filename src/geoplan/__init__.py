"""geoplan: health-care location planning for Region Midtjylland.

The public API, for notebooks and scripts::

    import geoplan

    region = geoplan.load_region("midtjylland")                 # boundary, municipalities, cells, network
    result = geoplan.run_scenario("scenarios/baseline.toml", write=False)
    result["acute"].table                                       # coverage by municipality (DataFrame)
    times = geoplan.travel_times(region, towns, hospitals)      # origin_id, destination_id, minutes, km
    best = geoplan.nearest(region, towns, hospitals)
    model = geoplan.MCLP.from_cost_matrix(cost, max_minutes=20, p=12, weights=w).solve()
    fca = geoplan.TwoStageFCA.from_cost_matrix(matrix, demand=cells, supply=practices,
                                               max_minutes=15).solve()   # geoplan.access

Data flows one way: inputs (data directory + region folders) →
:mod:`geoplan.region` → :mod:`geoplan.network` → :mod:`geoplan.routing` →
:mod:`geoplan.measures` / :mod:`geoplan.prehospital` / :mod:`geoplan.locate` →
:mod:`geoplan.run` (typed results) → :mod:`geoplan.output` (files); scenarios
are read by :mod:`geoplan.config`. Names are imported on first use, so
``import geoplan`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoplan._lazy import lazy_getattr
from geoplan.errors import GeoplanError

if TYPE_CHECKING:
    from geoplan.access import (
        EnhancedTwoStageFCA,
        GravityAccess,
        TwoStageFCA,
        enhanced_two_stage_fca,
        gravity_access,
        two_stage_fca,
    )
    from geoplan.config import Scenario, load_scenario
    from geoplan.locate import LSCP, MCLP, JointPlacement, PCenter, PMedian, how_many_frontier
    from geoplan.region import Region, load_region
    from geoplan.run.pipeline import run_scenario
    from geoplan.run.results import RunResult
    from geoplan.travel import nearest, travel_times

__version__ = "0.1.0"

#: Public name → module that defines it.
_LAZY = {
    "load_region": "geoplan.region",
    "Region": "geoplan.region",
    "load_scenario": "geoplan.config",
    "Scenario": "geoplan.config",
    "run_scenario": "geoplan.run.pipeline",
    "RunResult": "geoplan.run.results",
    "travel_times": "geoplan.travel",
    "nearest": "geoplan.travel",
    "LSCP": "geoplan.locate",
    "MCLP": "geoplan.locate",
    "PMedian": "geoplan.locate",
    "PCenter": "geoplan.locate",
    "JointPlacement": "geoplan.locate",
    "how_many_frontier": "geoplan.locate",
    # spatial access (floating catchments); the subpackage geoplan.access holds the rest
    "TwoStageFCA": "geoplan.access",
    "EnhancedTwoStageFCA": "geoplan.access",
    "GravityAccess": "geoplan.access",
    "two_stage_fca": "geoplan.access",
    "enhanced_two_stage_fca": "geoplan.access",
    "gravity_access": "geoplan.access",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "LSCP",
    "EnhancedTwoStageFCA",
    "GravityAccess",
    "TwoStageFCA",
    "enhanced_two_stage_fca",
    "gravity_access",
    "two_stage_fca",
    "MCLP",
    "GeoplanError",
    "JointPlacement",
    "PCenter",
    "PMedian",
    "Region",
    "RunResult",
    "Scenario",
    "__version__",
    "how_many_frontier",
    "load_region",
    "load_scenario",
    "nearest",
    "run_scenario",
    "travel_times",
]
