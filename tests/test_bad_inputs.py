"""A corpus of bad inputs, run as a user would (``geoplan ...``): each gets one clear message.

Every case asserts: exit code 2, the message names the file at fault and the
field / key (and says how to fix it), no traceback, and the output folder was
neither created nor changed. Bad data files are made in a temporary data
directory of symlinks to the shared data with the one bad file replaced (the
shared data is never modified); bad fact tables likewise in a temporary region
folder. A corrupt *cache* is not an error: it is rebuilt with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from geoplan.cli import main
from geoplan.datadir import data_dir

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "src" / "geoplan" / "regions" / "midtjylland"
GOOD = 'name = "t"\n[acute]\n'
HOUSES = ('name = "h"\n[health_houses]\nmodel = "mclp"\np = 3\nmax_minutes = 20\n'
          'candidate_kinds = ["town"]\n')

# ---------------------------------------------------------------- what a case is


@dataclass
class Case:
    """One bad input: how to make it, which command to run, what the message must name."""

    id: str
    argv: Callable[[Path], list[str]]          # tmp → argv (after "geoplan -q")
    names: tuple[str, ...]                      # the message must contain each (file, field)
    setup: Callable[[Path], None] = lambda tmp: None
    data: dict[str, bytes] = field(default_factory=dict)     # data-dir file → bad bytes
    facts: dict[str, str] = field(default_factory=dict)      # region-folder file → bad text
    needs_data: bool = False
    env: dict[str, Callable[[Path], str]] = field(default_factory=dict)  # variable → tmp → value


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def run(text: str, *, name: str = "s.toml", out: str = "out") -> Callable[[Path], list[str]]:
    """``run s.toml --out out`` with ``text`` written to ``s.toml``."""
    def argv(tmp: Path) -> list[str]:
        return ["run", str(_write(tmp, name, text)), "--out", str(tmp / out)]
    return argv


def run_to(out: Callable[[Path], str], text: str = GOOD) -> Callable[[Path], list[str]]:
    def argv(tmp: Path) -> list[str]:
        return ["run", str(_write(tmp, "s.toml", text)), "--out", out(tmp)]
    return argv


def sc(case_id: str, text: str, *names: str, needs_data: bool = False) -> Case:
    return Case(case_id, run(text), ("s.toml", *names), needs_data=needs_data)


def _truncate(path: Path, keep: float = 0.3) -> bytes:
    raw = path.read_bytes()
    return raw[: max(1, int(len(raw) * keep))]


SHARED = data_dir()


def bad_data(case_id: str, rel: str, content: bytes | Callable[[], bytes], *names: str,
             text: str = GOOD) -> Case:
    def make() -> bytes:
        return content() if callable(content) else content
    c = Case(case_id, run(text), (Path(rel).name, *names), needs_data=True)
    c.data = {rel: make} if callable(content) else {rel: content}  # type: ignore[dict-item]
    return c


def bad_fact(case_id: str, table: str, text: str, *names: str, scenario: str = GOOD) -> Case:
    return Case(case_id, run(scenario), (table, *names), facts={table: text}, needs_data=True)


HOSP_HEADER = ("site_id,name,short_name,kind,region,kommune,lon,lat,emergency_department,stroke_thrombolysis,"
               "thrombectomy,pci,trauma_centre,obstetrics,psychiatric_emergency,opening_hours,source,note\n")
HOSP_ROW = "auh_skejby,AUH,AUH,acute,Midtjylland,0751,10.17212,56.19191,1,1,1,1,1,1,1,00-24,x,y\n"


def _hospitals_with(line: str) -> str:
    return (REGION / "hospitals.csv").read_text(encoding="utf-8") + line


def _user_folder(tmp: Path) -> str:
    d = tmp / "mine"
    d.mkdir()
    (d / "thesis.docx").write_bytes(b"my own work")
    return str(d)


def _user_file(tmp: Path) -> str:
    f = tmp / "notes.txt"
    f.write_text("my notes")
    return str(f)


def _symlink(tmp: Path) -> str:
    (tmp / "real").mkdir()
    (tmp / "link").symlink_to(tmp / "real")
    return str(tmp / "link")


def _od(tmp: Path, text: str = "demand_id,site_id,minutes\na,X,5\na,Y,30\nb,X,25\nb,Y,4\n") -> str:
    return str(_write(tmp, "od.csv", text))


def _demand(tmp: Path, text: str = "demand_id,weight\na,10\nb,1\n") -> str:
    return str(_write(tmp, "demand.csv", text))


def locate(*extra: str, od: str | None = None, demand: str | None = None, out: str = "result.json"):
    def argv(tmp: Path) -> list[str]:
        return ["locate", "--cost-matrix", _od(tmp, od) if od is not None else _od(tmp), "--demand",
                _demand(tmp, demand) if demand is not None else _demand(tmp), *extra, "--out", str(tmp / out)]
    return argv


def access(*extra: str, supply: str = "site_id,capacity\nX,2\nY,1\n", demand: str | None = None):
    def argv(tmp: Path) -> list[str]:
        return ["access", "--cost-matrix", _od(tmp), "--supply", str(_write(tmp, "supply.csv", supply)),
                "--demand", _demand(tmp, demand) if demand is not None else _demand(tmp), *extra, "--out", str(tmp / "out")]
    return argv


TOWNS = "name,lon,lat\nAarhus,10.2039,56.1567\nRanders,10.0364,56.4607\n"


def od(points: str = TOWNS, out: str = "out"):
    def argv(tmp: Path) -> list[str]:
        return ["od", str(_write(tmp, "points.csv", points)), "--out", str(tmp / out)]
    return argv


# ---------------------------------------------------------------- the corpus (second sweep)
# Each of these gave a traceback, a silent wrong result or a message without file / key before the
# bad-input sweep of branch badinput.


def _cand_row(**fields: str) -> str:
    """candidates.csv with one more row (a copy of the first, site_id town_new) with fields replaced."""
    import csv
    import io

    text = (REGION / "candidates.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, row = rows[0], list(rows[1])
    row[header.index("site_id")] = "town_new"
    for k, v in fields.items():
        row[header.index(k)] = v
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return text + buf.getvalue()


def _with_field(table: str, row: int, column: str, value: str) -> str:
    """A fact table of the region folder with one field of data row ``row`` (1 = first) replaced."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO((REGION / table).read_text(encoding="utf-8"))))
    rows[row][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _existing(name: str, text: str) -> Callable[[Path], None]:
    return lambda tmp: _write(tmp, name, text) and None


PREHOSP = 'name = "p"\n[prehospital]\n'
JOINT = ('name = "j"\n[joint_houses]\n[joint_houses.health]\np = {a}\n[joint_houses.psychiatry]\np = 3\n')
USER_TEXT = "my own notes, not a geoplan output\n"

SWEEP_CASES: list[Case] = [
    # scenario values that were accepted (and silently ignored or misread)
    sc("frontier-pmin-above-pmax", HOUSES + "[health_houses.frontier]\np_min = 10\np_max = 5\n",
       "health_houses.frontier", "p_min"),
    sc("site-cost-without-budget", HOUSES + "[health_houses.site_cost]\ntown_aarhus = 1\n", "health_houses",
       "site_cost", "budget"),
    sc("budget-without-site-cost", HOUSES + "budget = 3\n", "health_houses", "budget", "site_cost"),
    sc("acute-cuts-empty-set", 'name = "t"\n[acute]\n[acute.cuts]\n"x" = []\n', "acute.cuts", "'x'"),
    sc("acute-hours-duplicate", 'name = "t"\n[acute]\nhours = [3, 3]\n', "acute.hours"),
    sc("acute-thresholds-duplicate", 'name = "t"\n[acute]\nthresholds = [15, 15]\n', "acute.thresholds"),
    sc("prehospital-bands-duplicate", PREHOSP + "bands = [10, 10, 20]\n", "prehospital.bands"),
    sc("gp-beta-inf", 'name = "g"\n[gp_access]\nmethod = "gravity"\nbeta = inf\n', "gp_access.beta"),
    sc("gp-weights-inf", 'name = "g"\n[gp_access]\nmethod = "e2sfca"\nweights = [[10, 1.0], [inf, 0.5]]\n',
       "gp_access.weights"),
    sc("equity-min-population-inf", GOOD + "[equity]\nmin_population = inf\n", "equity.min_population"),
    sc("equity-hour-not-computed", PREHOSP + "hours = [12]\n[equity]\nprehospital_hour = 5\n",
       "equity.prehospital_hour", "[12]"),
    sc("validation-region-unknown", 'name = "p"\n[prehospital.validation]\nregion_label = "Atlantis"\n',
       "prehospital.validation.region_label", "Midtjylland", needs_data=True),
    sc("dask-scheduler-bogus", GOOD + '[routing]\ndask_scheduler = "bogus"\n', "routing.dask_scheduler", "bogus"),
    Case("scenario-is-a-folder", lambda tmp: ["run", str(tmp / "sdir"), "--out", str(tmp / "out")],
         ("sdir", "folder"), setup=lambda tmp: (tmp / "sdir").mkdir()),
    Case("extends-a-folder", run('extends = "sub"\nname = "t"\n[acute]\n'), ("s.toml", "extends", "folder"),
         setup=lambda tmp: (tmp / "sub").mkdir()),
    # scenario numbers that do not fit the region's candidates (named by file and key, before any matrix)
    sc("houses-p-above-candidates", HOUSES.replace("p = 3", "p = 500"), "health_houses.p = 500", "82",
       needs_data=True),
    sc("houses-p-below-existing", 'name = "h"\n[health_houses]\nmodel = "mclp"\np = 1\nmax_minutes = 20\n',
       "health_houses.p = 1", "keep_existing", needs_data=True),
    sc("houses-fixed-above-p", HOUSES.replace("p = 3", "p = 2") + 'fixed = ["town_aarhus", "town_randers", '
       '"town_horsens"]\n', "health_houses.p = 2", "fixed", needs_data=True),
    sc("frontier-pmax-above-candidates", HOUSES + "[health_houses.frontier]\np_max = 200\n",
       "health_houses.frontier.p_max = 200", needs_data=True),
    sc("joint-p-above-candidates", JOINT.format(a=500), "joint_houses.health.p = 500", needs_data=True),
    # environment variables
    Case("regions-dir-missing", run(GOOD), ("GEOPLAN_REGIONS_DIR", "noregions"),
         env={"GEOPLAN_REGIONS_DIR": lambda tmp: str(tmp / "noregions")}),
    Case("cache-dir-is-a-file", run(GOOD), ("cache.txt", "GEOPLAN_CACHE_DIR"), needs_data=True,
         setup=_existing("cache.txt", "x"), env={"GEOPLAN_CACHE_DIR": lambda tmp: str(tmp / "cache.txt")}),
    Case("dask-env-bogus", run(GOOD), ("GEOPLAN_DASK_SCHEDULER", "bogus"), needs_data=True,
         env={"GEOPLAN_DASK_SCHEDULER": lambda tmp: "bogus"}),
    # od / locate / access: output files and points
    Case("od-one-point", od(points="name,lon,lat\nAarhus,10.2039,56.1567\n"), ("points.csv", "only one place"),
         needs_data=True),
    Case("od-semicolons", od(points="name;lon;lat\nAarhus;10,2;56,15\nRanders;10,0;56,46\n"),
         ("points.csv", "semicolon")),
    Case("od-out-user-file", od(out="mine.csv"), ("mine.csv", "does not overwrite"),
         setup=_existing("mine.csv", USER_TEXT)),
    Case("od-out-under-a-file", lambda tmp: [*od()(tmp)[:-1], _user_file(tmp) + "/od.csv"],
         ("notes.txt", "not a folder")),
    Case("locate-out-user-file", locate("--model", "pmedian", "--p", "1", out="mine.json"),
         ("mine.json", "does not overwrite"), setup=_existing("mine.json", '{"my": "data"}\n')),
    Case("locate-out-under-a-file", lambda tmp: [*locate("--model", "pmedian", "--p", "1")(tmp)[:-1],
                                                  _user_file(tmp) + "/result.json"], ("notes.txt", "not a folder")),
    Case("locate-out-empty", lambda tmp: [*locate("--model", "pmedian", "--p", "1")(tmp)[:-1], ""],
         ("--out", "empty")),
    Case("access-out-user-file", lambda tmp: [*access("--method", "2sfca", "--max-minutes", "10")(tmp)[:-1],
                                               str(tmp / "mine.csv")], ("mine.csv", "does not overwrite"),
         setup=_existing("mine.csv", USER_TEXT)),
    # data files
    bad_data("postcodes-garbage", "boundaries/dagi2014_postnumre.geojson", b"not json", "GeoJSON", text=PREHOSP),
    bad_data("ambulance-response-empty", "prehospital/ambulance_response_by_postcode_2021-2025.csv", b"", "empty",
             text=PREHOSP),
    bad_data("socioeconomic-garbage", "socioeconomic/dst_ev2024_voting_areas.csv", b"hello;world\n1;2\n",
             "ValgstedId"),
    bad_data("socioeconomic-empty", "socioeconomic/dst_ev2024_voting_areas.csv", b"", "empty"),
    bad_data("regions-geojson-wrong-crs", "boundaries/dagi2014_regioner.geojson",
             b'{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::25832"}},'
             b'"features":[{"type":"Feature","properties":{"REGIONKODE":"1082"},"geometry":{"type":"Polygon",'
             b'"coordinates":[[[10,56],[11,56],[11,57],[10,56]]]}}]}', "coordinate reference system"),
    # fact tables of a region folder (user-supplied candidate sites and facilities)
    bad_fact("candidates-lon-lat-swapped", "candidates.csv", _cand_row(lon="56.15674", lat="10.21076"),
             "line 122", "town_new", "lon=56.1567", scenario=HOUSES),
    bad_fact("candidates-abroad", "candidates.csv", _cand_row(lon="2.35", lat="48.85"), "line 122", "from land",
             scenario=HOUSES),
    bad_fact("candidates-in-the-sea", "candidates.csv", _cand_row(lon="11.6", lat="56.4"), "town_new", "from land",
             scenario=HOUSES),
    bad_fact("candidates-utm-metres", "candidates.csv", _cand_row(lon="575000", lat="6220000"), "line 122",
             "projected metres", scenario=HOUSES),
    bad_fact("candidates-kind-blank", "candidates.csv", _cand_row(kind=""), "line 122", "kind", scenario=HOUSES),
    bad_fact("candidates-no-kind-column", "candidates.csv",
             (REGION / "candidates.csv").read_text(encoding="utf-8").replace(",kind,", ",type,", 1), "'kind'",
             scenario=HOUSES),
    bad_fact("candidates-population-text", "candidates.csv", _cand_row(population="many"), "population", "many",
             scenario=HOUSES),
    bad_fact("candidates-semicolons", "candidates.csv",
             (REGION / "candidates.csv").read_text(encoding="utf-8").replace(",", ";"), "semicolon", scenario=HOUSES),
    bad_fact("health-house-not-a-candidate", "health_houses.csv",
             (REGION / "health_houses.csv").read_text(encoding="utf-8")
             + "hh_new,New,0751,Aarhus,10.2,56.15,,x,y,z,w,regional,high\n", "hh_new", "candidates.csv",
             scenario='name = "h"\n[health_houses]\nmodel = "mclp"\np = 20\nmax_minutes = 20\n'),
    bad_fact("health-houses-no-house-id", "health_houses.csv",
             (REGION / "health_houses.csv").read_text(encoding="utf-8").replace("house_id", "id", 1), "house_id",
             scenario='name = "h"\n[health_houses]\nmodel = "mclp"\np = 20\nmax_minutes = 20\n'),
    bad_fact("hospitals-kind-typo", "hospitals.csv", _with_field("hospitals.csv", 1, "kind", "acut"), "kind",
             "'acut'"),
    bad_fact("hospitals-flag-yes", "hospitals.csv", _with_field("hospitals.csv", 1, "pci", "yes"), "pci", "'yes'",
             scenario='name = "t"\n[acute]\nby_function = true\n'),
    bad_fact("hospitals-hours-garbage", "hospitals.csv", _with_field("hospitals.csv", 1, "opening_hours", "sometimes"),
             "opening_hours", "sometimes"),
]

# ---------------------------------------------------------------- the corpus (third sweep)
# Each of these named no file or option, showed np.float64(nan), reached a traceback or gave a silent wrong
# result before branch badinput2.

OD_GAPS = "demand_id,site_id,minutes\na,Y,3\nb,X,3\n"            # a reaches only Y, b only X


def _folder(tmp: Path, name: str) -> str:
    (tmp / name).mkdir()
    return str(tmp / name)


THIRD_CASES: list[Case] = [
    # geoplan locate: what the files cannot satisfy, named by option and file
    Case("locate-p-above-sites", locate("--model", "pmedian", "--p", "5"),
         ("--p 5", "--cost-matrix", "od.csv", "2 candidate site", "--p 2 or less")),
    Case("locate-fixed-above-p", locate("--model", "mclp", "--p", "1", "--max-minutes", "10", "--fixed", "X,Y"),
         ("--fixed", "--p is 1", "at least 2")),
    Case("locate-demand-reaches-no-site", locate("--model", "pmedian", "--p", "1",
                                                 demand="demand_id,weight\na,10\nb,1\nc,3\n"),
         ("--demand", "demand.csv", "--cost-matrix", "od.csv", "'c'", "weight 0")),
    Case("locate-pcenter-demand-reaches-no-site", locate("--model", "pcenter", "--p", "1",
                                                         demand="demand_id,weight\na,10\nb,1\nc,3\n"),
         ("--demand", "demand.csv", "od.csv", "'c'")),
    Case("locate-lscp-uncovered", locate("--model", "lscp", "--max-minutes", "3"),
         ("--max-minutes 3", "demand.csv", "od.csv", "'a' (nearest site 5 min)", "to 5")),
    Case("locate-pmedian-cap-uncovered", locate("--model", "pmedian", "--p", "1", "--max-minutes", "3"),
         ("--max-minutes 3", "demand.csv", "od.csv", "'b'")),
    Case("locate-pmedian-p-sites-miss-demand", locate("--model", "pmedian", "--p", "1", od=OD_GAPS),
         ("--p 1", "od.csv", "demand.csv", "--model lscp")),
    Case("locate-pcenter-p-sites-miss-demand", locate("--model", "pcenter", "--p", "1", od=OD_GAPS),  # was exit 0
         ("--p 1", "od.csv", "demand.csv")),
    Case("locate-p-zero", locate("--model", "pcenter", "--p", "0"), ("--p 0", "whole number")),
    Case("locate-max-minutes-negative", locate("--model", "mclp", "--p", "1", "--max-minutes", "-1"),
         ("--max-minutes -1",)),
    Case("locate-max-minutes-inf", locate("--model", "lscp", "--max-minutes", "inf"), ("--max-minutes inf",)),
    Case("locate-p-with-lscp", locate("--model", "lscp", "--p", "2", "--max-minutes", "30"),
         ("--p 2", "--model lscp", "drop --p")),                                     # was ignored
    Case("locate-max-minutes-with-pcenter", locate("--model", "pcenter", "--p", "1", "--max-minutes", "30"),
         ("--max-minutes 30", "--model pcenter", "drop --max-minutes")),           # was ignored
    # geoplan locate: the files, read as geoplan access reads them
    Case("locate-minutes-nan", locate("--model", "pmedian", "--p", "1",
                                      od="demand_id,site_id,minutes\na,X,5\nb,X,nan\n"),
         ("od.csv", "line 3", "minutes='nan'")),
    Case("locate-minutes-empty", locate("--model", "pmedian", "--p", "1",
                                        od="demand_id,site_id,minutes\na,X,\nb,X,4\n"),
         ("od.csv", "line 2", "empty minutes")),
    Case("locate-site-id-blank", locate("--model", "pmedian", "--p", "1",                # was a traceback
                                        od="demand_id,site_id,minutes\na,,5\nb,X,4\n"),
         ("od.csv", "line 2", "empty site_id")),
    Case("locate-ragged-line", locate("--model", "pmedian", "--p", "1",                  # was read shifted
                                      od="demand_id,site_id,minutes\na,X,5,7\nb,X,4\n"),
         ("od.csv", "line 2 has 4 fields")),
    Case("locate-duplicate-column", locate("--model", "pmedian", "--p", "1",             # was the first one
                                           od="demand_id,site_id,minutes,minutes\na,X,5,50\nb,X,4,40\n"),
         ("od.csv", "'minutes' appears twice")),
    Case("locate-semicolons", locate("--model", "pmedian", "--p", "1", od="demand_id;site_id;minutes\na;X;5\n"),
         ("od.csv", "';'")),
    Case("locate-not-utf8", lambda tmp: ["locate", "--cost-matrix", str(_bytes(tmp, "od.csv",
                                         b"demand_id,site_id,minutes\na,X,5\nb,\xe6,4\n")), "--demand", _demand(tmp),
                                         "--model", "pmedian", "--p", "1", "--out", str(tmp / "result.json")],
         ("od.csv", "line 3", "UTF-8")),
    Case("locate-cost-matrix-is-a-folder", lambda tmp: ["locate", "--cost-matrix", _folder(tmp, "odfolder"),
                                                        "--demand", _demand(tmp), "--model", "pmedian", "--p", "1",
                                                        "--out", str(tmp / "result.json")],
         ("odfolder", "--cost-matrix", "folder", "demand_id,site_id,minutes")),
    Case("locate-demand-is-a-folder", lambda tmp: ["locate", "--cost-matrix", _od(tmp), "--demand",
                                                   _folder(tmp, "demfolder"), "--model", "pmedian", "--p", "1",
                                                   "--out", str(tmp / "result.json")],
         ("demfolder", "--demand", "folder", "demand_id,weight")),
    # geoplan od: the points file
    Case("od-ragged-line", od(points="name,lon,lat\nAarhus,10.2039,56.1567,x\nRanders,10.0364,56.4607\n"),
         ("points.csv", "line 2 has 4 fields")),                                  # was read shifted by a column
    Case("od-duplicate-column", od(points="name,lon,lat,lat\nAarhus,10.2,56.15,1\nRanders,10.03,56.46,2\n"),
         ("points.csv", "'lat' appears twice")),                                  # was the first one, silently
    Case("od-not-utf8", lambda tmp: ["od", str(_bytes(tmp, "points.csv", b"name,lon,lat\n\xc5rhus,10.2,56.15\n"
                                                  b"Randers,10.03,56.46\n")), "--out", str(tmp / "out")],
         ("points.csv", "line 2", "UTF-8")),
    Case("od-nul-bytes", lambda tmp: ["od", str(_bytes(tmp, "points.csv", b"name,lon,lat\nA,10.2\x00,56.15\n"
                                                   b"B,10.03,56.46\n")), "--out", str(tmp / "out")],
         ("points.csv", "NUL")),
    # scenarios
    sc("houses-site-cost-negative", 'name = "h"\n[health_houses]\nmodel = "lscp"\nmax_minutes = 20\n'
       "[health_houses.site_cost]\ntown_aarhus = -1\n", "health_houses.site_cost", "town_aarhus"),
    sc("houses-candidate-kinds-empty", HOUSES.replace('["town"]', "[]"), "health_houses.candidate_kinds", "empty"),
    sc("joint-candidate-kinds-empty", JOINT.format(a=3).replace("[joint_houses]\n", "[joint_houses]\n"
                                                                  "candidate_kinds = []\n"),
       "joint_houses.candidate_kinds", "empty"),
    sc("prehospital-targets-empty", PREHOSP + "targets = []\n", "prehospital.targets", "at least one"),
    sc("prehospital-targets-duplicate", PREHOSP + "".join(
        f'[[prehospital.targets]]\npriority = "A"\nminutes = {m}\nshare = 0.8\n' for m in ("10", "10.0")),
       "prehospital.targets", "A10", "twice"),
]

# ---------------------------------------------------------------- the corpus

CASES: list[Case] = [
    # --- scenario files: syntax, keys, types ------------------------------------------------------
    Case("scenario-missing", lambda tmp: ["run", str(tmp / "nope.toml"), "--out", str(tmp / "out")],
         ("nope.toml", "not found")),
    sc("scenario-not-toml", 'name = "t"\n[acute\n', "not valid TOML"),
    Case("scenario-not-utf8", lambda tmp: ["run", str(_bytes(tmp, "s.toml", b'name = "\xe6\xf8"\n[acute]\n')),
                                           "--out", str(tmp / "out")], ("s.toml", "UTF-8")),
    sc("scenario-empty", "", "name"),
    sc("unknown-top-level-key", GOOD + "colour = 3\n", "colour"),
    sc("unknown-acute-key", 'name = "t"\n[acute]\nthreshold = 30\n', "acute.threshold"),
    sc("unknown-section", 'name = "t"\n[acute]\n[ambulances]\nn = 3\n', "ambulances"),
    sc("unknown-routing-key", GOOD + "[routing]\nspeed = 2\n", "routing.speed"),
    sc("missing-name", "[acute]\n", "name"),
    sc("blank-name", 'name = ""\n[acute]\n', "name"),
    sc("name-with-slash", 'name = "a/b"\n[acute]\n', "name"),
    sc("name-wrong-type", "name = 3\n[acute]\n", "name"),
    sc("lang-unknown", GOOD.replace("[acute]", 'lang = "fr"\n[acute]'), "lang"),
    sc("nothing-to-compute", 'name = "t"\n', "nothing to compute"),
    sc("acute-not-a-table", 'name = "t"\nacute = 3\n', "acute"),
    # --- numbers: NaN, inf, ranges, types -----------------------------------------------------------
    sc("threshold-nan", 'name = "t"\n[acute]\nthresholds = [15, nan]\n', "acute.thresholds"),
    sc("threshold-inf", 'name = "t"\n[acute]\nthresholds = [15, inf]\n', "acute.thresholds"),
    sc("threshold-negative", 'name = "t"\n[acute]\nthresholds = [-15, 30]\n', "acute.thresholds"),
    sc("threshold-empty", 'name = "t"\n[acute]\nthresholds = []\n', "acute.thresholds"),
    sc("threshold-unsorted", 'name = "t"\n[acute]\nthresholds = [30, 15]\n', "acute.thresholds"),
    sc("threshold-string", 'name = "t"\n[acute]\nthresholds = "30"\n', "acute.thresholds"),
    sc("threshold-word", 'name = "t"\n[acute]\nthresholds = ["thirty"]\n', "acute.thresholds"),
    sc("bands-nan", 'name = "t"\n[acute]\nbands = [nan]\n', "acute.bands"),
    sc("hour-25", 'name = "t"\n[acute]\nhours = [3, 25]\n', "acute.hours"),
    sc("at-hour-negative", 'name = "t"\n[acute]\nat_hour = -1\n', "acute.at_hour"),
    sc("at-hour-float", 'name = "t"\n[acute]\nat_hour = 3.5\n', "acute.at_hour"),
    sc("bool-wrong-type", 'name = "t"\n[acute]\nn_minus_1 = "maybe"\n', "acute.n_minus_1"),
    sc("access-k-zero", GOOD + "[routing]\naccess_k = 0\n", "routing.access_k"),
    sc("snap-nan", GOOD + "[routing]\nmax_snap_km = nan\n", "routing.max_snap_km"),
    sc("direct-leg-inf", GOOD + "[routing]\ndirect_leg_km = inf\n", "routing.direct_leg_km"),
    sc("houses-time-limit-zero", HOUSES + "time_limit = 0\n", "health_houses.time_limit"),
    sc("houses-time-limit-negative", HOUSES + "time_limit = -5\n", "health_houses.time_limit"),
    sc("houses-time-limit-nan", HOUSES + "time_limit = nan\n", "health_houses.time_limit"),
    sc("houses-p-zero", HOUSES.replace("p = 3", "p = 0"), "health_houses.p"),
    sc("houses-max-minutes-inf", HOUSES + "max_minutes_anyone = inf\n", "health_houses.max_minutes_anyone"),
    sc("houses-max-minutes-nan", HOUSES.replace("max_minutes = 20", "max_minutes = nan"),
       "health_houses.max_minutes"),
    sc("houses-model-unknown", HOUSES.replace('"mclp"', '"kmeans"'), "health_houses.model"),
    sc("houses-site-cost-nan", HOUSES + "budget = 3\n[health_houses.site_cost]\ntown_aarhus = nan\n",
       "health_houses.site_cost"),
    sc("houses-unknown-key", HOUSES + "houses = 3\n", "health_houses.houses"),
    sc("prehospital-threshold-nan", 'name = "p"\n[prehospital]\nthresholds = [nan]\n', "prehospital.thresholds"),
    sc("prehospital-speed-inf", 'name = "p"\n[prehospital.ambulance]\nspeed_factor = inf\n',
       "prehospital.ambulance.speed_factor"),
    # --- ids: blank, empty include, unknown --------------------------------------------------------
    sc("include-empty", 'name = "t"\n[acute]\ninclude = []\n', "acute.include"),
    sc("ambulance-include-empty", 'name = "p"\n[prehospital.ambulance]\ninclude = []\n',
       "prehospital.ambulance.include"),
    sc("exclude-blank-id", 'name = "t"\n[acute]\nexclude = [""]\n', "acute.exclude"),
    sc("include-blank-id", 'name = "t"\n[acute]\ninclude = ["auh_skejby", "  "]\n', "acute.include"),
    sc("fixed-blank-id", HOUSES + 'fixed = [""]\n', "health_houses.fixed"),
    sc("cuts-blank", GOOD + '[network]\ncuts = [""]\n', "network.cuts"),
    sc("opening-hours-blank-key", 'name = "t"\n[acute.opening_hours]\n"" = "07-22"\n', "acute.opening_hours"),
    sc("exclude-unknown-id", 'name = "t"\n[acute]\nexclude = ["no_such_hospital"]\n', "no_such_hospital",
       needs_data=True),
    sc("include-unknown-id", 'name = "t"\n[acute]\ninclude = ["no_such_hospital"]\n', "no_such_hospital",
       needs_data=True),
    sc("opening-hours-unknown-site", 'name = "t"\n[acute.opening_hours]\natlantis = "07-22"\n', "atlantis",
       needs_data=True),
    sc("opening-hours-garbage", 'name = "t"\n[acute.opening_hours]\nrandersz = "7 to 25"\n', "randersz",
       needs_data=True),
    sc("site-cost-unknown-id", HOUSES + "budget = 3\n[health_houses.site_cost]\ntown_atlantis = 1\n",
       "health_houses.site_cost", "town_atlantis", needs_data=True),
    sc("fixed-unknown-id", HOUSES + 'fixed = ["town_atlantis"]\n', "health_houses.fixed", needs_data=True),
    sc("weight-unknown", HOUSES.replace('weight = "pop"\n', "") + 'weight = "income"\n', "health_houses.weight",
       needs_data=True),
    sc("candidate-kind-unknown", HOUSES.replace('["town"]', '["castle"]'), "candidate_kinds", needs_data=True),
    sc("cut-unknown-name", GOOD + '[network]\ncuts = ["Golden Gate"]\n', "network.cuts", "Golden Gate",
       needs_data=True),
    sc("motorway-as-ferry", GOOD + '[network]\nstop_ferries = ["e45_randers_c--e45_randers_n"]\n',
       "network.stop_ferries", needs_data=True),
    sc("bridge-as-ferry", GOOD + '[network]\nstop_ferries = ["Oddesundbroen"]\n', "network.stop_ferries",
       needs_data=True),
    sc("network-source-missing", GOOD + '[network]\nsource = "nowhere.osm"\n', "nowhere.osm", needs_data=True),
    sc("unknown-region", GOOD.replace("[acute]", 'region = "atlantis"\n[acute]'), "atlantis", needs_data=True),
    # --- extends -------------------------------------------------------------------------------------
    sc("extends-missing", 'extends = "nowhere.toml"\nname = "t"\n', "extends", "nowhere.toml"),
    sc("extends-not-a-string", "extends = 3\nname = \"t\"\n[acute]\n", "extends"),
    sc("extends-empty-string", 'extends = ""\nname = "t"\n[acute]\n', "extends"),
    sc("extends-self", 'extends = "s.toml"\nname = "t"\n[acute]\n', "extends", "cycle"),
    Case("extends-cycle", lambda tmp: ["run", str(_write(tmp, "a.toml", 'extends = "b.toml"\nname = "a"\n')),
                                       "--out", str(tmp / "out")], ("a.toml", "cycle"),
         setup=lambda tmp: _write(tmp, "b.toml", 'extends = "a.toml"\nname = "b"\n') and None),
    Case("extends-parent-broken", lambda tmp: ["run", str(_write(tmp, "child.toml", 'extends = "parent.toml"\n'
                                                                 'name = "c"\n')), "--out", str(tmp / "out")],
         ("parent.toml", "acute.threshold"),
         setup=lambda tmp: _write(tmp, "parent.toml", 'name = "p"\n[acute]\nthreshold = 3\n') and None),
    sc("unset-without-extends", GOOD + 'unset = ["acute"]\n', "unset"),
    sc("unset-unknown-key", 'extends = "baseline.toml"\nname = "t"\nunset = ["nosuch"]\n', "unset", "nosuch"),
    sc("unset-not-a-list", 'extends = "baseline.toml"\nname = "t"\nunset = "acute"\n', "unset"),
    # --- --out: the user's files are sacred --------------------------------------------------------------
    Case("out-user-folder", run_to(_user_folder), ("mine", "did not write")),
    Case("out-existing-file", run_to(_user_file), ("notes.txt", "is a file")),
    Case("out-root", run_to(lambda tmp: "/"), ("/", "root")),
    Case("out-dot", run_to(lambda tmp: "."), (".", "working directory")),
    Case("out-home", run_to(lambda tmp: str(Path.home())), (str(Path.home()), "home")),
    Case("out-checkout", run_to(lambda tmp: str(ROOT)), (str(ROOT), "checkout")),
    Case("out-too-long", run_to(lambda tmp: str(tmp / ("x" * 300))), ("xxxx", "too long")),
    Case("out-symlink", run_to(_symlink), ("link", "symbolic link")),
    Case("out-under-a-file", run_to(lambda tmp: _user_file(tmp) + "/run"), ("notes.txt", "fix")),
    Case("out-empty-string", run_to(lambda tmp: ""), ("--out",)),
    Case("compare-out-user-folder", lambda tmp: ["compare", "baseline.toml", "acute-night.toml", "--out",
                                                 _user_folder(tmp)], ("mine", "did not write")),
    # --- data files: corrupt, truncated, empty, duplicated ----------------------------------------------
    bad_data("regions-geojson-truncated", "boundaries/dagi2014_regioner.geojson",
             lambda: _truncate(SHARED / "boundaries/dagi2014_regioner.geojson"), "GeoJSON"),
    bad_data("regions-geojson-garbage", "boundaries/dagi2014_regioner.geojson", b"this is not json at all",
             "GeoJSON"),
    bad_data("regions-geojson-empty-collection", "boundaries/dagi2014_regioner.geojson",
             b'{"type": "FeatureCollection", "features": []}', "REGIONKODE"),
    bad_data("municipalities-geojson-truncated", "boundaries/dagi2014_kommuner.geojson",
             lambda: _truncate(SHARED / "boundaries/dagi2014_kommuner.geojson", 0.5), "GeoJSON"),
    bad_data("municipalities-no-komkode", "boundaries/dagi2014_kommuner.geojson",
             b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"X":1},'
             b'"geometry":{"type":"Point","coordinates":[10,56]}}]}', "KOMKODE"),
    bad_data("population-tif-truncated", "population/dnk_ppp_2020_1km_Aggregated_UNadj.tif",
             lambda: _truncate(SHARED / "population/dnk_ppp_2020_1km_Aggregated_UNadj.tif", 0.2), "GeoTIFF"),
    bad_data("population-tif-garbage", "population/dnk_ppp_2020_1km_Aggregated_UNadj.tif",
             b"II*\x00garbage" * 100, "GeoTIFF"),
    bad_data("population-tif-empty", "population/dnk_ppp_2020_1km_Aggregated_UNadj.tif", b"", "GeoTIFF"),
    bad_data("totals-empty", "municipalities/midt_kommuner_age_shares.csv", b"", "empty"),
    bad_data("totals-header-only", "municipalities/midt_kommuner_age_shares.csv",
             b"kode,pop,over65,under15\n", "no rows"),
    bad_data("totals-no-pop", "municipalities/midt_kommuner_age_shares.csv",
             lambda: (SHARED / "municipalities/midt_kommuner_age_shares.csv").read_bytes().replace(b"pop", b"pap", 1),
             "'pop'"),
    bad_data("totals-duplicate-kode", "municipalities/midt_kommuner_age_shares.csv",
             lambda: _dup_last_line(SHARED / "municipalities/midt_kommuner_age_shares.csv"), "appears twice"),
    bad_data("totals-pop-text", "municipalities/midt_kommuner_age_shares.csv",
             lambda: _set_field(SHARED / "municipalities/midt_kommuner_age_shares.csv", "pop", "many"), "pop"),
    bad_data("totals-over65-nan", "municipalities/midt_kommuner_age_shares.csv",
             lambda: _set_field(SHARED / "municipalities/midt_kommuner_age_shares.csv", "over65", "nan"),
             "over65"),
    # --- fact tables of the region folder --------------------------------------------------------------
    bad_fact("hospitals-empty-file", "hospitals.csv", "", "empty"),
    bad_fact("hospitals-header-only", "hospitals.csv", HOSP_HEADER, "no rows"),
    bad_fact("hospitals-duplicate-id", "hospitals.csv", _hospitals_with(HOSP_ROW), "site_id", "auh_skejby"),
    bad_fact("hospitals-blank-id", "hospitals.csv", _hospitals_with(HOSP_ROW.replace("auh_skejby", "", 1)),
             "site_id", "blank"),
    bad_fact("hospitals-lat-text", "hospitals.csv", _hospitals_with(HOSP_ROW.replace("auh_skejby", "new_site")
                                                                    .replace("56.19191", "north")), "lat"),
    bad_fact("hospitals-no-lon", "hospitals.csv", HOSP_HEADER.replace(",lon,", ",longitude,") + HOSP_ROW, "lon"),
    bad_fact("hospitals-no-site-id", "hospitals.csv", HOSP_HEADER.replace("site_id", "id") + HOSP_ROW, "site_id"),
    bad_fact("hospitals-binary", "hospitals.csv", "\x00\x01\x02\x03", "hospitals.csv"),
    bad_fact("candidates-duplicate-id", "candidates.csv",
             (REGION / "candidates.csv").read_text(encoding="utf-8")
             + (REGION / "candidates.csv").read_text(encoding="utf-8").splitlines()[1] + "\n",
             "site_id", "town_aarhus", scenario=HOUSES),
    # --- other commands -------------------------------------------------------------------------------------
    Case("locate-time-limit-zero", locate("--model", "mclp", "--p", "1", "--max-minutes", "10", "--time-limit", "0"),
         ("--time-limit",)),
    Case("locate-time-limit-negative", locate("--model", "mclp", "--p", "1", "--max-minutes", "10",
                                              "--time-limit", "-3"), ("--time-limit",)),
    Case("locate-time-limit-nan", locate("--model", "mclp", "--p", "1", "--max-minutes", "10",
                                         "--time-limit", "nan"), ("--time-limit",)),
    Case("locate-max-minutes-nan", locate("--model", "mclp", "--p", "1", "--max-minutes", "nan"),
         ("--max-minutes nan",)),
    Case("locate-duplicate-demand", locate("--model", "pmedian", "--p", "1",
                                           demand="demand_id,weight\na,1\na,2\nb,1\n"), ("demand.csv", "a")),
    Case("locate-empty-demand", locate("--model", "pmedian", "--p", "1", demand=""), ("demand.csv",)),
    Case("locate-blank-id", locate("--model", "pmedian", "--p", "1", demand="demand_id,weight\n ,1\nb,1\n"),
         ("demand.csv", "demand_id")),
    Case("locate-zero-weights", locate("--model", "mclp", "--p", "1", "--max-minutes", "10",
                                       demand="demand_id,weight\na,0\nb,0\n"), ("demand.csv", "weight")),
    Case("access-zero-weights", access("--method", "2sfca", "--max-minutes", "10",
                                       demand="demand_id,weight\na,0\nb,0\n"), ("demand.csv", "weight")),
    Case("locate-out-is-folder", lambda tmp: [*locate("--model", "pmedian", "--p", "1")(tmp)[:-1],
                                              _user_folder(tmp)], ("mine",)),
    Case("access-max-minutes-nan", access("--method", "2sfca", "--max-minutes", "nan"), ("max-minutes",)),
    Case("access-max-minutes-negative", access("--method", "2sfca", "--max-minutes", "-5"), ("max-minutes",)),
    Case("od-empty-points", od(points=""), ("points.csv",), needs_data=True),
    Case("od-out-is-folder", lambda tmp: [*od()(tmp)[:-1], _user_folder(tmp)], ("mine",), needs_data=True),
    *SWEEP_CASES,
    *THIRD_CASES,
]


