"""Running a scenario: the steps compute typed results (:mod:`geoplan.run.results`)
from a shared :class:`~geoplan.run.context.RunContext`; :mod:`geoplan.run.pipeline`
runs them in order and hands the results to the output layer.
"""
