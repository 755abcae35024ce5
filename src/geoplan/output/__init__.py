"""Writers: turn the typed results of a run into files (CSV, GeoPackage, maps, report).

Writers never compute a measure; steps never write a file. See
:mod:`geoplan.output.writer` for the registry that maps each step's result to
its writer.
"""
