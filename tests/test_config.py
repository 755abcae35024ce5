"""Scenario files: validation errors name the file, the key and the fix."""

from __future__ import annotations

import pytest

from geoplan.config import load_scenario, packaged_scenarios
from geoplan.errors import ScenarioError

SCENARIOS = packaged_scenarios()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_validate(path):
    sc = load_scenario(path)
    assert sc.name and sc.path == path and sc.path.is_file()


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


# ------------------------------------------------------------------ inheritance (extends)


def _files(tmp_path, **texts):
    for name, text in texts.items():
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


PARENT = '''name = "parent"
lang = "en"
[acute]
thresholds = [15, 30]
exclude = ["a"]
[acute.cuts]
bridge = ["L1"]
[routing]
access_k = 6
'''


def test_child_overrides_parent_recursively(tmp_path):
    _files(tmp_path, parent=PARENT, child='extends = "parent.toml"\nname = "child"\n'
           '[acute]\nthresholds = [20]\n[acute.cuts]\nferry = ["L2"]\n')
    sc = load_scenario(tmp_path / "child.toml")
    assert sc.name == "child" and sc.lang == "en"            # top level: child wins, rest inherited
    assert sc.acute.thresholds == [20.0]                       # arrays are replaced as a whole
    assert sc.acute.exclude == ["a"]                           # untouched keys of a table are kept
    assert sc.acute.cuts == {"bridge": ["L1"], "ferry": ["L2"]}  # tables merge key by key
    assert sc.routing.access_k == 6
    assert sc.path == tmp_path / "child.toml"
    assert sc.file_of("acute.thresholds") == tmp_path / "child.toml"
    assert sc.file_of("acute.exclude") == tmp_path / "parent.toml"
    assert sc.file_of("routing.access_circuity") == tmp_path / "parent.toml"  # a default in a parent's table
    assert sc.file_of("output.maps") == tmp_path / "child.toml"   # written nowhere: the scenario itself


def test_chain_and_unset(tmp_path):
    _files(tmp_path, parent=PARENT, middle='extends = "parent.toml"\nname = "middle"\n[routing]\naccess_k = 3\n',
           child='extends = "middle.toml"\nunset = ["acute.cuts"]\nname = "child"\n')
    sc = load_scenario(tmp_path / "child.toml")
    assert sc.routing.access_k == 3 and sc.acute.exclude == ["a"] and sc.acute.cuts == {}
    _files(tmp_path, child='extends = "middle.toml"\nunset = ["acute"]\nname = "child"\n[prehospital]\n')
    assert load_scenario(tmp_path / "child.toml").acute is None


def test_cycle_names_the_files(tmp_path):
    _files(tmp_path, a='extends = "b.toml"\nname = "a"\n[acute]\n', b='extends = "a.toml"\nname = "b"\n')
    with pytest.raises(ScenarioError, match=r"cycle.*a\.toml -> .*b\.toml -> .*a\.toml"):
        load_scenario(tmp_path / "a.toml")


def test_errors_name_the_file_that_wrote_the_key(tmp_path):
    _files(tmp_path, parent=PARENT.replace("access_k = 6", "access_k = 99"),
           child='extends = "parent.toml"\nname = "child"\n')
    with pytest.raises(ScenarioError, match=r"routing.access_k.*extended by") as info:
        load_scenario(tmp_path / "child.toml")
    assert str(info.value).startswith(str(tmp_path / "parent.toml"))
    _files(tmp_path, parent=PARENT, child='extends = "parent.toml"\nname = "child"\n[acute]\nthreshold = [1]\n')
    with pytest.raises(ScenarioError, match="unknown key 'acute.threshold'") as info:
        load_scenario(tmp_path / "child.toml")
    assert str(info.value).startswith(str(tmp_path / "child.toml"))


@pytest.mark.parametrize(
    ("child", "match"),
    [
        ('extends = "nope.toml"\nname = "c"\n', r"extends: .*nope\.toml not found"),
        ('extends = 3\nname = "c"\n', r"extends: must be the path"),
        ('extends = "parent.toml"\nunset = ["network"]\nname = "c"\n', r"unset: 'network' is not a key of"),
        ('unset = ["acute"]\nname = "c"\n[acute]\n', r"unset without extends"),
    ],
)
def test_bad_extends(tmp_path, child, match):
    _files(tmp_path, parent=PARENT, child=child)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(tmp_path / "child.toml")
    assert str(info.value).startswith(str(tmp_path / "child.toml"))


def test_packaged_scenarios_are_found_from_any_folder(tmp_path, monkeypatch):
    from geoplan.config import packaged_scenarios, resolve_scenario_path

    monkeypatch.chdir(tmp_path)
    assert {p.name for p in packaged_scenarios()} >= {"baseline.toml", "prehospital.toml"}
    assert load_scenario("scenarios/baseline.toml").name == "baseline"
    assert resolve_scenario_path("baseline.toml").parent.name == "scenarios"
    # a file of the working directory comes first
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "baseline.toml").write_text('name = "mine"\n[acute]\n', encoding="utf-8")
    assert load_scenario("scenarios/baseline.toml").name == "mine"
    # extends falls back to the packaged scenario too
    (tmp_path / "own.toml").write_text('extends = "prehospital.toml"\nname = "own"\nunset = ["acute"]\n',
                                       encoding="utf-8")
    own = load_scenario(tmp_path / "own.toml")
    assert own.acute is None and own.prehospital.ambulance.speed_factor > 1
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario("elsewhere/deep/baseline.toml")


