"""Measures computed from travel times: coverage, catchments, service areas."""
