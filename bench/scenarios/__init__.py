"""Scenarios of coordinated and organic behaviour for tests and benchmarks (issue 14).

:mod:`.generator` makes the input tables and the truth, :mod:`.grid` names the scenarios
the benchmark runs, :mod:`.evaluate` scores clusters against the truth, beside the naive
baseline of :mod:`bench.naive`.
"""

from bench.scenarios.generator import Army, Generated, Scenario, generate

__all__ = ["Army", "Scenario", "Generated", "generate"]
