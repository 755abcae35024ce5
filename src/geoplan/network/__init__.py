"""Road networks: every source ends as one osmnx-style graph schema.

Sources
-------
- :func:`geoplan.network.osm.graph_from_osm_file` / :func:`geoplan.network.osm.graph_from_polygon`
  — OpenStreetMap through osmnx, Danish default speeds.
- :func:`geoplan.network.strategic.graph_from_strategic_tables` — the hand-authored
  strategic network of a region (towns, trunk roads, ferries).

Whatever the source, the result passes :func:`geoplan.network.schema.validate_graph`:
a ``networkx.MultiDiGraph`` in EPSG:25832 whose nodes carry ``x``, ``y`` (metres)
and whose edges carry ``length`` (m), ``speed_kph`` and ``travel_time`` (s).
"""

from geoplan.network.schema import GRAPH_CRS, add_travel_times, validate_graph

__all__ = ["GRAPH_CRS", "add_travel_times", "validate_graph"]
