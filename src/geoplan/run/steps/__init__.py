"""The steps of a run, one module per scenario section.

A step is a function ``step(ctx: RunContext) -> StepResult``: it reads the
shared :class:`~geoplan.run.context.RunContext`, computes, and returns a typed
result (:mod:`geoplan.run.results`); it never writes a file. :data:`STEPS`
lists them in run order; a step runs when its section is present in the
scenario. Its writer is registered under the same section name in
:data:`geoplan.output.writer.WRITERS`.

To add a step: a module here with the function, a result dataclass in
:mod:`geoplan.run.results`, a :class:`Step` below, and a writer in
:mod:`geoplan.output` registered in ``WRITERS`` (the ``[acute]`` step is the
pattern to follow).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from geoplan.run.context import RunContext
from geoplan.run.results import StepResult


@dataclass(frozen=True)
class Step:
    """One step of a run.

    Attributes
    ----------
    section
        The scenario section that turns it on (``acute``, ``health_houses`` …); also
        the key of its result in :attr:`RunResult.steps` and of its writer.
    function
        ``"module:function"`` computing its result (imported when the step runs, so a
        run loads only the models it needs).
    """

    section: str
    function: str

    def load(self) -> Callable[[RunContext], StepResult]:
        module, name = self.function.split(":")
        fn: Callable[[RunContext], StepResult] = getattr(importlib.import_module(module), name)
        return fn

    def compute(self, ctx: RunContext) -> StepResult:
        return self.load()(ctx)


#: The steps, in run order.
STEPS: tuple[Step, ...] = (
    Step("acute", "geoplan.run.steps.acute:acute"),
    Step("prehospital", "geoplan.run.steps.prehospital:prehospital"),
    Step("health_houses", "geoplan.run.steps.houses:health_houses"),
    Step("psychiatry_houses", "geoplan.run.steps.houses:psychiatry_houses"),
    Step("joint_houses", "geoplan.run.steps.houses:joint_houses"),
    Step("gp_access", "geoplan.run.steps.gp_access:gp_access"),      # after the houses (access to them too)
    Step("home_care", "geoplan.run.steps.home_care:home_care"),      # after [health_houses] (its houses)
    Step("equity", "geoplan.run.steps.equity:equity"),               # last: measures the steps before it
)

__all__ = ["STEPS", "Step"]
