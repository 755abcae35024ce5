"""Floating-catchment accessibility: 2SFCA, enhanced 2SFCA and gravity models.

The models (:mod:`geoplan.access.fca`) follow PySAL ``access`` 1.1 value for
value; the decay weights are in :mod:`geoplan.access.decay`, the file back-end
of ``geoplan access`` in :mod:`geoplan.access.io` and the reader of the general
practices in :mod:`geoplan.access.practices`. Each model is a class with
``from_cost_matrix(...)`` and ``.solve()`` (returns self), in the style of
PySAL spopt; the formulas are in the docstrings.
"""

from geoplan.access.decay import (
    LUO_QI_STEPS,
    GaussianDecay,
    PowerDecay,
    StepDecay,
    parse_step_weights,
)
from geoplan.access.fca import (
    CatchmentPairs,
    EnhancedTwoStageFCA,
    FloatingCatchment,
    GravityAccess,
    TwoStageFCA,
    catchment_pairs,
    enhanced_two_stage_fca,
    gravity_access,
    normalized_access,
    two_stage_fca,
    weighted_mean_access,
)

__all__ = [
    "LUO_QI_STEPS",
    "CatchmentPairs",
    "EnhancedTwoStageFCA",
    "FloatingCatchment",
    "GaussianDecay",
    "GravityAccess",
    "PowerDecay",
    "StepDecay",
    "TwoStageFCA",
    "catchment_pairs",
    "enhanced_two_stage_fca",
    "gravity_access",
    "normalized_access",
    "parse_step_weights",
    "two_stage_fca",
    "weighted_mean_access",
]
