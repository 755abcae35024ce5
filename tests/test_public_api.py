"""The public API of ``import geoplan``: names, lazy imports, the example script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import geoplan

ROOT = Path(__file__).resolve().parents[1]


def test_all_names_resolve():
    for name in geoplan.__all__:
        assert getattr(geoplan, name) is not None, name
    assert set(geoplan.__all__) <= set(dir(geoplan))
    assert geoplan.MCLP is __import__("geoplan.locate", fromlist=["MCLP"]).MCLP
    assert issubclass(geoplan.GeoplanError, Exception)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        geoplan.nope  # noqa: B018


def test_import_is_light():
    code = "import sys, geoplan; print(sorted(m for m in ('pandas', 'geopandas', 'pulp', 'folium') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_run_scenario_accepts_a_path_and_computes_only(tiny_region, tmp_path, monkeypatch):
    p = tmp_path / "s.toml"
    p.write_text('name = "t"\nregion = "tiny"\n[acute]\nthresholds = [15]\nbands = [15]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = geoplan.run_scenario(str(p), write=False, region=tiny_region)
    assert isinstance(result, geoplan.RunResult) and result.out is None
    assert repr(result).startswith("<RunResult 't': steps acute, equity in ") and repr(result).endswith("(not written)>")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.needs_data
@pytest.mark.slow
def test_example_script_runs(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "notebook_example.py")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    assert out.startswith("<Region 'midtjylland' (Central Denmark Region): 19 municipalities")
    assert "<RunResult 'baseline': steps acute, equity in" in out
    assert "% of citizens live within 30 minutes' drive of an acute hospital." in out
    assert "MCLP p=2: [" in out and "(optimal)" in out
    assert list(tmp_path.iterdir()) == []              # write=False: nothing written
