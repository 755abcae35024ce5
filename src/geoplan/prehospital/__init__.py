"""Prehospital response: ambulances, physician cars and helicopters against service targets.

The domain model (no scenario, no files written): see :mod:`geoplan.prehospital.model`
for the response model, calibration and validation metrics. Its parameters as a
scenario states them are :class:`geoplan.config.PrehospitalSection`.
"""

from geoplan.prehospital.model import (
    Calibration,
    Target,
    assign_points_to_areas,
    available_mask,
    break_even_km,
    calibrate_delay,
    calibrate_linear,
    emergency_graph,
    graph_has_ferries,
    group_weighted_mean,
    helicopter_minutes,
    is_daytime,
    is_ferry_edge,
    nearest_available,
    read_measured_response,
    read_postcodes,
    sites_to_cells,
    target_shares,
    validation_metrics,
)

__all__ = [
    "Calibration",
    "Target",
    "assign_points_to_areas",
    "available_mask",
    "break_even_km",
    "calibrate_delay",
    "calibrate_linear",
    "emergency_graph",
    "graph_has_ferries",
    "group_weighted_mean",
    "helicopter_minutes",
    "is_daytime",
    "is_ferry_edge",
    "nearest_available",
    "read_measured_response",
    "read_postcodes",
    "sites_to_cells",
    "target_shares",
    "validation_metrics",
]
