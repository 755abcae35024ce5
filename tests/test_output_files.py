"""geoplan.output.files: the user's files are never replaced, staging is cleaned up, outputs are byte-identical."""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geoplan.errors import OutputError
from geoplan.output import files
from geoplan.output.files import (
    MARKER,
    STAGING_MARKER,
    check_output_dir,
    staged_directory,
    write_gpkg,
)

ROOT = Path(__file__).resolve().parents[1]


def _write_run(final: Path, text: str = "result") -> None:
    with staged_directory(final) as tmp:
        (tmp / "table.csv").write_text(text, encoding="utf-8")


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_new_folder_gets_marker_and_only_the_outputs(tmp_path):
    out = tmp_path / "run"
    _write_run(out)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "table.csv"]
    assert (out / MARKER).read_text(encoding="utf-8") == files.MARKER_TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]      # no staging, lock or .old left


def test_replaces_a_folder_it_wrote_itself(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "first")
    (out / "stale.csv").write_text("from an earlier run")        # geoplan's folder: replaced as a whole
    _write_run(out, "second")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "table.csv"]
    assert (out / "table.csv").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_empty_existing_folder_is_used(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    _write_run(out)
    assert (out / "table.csv").is_file() and (out / MARKER).is_file()


def test_folder_of_user_files_is_refused_and_untouched(tmp_path):
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.docx").write_bytes(b"precious")
    (out / "sub" / "data.csv").write_text("a,b\n")
    before = _listing(out)
    with pytest.raises(OutputError, match="holds files geoplan did not write") as e:
        _write_run(out)
    assert "thesis.docx" in str(e.value) and "fix:" in str(e.value) and str(out) in str(e.value)
    assert _listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_existing_file_is_refused_not_hidden(tmp_path):
    out = tmp_path / "out"
    out.write_text("my notes")
    with pytest.raises(OutputError, match="is a file"):
        _write_run(out)
    assert out.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]       # no .out.old


def test_symlink_is_refused(tmp_path):
    target = tmp_path / "real"
    _write_run(target)
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="symbolic link"):
        _write_run(link)
    assert link.is_symlink()


@pytest.mark.parametrize("where", ["/", "cwd", "home", "checkout", "parent_of_cwd"])
def test_protected_places(tmp_path, monkeypatch, where):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    target = {"/": Path("/"), "cwd": Path("."), "home": Path.home(), "checkout": ROOT, "parent_of_cwd": tmp_path}[where]
    with pytest.raises(OutputError, match="refusing to write"):
        check_output_dir(target)


def test_empty_cwd_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="working directory"):
        _write_run(Path("."))
    assert list(tmp_path.iterdir()) == []


def test_too_long_name(tmp_path):
    with pytest.raises(OutputError, match="too long"):
        _write_run(tmp_path / ("x" * 250))
    with pytest.raises(OutputError, match="too long"):
        _write_run(tmp_path.joinpath(*(["d" * 200] * 25)))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_parent(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="read-only"):
            _write_run(ro / "run")
    finally:
        ro.chmod(0o755)


def test_read_only_parent_as_reported_by_the_os(tmp_path, monkeypatch):
    # root ignores permissions; what matters is the message when the OS refuses (EROFS, EACCES)
    real_mkdtemp = files.tempfile.mkdtemp

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(files.tempfile, "mkdtemp", refuse)
    with pytest.raises(OutputError, match="Read-only file system"):
        _write_run(tmp_path / "run")
    monkeypatch.setattr(files.tempfile, "mkdtemp", real_mkdtemp)
    assert not (tmp_path / "run").exists()


def test_failure_removes_staging_and_keeps_previous(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "good")
    with pytest.raises(RuntimeError), staged_directory(out) as tmp:
        (tmp / "table.csv").write_text("half")
        raise RuntimeError("writer crashed")
    assert (out / "table.csv").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_ctrl_c_removes_staging(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), staged_directory(out) as tmp:
        (tmp / "table.csv").write_text("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_a_clear_error(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "good")
    with pytest.raises(OutputError, match="disk is full") as e, staged_directory(out) as tmp:
        (tmp / "table.csv").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "map.html"))
    assert "fix:" in str(e.value)
    assert (out / "table.csv").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failure_while_moving_into_place_restores_previous(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _write_run(out, "good")
    real_rename = Path.rename

    def rename(self, target):
        if str(self).endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OutputError, match="disk is full"):
        _write_run(out, "new")
    monkeypatch.undo()
    assert (out / "table.csv").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


_CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from geoplan.output.files import staged_directory
    with staged_directory(Path(sys.argv[1])) as tmp:
        (tmp / "table.csv").write_text("half")
        print(tmp, flush=True)
        time.sleep(60)
""")


def _child(out: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    staging = Path(proc.stdout.readline().strip())
    assert staging.is_dir() and (staging / STAGING_MARKER).read_text().split()[0] == str(proc.pid)
    return proc, staging


def test_sigterm_removes_staging(tmp_path):
    out = tmp_path / "run"
    proc, staging = _child(out)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert not staging.exists() and not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_killed_run_is_cleaned_up_by_the_next(tmp_path):
    out = tmp_path / "run"
    proc, staging = _child(out)
    proc.kill()                                   # SIGKILL: no chance to clean up
    proc.wait(timeout=30)
    assert staging.is_dir()
    # a folder that merely looks like a staging folder but was not written by geoplan is kept
    lookalike = tmp_path / ".run.abcdefgh.tmp"
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("user file")
    _write_run(out)
    assert not staging.exists()
    assert (lookalike / "keep.txt").read_text() == "user file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.abcdefgh.tmp", "run"]


def test_staging_of_a_live_run_is_kept(tmp_path):
    out = tmp_path / "run"
    proc, staging = _child(out)
    try:
        with pytest.raises(OutputError, match="another geoplan run is writing"), staged_directory(out, wait=0.5):
            pass
        files.remove_stale_staging(out)
        assert staging.is_dir()                   # its writer is alive
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _concurrent(out: str, text: str) -> str:
    try:
        with staged_directory(Path(out)) as tmp:
            (tmp / "table.csv").write_text(text)
            time.sleep(0.3)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the test wants to see any failure
        return f"{type(exc).__name__}: {exc}"


def test_concurrent_runs_take_turns(tmp_path):
    out = tmp_path / "run"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_concurrent, [(str(out), f"run {i}") for i in range(4)])
    assert results == ["ok"] * 4
    assert (out / "table.csv").read_text() in {f"run {i}" for i in range(4)}
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "table.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_gpkg_is_byte_identical(tmp_path):
    gdf = gpd.GeoDataFrame({"a": [1, 2], "b": ["x", "y"]}, geometry=[shapely.Point(0, 0), shapely.Point(1, 1)],
                           crs="EPSG:25832")
    write_gpkg(gdf, tmp_path / "a.gpkg", layer="cells")
    time.sleep(1.1)                                # GDAL's default timestamp has second resolution
    write_gpkg(gdf, tmp_path / "b.gpkg", layer="cells")
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    assert gpd.read_file(tmp_path / "a.gpkg")["a"].tolist() == [1, 2]


def test_two_runs_are_byte_identical_all_formats(tiny_region, tmp_path):
    """A whole run (tables, GeoPackages, maps, report, solution JSON) twice: the same bytes in every file."""
    from geoplan.config import Scenario
    from geoplan.output.writer import write_run
    from geoplan.run.pipeline import compute_scenario

    sc = Scenario.model_validate({
        "name": "tiny", "region": "tiny", "lang": "en",
        "acute": {"thresholds": [15, 30], "bands": [15, 30], "hours": [3, 12], "n_minus_1": True},
        "health_houses": {"model": "mclp", "p": 1, "max_minutes": 10, "candidate_kinds": ["town"],
                          "frontier": {"p_min": 1, "p_max": 2}},
    })
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(compute_scenario(sc, region=tiny_region), a)
    time.sleep(1.1)
    write_run(compute_scenario(sc, region=tiny_region), b)
    fa, fb = _listing(a), _listing(b)
    assert sorted(fa) == sorted(fb)
    assert {".gpkg", ".csv", ".json", ".html"} <= {Path(n).suffix for n in fa}
    differ = [n for n in fa if fa[n] != fb[n]]
    assert differ == []
    solution = (a / "health_houses_solution.json").read_text(encoding="utf-8")
    assert "seconds" not in solution and "time" not in solution.replace("time_limit", "")


def test_json_stays_valid_with_nan_and_inf(tmp_path):
    import json

    import numpy as np

    from geoplan.output.files import write_json

    p = write_json({"covered_share": float("nan"), "mean": np.float64("inf"), "n": np.int64(3)}, tmp_path / "s.json")
    text = p.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) == {
        "covered_share": None, "mean": None, "n": 3}
