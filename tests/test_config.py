"""Scenario files: validation errors name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoplan.config.scenario import load_scenario
from geoplan.errors import ScenarioError

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_validate(path):
    sc = load_scenario(path)
    assert sc.name and sc.path == path


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('name = "x"\n[acute]\nthreshold = [15]\n', r"unknown key 'acute.threshold'"),
        ('name = "x"\n[acute]\nthresholds = [30, 15]\n', r"acute.thresholds.*increasing"),
        ('[acute]\n', r"missing key 'name'"),
        ('name = "x"\n', r"nothing to compute"),
        ('name = "x"\n[acute\n', r"not valid TOML"),
        ('name = "a b"\n[acute]\n', r"key 'name'"),
        ('name = "x"\nlang = "de"\n[acute]\n', r"key 'lang'"),
    ],
)
def test_malformed_scenarios(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(p)
    assert str(p) in str(info.value)
    assert "fix:" in str(info.value)


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
