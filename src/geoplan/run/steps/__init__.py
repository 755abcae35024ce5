"""The steps of a run, one module per scenario section.

Each step takes the :class:`~geoplan.run.pipeline.RunContext`, computes its
measures and writes its tables and maps into ``ctx.out`` (the staging
folder). :data:`STEPS` lists them in run order; a step runs when its section
is present in the scenario.
"""

from __future__ import annotations

from collections.abc import Callable

from geoplan.run.steps.acute import acute


def _lazy(module: str, name: str) -> Callable:
    def run(ctx):
        import importlib

        return getattr(importlib.import_module(module), name)(ctx)

    return run


#: (scenario section, step function), in run order.
STEPS: list[tuple[str, Callable]] = [
    ("acute", acute),
    ("prehospital", _lazy("geoplan.run.steps.prehospital", "prehospital")),
    ("health_houses", _lazy("geoplan.run.steps.houses", "health_houses")),
    ("psychiatry_houses", _lazy("geoplan.run.steps.houses", "psychiatry_houses")),
    ("joint_houses", _lazy("geoplan.run.steps.houses", "joint_houses")),
]
