"""geoplan installed from its wheel, outside a checkout: finds its regions, scenarios and data.

Builds the wheel from a copy of the checkout, installs it into a fresh virtual
environment (``--system-site-packages --no-deps``: the dependencies come from the
environment running the tests, so this is fast and offline) and runs the README's
first command from a folder that is not a checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from geoplan.datadir import cache_dir, data_dir

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".venv", ".git", ".cache", "maps", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache", ".mypy_cache")


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, venv geoplan script) of a fresh venv holding only the wheel of this checkout."""
    pytest.importorskip("wheel")
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=SKIP)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"),
          str(src)])
    wheel = next((tmp / "dist").glob("geoplan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "geoplan/regions/midtjylland/region.toml" in names
    assert "geoplan/regions/midtjylland/network/links.csv" in names
    assert "geoplan/scenarios/baseline.toml" in names and "geoplan/i18n/labels.toml" in names
    assert "geoplan/py.typed" in names
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    if sys.prefix != sys.base_prefix:
        # the dependencies of the environment running the tests (not its editable geoplan)
        (site / "deps-of-the-tests.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    return py, venv / "bin" / "geoplan", tmp


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOPLAN_") and k != "PYTHONPATH"}
    return {**env, "GEOPLAN_CACHE_DIR": str(cache_dir()), "GEOPLAN_MATRIX_CACHE": "1", **extra}


@pytest.mark.slow
def test_the_wheel_imports_from_site_packages(installed):
    py, _, tmp = installed
    r = _run([str(py), "-c", "import geoplan, geoplan.datadir as d; print(geoplan.__file__); "
                             "print(d.checkout_root()); print(d.available_regions())"], cwd=tmp, env=_env())
    where, checkout, regions = r.stdout.splitlines()
    assert "site-packages" in where and str(ROOT) not in where
    assert checkout == "None" and regions == "['midtjylland']"


@pytest.mark.slow
@pytest.mark.needs_data
def test_baseline_runs_from_another_folder(installed):
    py, geoplan_script, tmp = installed
    # the data directory is found as ./shared/data in a parent of the working directory
    (tmp / "shared").mkdir(exist_ok=True)
    if not (tmp / "shared" / "data").exists():
        (tmp / "shared" / "data").symlink_to(data_dir(), target_is_directory=True)
    work = tmp / "work" / "planning"
    work.mkdir(parents=True, exist_ok=True)
    r = _run([str(geoplan_script), "-q", "run", "scenarios/baseline.toml"], cwd=work, env=_env())
    assert "Skrev" in r.stdout and "af borgerne bor inden for 30 minutters" in r.stdout  # Danish scenario
    table = pd.read_csv(work / "maps" / "baseline" / "acute_access_by_municipality.csv", dtype={"municipality_code": str},
                        keep_default_na=False)
    total = pd.read_csv(work / "maps" / "baseline" / "acute_access_by_municipality_total.csv")
    assert len(table) == 19 and 0.5 < total.iloc[0]["share_within_30min"] < 0.95
    assert (work / "maps" / "baseline" / "report.html").is_file()
    r = _run([str(py), "-c", "import geoplan; r = geoplan.load_region('midtjylland'); print(r)"], cwd=work,
             env=_env())
    line = r.stdout.strip()
    assert "\n" not in line and line.startswith("<Region 'midtjylland' (Central Denmark Region): 19 municipalities")
    # without any data directory: one clear error, exit 2, nothing written
    lost = tmp / "elsewhere"
    lost.mkdir(exist_ok=True)
    r = subprocess.run([str(geoplan_script), "-q", "run", "scenarios/baseline.toml"], cwd=lost,
                       env=_env(GEOPLAN_DATA_DIR=str(lost / "no-such-folder")), capture_output=True, text=True)
    assert r.returncode == 2 and "geoplan: error:" in r.stderr and "Traceback" not in r.stderr
    assert not (lost / "maps").exists()
