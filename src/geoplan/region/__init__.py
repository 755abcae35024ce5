"""A planning region: manifest, boundary, municipalities, population cells, fact tables, network."""

from geoplan.region.region import CRS, FACT_TABLES, Region, load_region, read_points_table

__all__ = ["CRS", "FACT_TABLES", "Region", "load_region", "read_points_table"]
