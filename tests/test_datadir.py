"""Data directory, manifests and `geoplan data fetch` (offline: file:// URLs)."""

from __future__ import annotations

import zipfile

import pytest

from geoplan.datadir import InputSpec, check_inputs, data_dir, fetch_input, load_manifest
from geoplan.errors import DataMissingError


def _spec(file, url, **kw):
    return InputSpec(key="x", file=file, what="test input", url=url, official=url, licence="CC0", year=2024, **kw)


def test_data_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("GEOPLAN_DATA_DIR")
    assert data_dir().parts[-2:] == ("shared", "data")


def test_manifest_lists_every_input_with_source():
    m = load_manifest("midtjylland")
    assert len(m.municipalities) == 19
    for spec in m.inputs.values():
        assert spec.url and spec.licence and spec.year, spec.key
    required = {k for k, s in m.inputs.items() if s.required}
    assert {"regions", "municipalities", "population", "municipality_totals"} <= required


def test_fetch_downloads_and_wraps_zip(monkeypatch, tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    (src / "a.csv").write_text("kode,pop\n0751,1\n")
    (src / "roads.osm").write_text("<osm/>")
    data = tmp_path / "data"
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(data))
    p = fetch_input(_spec("tables/a.csv", (src / "a.csv").as_uri()))
    assert p == data / "tables" / "a.csv" and p.read_text().startswith("kode,pop")
    z = fetch_input(_spec("roads/r.osm.zip", (src / "roads.osm").as_uri()))
    with zipfile.ZipFile(z) as zf:
        assert zf.read(zf.namelist()[0]) == b"<osm/>"


def test_fetch_errors_name_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(tmp_path))
    with pytest.raises(DataMissingError, match="b.csv.*download from"):
        fetch_input(_spec("b.csv", (tmp_path / "nope.csv").as_uri()))
    with pytest.raises(DataMissingError, match="cannot be downloaded automatically"):
        fetch_input(_spec("c.csv", "https://example.org/c.csv", manual=True))
    assert not (tmp_path / "b.csv").exists()


def test_check_inputs_reports_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOPLAN_DATA_DIR", str(tmp_path))
    statuses = check_inputs(load_manifest("midtjylland"))
    assert statuses and not any(s.present for s in statuses)


def test_locations_outside_a_checkout(monkeypatch, tmp_path):
    from geoplan import datadir

    for var in ("GEOPLAN_DATA_DIR", "GEOPLAN_CACHE_DIR", "GEOPLAN_REGIONS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(datadir, "checkout_root", lambda: None)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    # no data directory anywhere above: the error names where it looked
    with pytest.raises(DataMissingError, match=r"no data directory found \(looked for .*a/b/shared/data"):
        data_dir(must_exist=True)
    with pytest.raises(DataMissingError, match=r"(?s)missing input .*no data directory found; looked for .*get it from"):
        datadir.input_path(load_manifest("midtjylland"), "regions")
    # shared/data in a parent of the working directory
    (tmp_path / "a" / "shared" / "data").mkdir(parents=True)
    assert data_dir(must_exist=True) == (tmp_path / "a" / "shared" / "data").resolve()
    # the cache goes to $XDG_CACHE_HOME/geoplan
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datadir.cache_dir() == tmp_path / "xdg" / "geoplan" and datadir.cache_dir().is_dir()


def test_checkout_locations():
    from geoplan import datadir

    root = datadir.checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    assert datadir.REGIONS_DIR.is_dir() and (datadir.SCENARIOS_DIR / "baseline.toml").is_file()


def test_regions_dir_from_environment(monkeypatch, tmp_path):
    import shutil

    from geoplan import datadir
    from geoplan.errors import RegionNotFoundError

    own = tmp_path / "regions" / "testland"
    shutil.copytree(datadir.REGIONS_DIR / "midtjylland", own, ignore=shutil.ignore_patterns("network"))
    text = (own / "region.toml").read_text(encoding="utf-8")
    (own / "region.toml").write_text(text.replace('name = "midtjylland"', 'name = "testland"'), encoding="utf-8")
    monkeypatch.setenv("GEOPLAN_REGIONS_DIR", str(tmp_path / "regions"))
    assert datadir.available_regions() == ["midtjylland", "testland"]   # the packaged ones stay visible
    m = load_manifest("testland")
    assert m.folder == own and m.name == "testland"
    with pytest.raises(RegionNotFoundError, match=r"(?s)unknown region 'atlantis'.*use one of: midtjylland, testland"):
        load_manifest("atlantis")
