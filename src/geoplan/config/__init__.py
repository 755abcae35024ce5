"""Scenario files: one pydantic model per section, validated up front.

:func:`load_scenario` reads a TOML file (following ``extends`` chains) and
returns a :class:`Scenario`; every error names the file, the key and the fix.
"""

from geoplan.config.equity import EquitySection, GPAccessSection, HomeCareSection
from geoplan.config.houses import (
    FrontierSection,
    HousesSection,
    JointHousesSection,
    JointPartSection,
)
from geoplan.config.load import (
    load_scenario,
    packaged_scenarios,
    resolve_scenario_path,
    scenario_differences,
)
from geoplan.config.prehospital import (
    AmbulanceParams,
    HelicopterParams,
    PhysicianCarParams,
    PrehospitalSection,
    PriorityBParams,
    Target,
    ValidationParams,
)
from geoplan.config.scenario import (
    AcuteSection,
    NetworkSection,
    OutputSection,
    RoutingSection,
    Scenario,
)

__all__ = [
    "AcuteSection",
    "AmbulanceParams",
    "EquitySection",
    "FrontierSection",
    "GPAccessSection",
    "HelicopterParams",
    "HomeCareSection",
    "HousesSection",
    "JointHousesSection",
    "JointPartSection",
    "NetworkSection",
    "OutputSection",
    "PhysicianCarParams",
    "PrehospitalSection",
    "PriorityBParams",
    "RoutingSection",
    "Scenario",
    "Target",
    "ValidationParams",
    "load_scenario",
    "packaged_scenarios",
    "resolve_scenario_path",
    "scenario_differences",
]
