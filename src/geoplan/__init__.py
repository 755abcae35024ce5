"""geoplan: health-care location planning for Region Midtjylland.

Data flows one way: inputs (data directory + ``data/regions/<name>/``) →
:mod:`geoplan.region` → :mod:`geoplan.network` → :mod:`geoplan.routing` →
coverage / prehospital / location models → maps and reports.
"""

from geoplan.errors import GeoplanError

__version__ = "0.1.0"
__all__ = ["GeoplanError", "__version__"]