def test_forward_day_states_only_what_differs():
    from geoplan.config import scenario_differences
    from geoplan.datadir import SCENARIOS_DIR

    main = load_scenario(SCENARIOS_DIR / "prehospital.toml")
    fwd = load_scenario(SCENARIOS_DIR / "prehospital-forward-day.toml")
    diff = {k: (a, b) for k, a, b in scenario_differences(main, fwd)}
    assert diff["prehospital.validation.enabled"] == (True, False)
    assert diff["acute"][0] is not None and diff["acute"][1] is None   # a whole section: one row
    assert diff["prehospital.ambulance.hours.fwd_ry"] == (None, "07-19")
    assert "prehospital.helicopter.cruise_kph" not in diff and "network.source" not in diff
    assert fwd.file_of("prehospital.helicopter.cruise_kph") == SCENARIOS_DIR / "prehospital.toml"
    assert scenario_differences(main, main) == []


# ------------------------------------------------------------------ the bad-input sweep (library API)
HOUSES = 'name = "h"\n[health_houses]\nmodel = "mclp"\np = 3\nmax_minutes = 20\n'


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (HOUSES + "[health_houses.frontier]\np_min = 10\np_max = 5\n", r"health_houses.frontier.*p_min = 10"),
        (HOUSES + "[health_houses.site_cost]\ntown_aarhus = 1\n", r"site_cost has no effect without budget"),
        (HOUSES + "budget = 3\n", r"budget needs site_cost"),
        ('name = "x"\n[acute]\n[acute.cuts]\n"x" = []\n', r"acute.cuts.*empty list"),
        ('name = "x"\n[acute]\nhours = [3, 3]\n', r"acute.hours.*distinct"),
        ('name = "x"\n[acute]\nthresholds = [15, 15]\n', r"acute.thresholds.*distinct"),
        ('name = "x"\n[gp_access]\nmethod = "gravity"\nbeta = inf\n', r"gp_access.beta.*finite"),
        ('name = "x"\n[acute]\n[equity]\nmin_population = inf\n', r"equity.min_population.*finite"),
        ('name = "x"\n[prehospital]\nhours = [12]\n[equity]\nprehospital_hour = 5\n',
         r"equity.prehospital_hour = 5.*\[12\]"),
        ('name = "x"\n[acute]\n[routing]\ndask_scheduler = "bogus"\n', r"routing.dask_scheduler.*'bogus'"),
        ('name = "x"\n[acute]\n[network]\nlocal = false\npatches = ["roads/osm_samsoe_2020-03-09.osm.zip"]\n',
         r"network.*patches need the local-road model"),
    ],
)
def test_sweep_scenarios_raise_scenario_error(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(p, check_references=False)
    assert info.value.file == str(p)
    assert "Value error," not in str(info.value)      # pydantic's prefix is not shown to users


def test_scenario_with_byte_order_mark_loads(tmp_path):
    p = tmp_path / "s.toml"
    p.write_bytes('\ufeffname = "bom"\n[acute]\n'.encode())   # as Windows editors save UTF-8
    assert load_scenario(p).name == "bom"


def test_scenario_folder_is_a_clear_error(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(ScenarioError, match="is a folder, not a scenario file"):
        load_scenario(tmp_path / "sub")
    child = _write(tmp_path, 'extends = "sub"\nname = "x"\n[acute]\n')
    with pytest.raises(ScenarioError, match="extends: .*sub is a folder") as info:
        load_scenario(child)
    assert info.value.file == str(child)


def test_missing_patch_and_local_parameters_name_the_scenario(tmp_path):
    p = _write(tmp_path, 'name = "x"\n[acute]\n[network]\npatches = ["nowhere.osm.zip"]\n')
    with pytest.raises(ScenarioError, match=r"network.patches\[0\]: 'nowhere.osm.zip'") as info:
        load_scenario(p)
    assert info.value.file == str(p)
    p = _write(tmp_path, 'name = "x"\n[acute]\n[network]\nlocal_parameters = "nowhere.toml"\n')
    with pytest.raises(ScenarioError, match=r"network.local_parameters: 'nowhere.toml' not found"):
        load_scenario(p)


@pytest.mark.parametrize(
    ("text", "given", "fix"),
    [
        ('name = "x"\nlang = "fr"\n[acute]\n', '"fr"', "write one of 'da' or 'en'"),
        ('name = "x"\n[acute]\nthresholds = 15\n', "15", "write a list in square brackets, e.g. acute.thresholds = [...]"),
        ('name = "x"\n[acute]\nthresholds = [15, "x"]\n', '"x"', "write a number as item 2 of acute.thresholds"),
        ('name = "x"\n[acute]\ncross_border = 3\n', "3", "write true or false"),
        ('name = 5\n[acute]\n', "5", 'write a text in double quotes, e.g. name = "..."'),
    ],
)
def test_type_errors_show_the_value_and_what_to_write(tmp_path, text, given, fix):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert f"(given: {given})" in msg and fix in msg and "correct the value" not in msg