def _bytes(tmp: Path, name: str, raw: bytes) -> Path:
    p = tmp / name
    p.write_bytes(raw)
    return p


def _dup_last_line(path: Path) -> bytes:
    lines = path.read_bytes().splitlines(keepends=True)
    last = lines[-1] if lines[-1].endswith(b"\n") else lines[-1] + b"\n"
    return b"".join(lines) + (b"" if lines[-1].endswith(b"\n") else b"\n") + last


def _set_field(path: Path, column: str, value: str) -> bytes:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(column)] = value
    return ("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n").encode()


# ---------------------------------------------------------------- the environment of a case


def _data_farm(tmp: Path, replace: dict[str, bytes]) -> Path:
    """A data directory of symlinks to the shared data, with the given files replaced by real files."""
    farm = tmp / "data"
    for src in SHARED.rglob("*"):
        if src.is_dir():
            continue
        rel = src.relative_to(SHARED)
        dst = farm / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if str(rel) in replace:
            dst.write_bytes(replace[str(rel)])
        else:
            dst.symlink_to(src)
    return farm


def _region_farm(tmp: Path, replace: dict[str, str]) -> Path:
    """A regions folder holding a copy of midtjylland made of symlinks, with the given files replaced."""
    top = tmp / "regions"
    dst_region = top / "midtjylland"
    dst_region.mkdir(parents=True)
    for src in REGION.iterdir():
        dst = dst_region / src.name
        if src.name in replace:
            dst.write_text(replace[src.name], encoding="utf-8")
        else:
            dst.symlink_to(src)
    return top


