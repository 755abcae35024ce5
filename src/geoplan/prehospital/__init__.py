"""Prehospital response: ambulances, physician cars and helicopters against service targets.

The domain model (no scenario, no files written): see :mod:`geoplan.prehospital.model`
for the response model, calibration and validation metrics. Its parameters as a
scenario states them are :class:`geoplan.config.PrehospitalSection`.
"""

from geoplan.prehospital.model import *  # noqa: F403  (the public names of the model, listed there)
from geoplan.prehospital.model import __all__ as __all__