def _snapshot(tmp: Path) -> dict[str, bytes | None]:
    """Every file under tmp outside the farms and inputs (what a run could have created or changed)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(tmp.rglob("*")):
        rel = p.relative_to(tmp)
        if rel.parts[0] in ("data", "regions"):
            continue
        out[str(rel)] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_message(case: Case, tmp_path, capsys, monkeypatch):
    if (case.needs_data or case.data or case.facts) and not SHARED.is_dir():
        pytest.skip(f"data directory {SHARED} not present")
    monkeypatch.chdir(tmp_path)
    case.setup(tmp_path)
    if case.data:
        resolved = {k: (v() if callable(v) else v) for k, v in case.data.items()}
        monkeypatch.setenv("GEOPLAN_DATA_DIR", str(_data_farm(tmp_path, resolved)))
    if case.facts:
        monkeypatch.setenv("GEOPLAN_REGIONS_DIR", str(_region_farm(tmp_path, case.facts)))
    for var, value in case.env.items():
        monkeypatch.setenv(var, value(tmp_path))
    argv = case.argv(tmp_path)
    before = _snapshot(tmp_path)
    inputs = {k for k in before if k.endswith((".toml", ".csv", ".json", ".docx", ".txt"))}
    code = main(["-q", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert "np.float64(" not in err and "np.int64(" not in err, err    # numbers shown plainly
    assert err.startswith("geoplan: error: ") and err.count("geoplan: error:") == 1, err
    for name in case.names:
        assert name in err, f"{name!r} not named in: {err}"
    # nothing written: no new file or folder, no input or user file changed
    after = _snapshot(tmp_path)
    assert set(after) == set(before), f"created/removed: {set(after) ^ set(before)}"
    for k in inputs:
        assert after[k] == before[k], k
    assert not (tmp_path / "maps").exists()


def test_corpus_size():
    assert len(CASES) >= 60


# ---------------------------------------------------------------- corrupt caches: rebuilt, with a warning


@pytest.mark.needs_data
@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_cells_cache_is_rebuilt_with_a_warning(tmp_path, capsys, monkeypatch, damage):
    from geoplan.datadir import cache_dir

    real = sorted(cache_dir().glob("midtjylland-cells-*.parquet"))
    if not real:
        pytest.skip("no cells cache yet (run any test that loads the region first)")
    cache = tmp_path / "cache"
    cache.mkdir()
    for p in cache_dir().iterdir():                  # everything else reused as it is
        if p.is_file() and not p.name.startswith("midtjylland-cells-"):
            (cache / p.name).symlink_to(p)
    bad = cache / real[-1].name
    raw = real[-1].read_bytes()
    bad.write_bytes({"truncated": raw[: len(raw) // 3], "garbage": b"PAR1 not really" * 50, "empty": b""}[damage])
    monkeypatch.setenv("GEOPLAN_CACHE_DIR", str(cache))
    monkeypatch.setenv("GEOPLAN_MATRIX_CACHE", "0")
    from geoplan.region import load_region

    cells = load_region("midtjylland").cells
    err = capsys.readouterr().err
    assert "warning" in err and "population cells" in err and "rebuilding" in err and "Traceback" not in err
    assert len(cells) > 5000 and cells["pop"].sum() == pytest.approx(
        load_region("midtjylland").municipalities["pop"].sum(), rel=1e-6)
    assert bad.stat().st_size > 100_000                # rebuilt, readable again


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_pickle_cache_is_rebuilt_with_a_warning(tmp_path, capsys, damage):
    import pickle

    from geoplan.cache import read_cache

    p = tmp_path / "network-x.pickle"
    raw = pickle.dumps({"nodes": list(range(1000))})
    p.write_bytes(raw[: len(raw) // 2] if damage == "truncated" else b"\x80\x05garbage")
    assert read_cache(p, lambda q: pickle.loads(q.read_bytes()), what="road network") is None
    err = capsys.readouterr().err
    assert "geoplan: warning: the cached road network" in err and "rebuilding" in err
    assert not p.exists()                              # removed: the next run writes a good one
    p.write_bytes(raw)
    assert read_cache(p, lambda q: pickle.loads(q.read_bytes()), what="road network") == {"nodes": list(range(1000))}
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- the real command (python -m geoplan)


@pytest.mark.parametrize("case", [c for c in SWEEP_CASES + THIRD_CASES
                                  if not (c.needs_data or c.data or c.facts or c.env)], ids=lambda c: c.id)
def test_bad_input_as_a_subprocess(case: Case, tmp_path):
    """The same cases through ``python -m geoplan`` (the worktree's src first on the path): exit 2, one
    message, no traceback, nothing written."""
    import os
    import subprocess
    import sys

    case.setup(tmp_path)
    argv = case.argv(tmp_path)
    before = _snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-m", "geoplan", "-q", *argv], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("geoplan: error:") == 1, r.stderr
    for name in case.names:
        assert name in r.stderr, f"{name!r} not named in: {r.stderr}"
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("argv", [["data", "check"], ["--help"], ["locate", "--help"], "locate"],
                         ids=["data-check", "help", "locate-help", "locate"])
def test_closed_stdout_exits_quietly(argv, tmp_path):
    """``geoplan data check | head -1``: stdout closed before geoplan prints ends it quietly (status 1, the
    Python docs' "Note on SIGPIPE"), not in a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    if argv == "locate":
        argv = locate("--model", "pmedian", "--p", "1")(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)                         # the reader is gone before the first line is written
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        r = subprocess.run([sys.executable, "-m", "geoplan", *argv], cwd=tmp_path, env=env, stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)
    assert "Traceback" not in r.stderr and "BrokenPipeError" not in r.stderr, r.stderr
    assert "Exception ignored" not in r.stderr, r.stderr
    assert r.returncode == (0 if "--help" in argv else 1), r.stderr   # argparse's help ignores a write error


def test_rerun_over_own_output_file_is_allowed(tmp_path):
    """An output file is replaced when it is this command's own earlier output (and only then)."""
    argv = locate("--model", "pmedian", "--p", "1")(tmp_path)
    assert main(["-q", *argv]) == 0
    first = (tmp_path / "result.json").read_text(encoding="utf-8")
    assert main(["-q", *argv]) == 0
    assert (tmp_path / "result.json").read_text(encoding="utf-8") == first
    argv = access("--method", "2sfca", "--max-minutes", "10")(tmp_path)
    assert main(["-q", *argv, "--sites-out", str(tmp_path / "sites.csv")]) == 0
    assert main(["-q", *argv, "--sites-out", str(tmp_path / "sites.csv")]) == 0
    (tmp_path / "sites.csv").write_text("site_id,my_column\nX,1\n", encoding="utf-8")
    assert main(["-q", *argv, "--sites-out", str(tmp_path / "sites.csv")]) == 2
