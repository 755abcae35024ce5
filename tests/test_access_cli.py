"""``geoplan access``: files in, ACCESS.csv out; PySAL parity through the files; the bad-input corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.test_access import check, pysal, random_problem

from geoplan.cli import main

pytest.importorskip("access", reason="PySAL access is the reference (test extra)")
from access import weights  # noqa: E402


def write_inputs(folder, c, pop, cap):
    folder.mkdir(parents=True, exist_ok=True)
    r, k = np.nonzero(np.isfinite(c))
    od = folder / "OD.csv"
    pd.DataFrame({"demand_id": pop.index[r], "site_id": cap.index[k], "minutes": c[r, k]}).to_csv(od, index=False)
    dem = folder / "DEMAND.csv"
    pd.DataFrame({"demand_id": pop.index, "weight": pop.to_numpy()}).to_csv(dem, index=False)
    sup = folder / "SUPPLY.csv"
    pd.DataFrame({"site_id": cap.index, "capacity": cap.to_numpy()}).to_csv(sup, index=False)
    return od, sup, dem


def run(od, sup, dem, out, *extra):
    return main(["-q", "access", "--cost-matrix", str(od), "--supply", str(sup), "--demand", str(dem),
                 "--out", str(out), *map(str, extra)])


def read_out(path):
    return pd.read_csv(path, dtype={"demand_id": str}).set_index("demand_id")


@pytest.mark.parametrize("seed", [1, 2, 5, 8])
def test_cli_matches_pysal(tmp_path, seed):
    c, pop, cap = random_problem(seed)
    od, sup, dem = write_inputs(tmp_path, c, pop, cap)
    out = tmp_path / "res" / "ACCESS.csv"
    cases = [
        (["--method", "2sfca", "--max-minutes", 30], dict(kind="2sfca", max_cost=30)),
        (["--method", "e2sfca", "--max-minutes", 30], dict(kind="e2sfca", max_cost=30)),
        (["--method", "e2sfca", "--max-minutes", 40, "--weights", "10:1,25:0.5,40:0.1"],
         dict(kind="e2sfca", max_cost=40, weight_fn=weights.step_fn({10: 1, 25: 0.5, 40: 0.1}))),
        (["--method", "e2sfca", "--max-minutes", 30, "--decay", "gaussian", "--width", 9, "--normalize"],
         dict(kind="e2sfca", max_cost=30, weight_fn=weights.gaussian(9), normalize=True)),
        (["--method", "gravity", "--max-minutes", 45, "--beta", 1.5, "--potential"],
         dict(kind="potential", max_cost=45, weight_fn=weights.gravity(1, -1.5, 1.0))),
    ]
    for args, ref in cases:
        assert run(od, sup, dem, out, *args) == 0
        got = read_out(out)
        assert got.index.tolist() == pop.index.tolist()
        check(got["access"].to_numpy(), pysal(c, pop, cap, **ref))
        if "--normalize" in args:
            check(got["access_raw"].to_numpy(), pysal(c, pop, cap, **{**ref, "normalize": False}))


def test_output_is_byte_identical_and_atomic(tmp_path):
    c, pop, cap = random_problem(6)
    od, sup, dem = write_inputs(tmp_path, c, pop, cap)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    sa, sb = tmp_path / "sa.csv", tmp_path / "sb.csv"
    assert run(od, sup, dem, a, "--method", "e2sfca", "--max-minutes", 30, "--sites-out", sa) == 0
    assert run(od, sup, dem, b, "--method", "e2sfca", "--max-minutes", 30, "--sites-out", sb) == 0
    assert a.read_bytes() == b.read_bytes() and sa.read_bytes() == sb.read_bytes()
    assert a.read_text().splitlines()[0] == "demand_id,weight,sites_in_reach,access"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["DEMAND.csv", "OD.csv", "SUPPLY.csv",
                                                          "a.csv", "b.csv", "sa.csv", "sb.csv"]
    sites = pd.read_csv(sa, dtype={"site_id": str}).set_index("site_id")
    assert sites.index.tolist() == cap.index.tolist()
    assert list(sites.columns) == ["capacity", "demand_points_in_reach", "demand_in_reach", "ratio"]


def test_prints_a_summary(tmp_path, capsys):
    c, pop, cap = random_problem(3)
    od, sup, dem = write_inputs(tmp_path, c, pop, cap)
    assert run(od, sup, dem, tmp_path / "o.csv", "--method", "2sfca", "--max-minutes", 30) == 0
    line = capsys.readouterr().out
    assert "2sfca" in line and f"{len(pop)} demand points" in line and "o.csv" in line


# ------------------------------------------------------------ error corpus
GOOD_OD = "demand_id,site_id,minutes\na,s1,5\na,s2,12.5\nb,s2,20\n"
GOOD_DEM = "demand_id,weight\na,100\nb,250\nc,0\n"
GOOD_SUP = "site_id,capacity\ns1,2\ns2,1\n"

# (name, which file / None, content (str or bytes) or None, extra args, expected words in the message)
CORPUS = [
    ("od missing", "od", None, [], ["OD.csv", "file not found"]),
    ("demand empty", "dem", "", [], ["DEMAND.csv", "empty"]),
    ("supply header only", "sup", "site_id,capacity\n", [], ["SUPPLY.csv", "no data rows"]),
    ("demand lacks weight", "dem", "demand_id,pop\na,1\n", [], ["DEMAND.csv", "weight"]),
    ("semicolons", "dem", "demand_id;weight\na;1\n", [], ["DEMAND.csv", "';'"]),
    ("blank demand_id", "dem", "demand_id,weight\na,1\n ,2\n", [], ["DEMAND.csv", "line 3", "demand_id"]),
    ("duplicate demand_id", "dem", "demand_id,weight\na,1\nb,2\na,3\n", [],
     ["DEMAND.csv", "line 4", "demand_id", "'a'"]),
    ("duplicate site_id", "sup", "site_id,capacity\ns1,1\ns2,1\ns1,2\n", [], ["SUPPLY.csv", "site_id", "'s1'"]),
    ("nan weight", "dem", "demand_id,weight\na,nan\nb,1\n", [], ["DEMAND.csv", "line 2", "weight"]),
    ("empty weight", "dem", "demand_id,weight\na,\nb,1\n", [], ["DEMAND.csv", "line 2", "weight"]),
    ("negative weight", "dem", "demand_id,weight\na,-4\nb,1\n", [], ["DEMAND.csv", "weight", "negative"]),
    ("inf weight", "dem", "demand_id,weight\na,inf\nb,1\n", [], ["DEMAND.csv", "weight", "infinite"]),
    ("all weights zero", "dem", "demand_id,weight\na,0\nb,0\n", [], ["DEMAND.csv", "weight"]),
    ("text capacity", "sup", "site_id,capacity\ns1,two\ns2,1\n", [], ["SUPPLY.csv", "line 2", "capacity"]),
    ("negative capacity", "sup", "site_id,capacity\ns1,1\ns2,-1\n", [], ["SUPPLY.csv", "line 3", "capacity"]),
    ("nan minutes", "od", "demand_id,site_id,minutes\na,s1,NaN\n", [], ["OD.csv", "line 2", "minutes"]),
    ("negative minutes", "od", "demand_id,site_id,minutes\na,s1,5\nb,s2,-3\n", [],
     ["OD.csv", "line 3", "minutes", "negative"]),
    ("inf minutes", "od", "demand_id,site_id,minutes\na,s1,inf\n", [], ["OD.csv", "minutes", "leave"]),
    ("decimal comma", "od", "demand_id,site_id,minutes\na,s1,5,5\n", [], ["OD.csv", "CSV"]),
    ("unknown demand in od", "od", "demand_id,site_id,minutes\na,s1,5\nq,s1,3\n", [],
     ["OD.csv", "line 3", "demand_id", "'q'", "DEMAND.csv"]),
    ("unknown site in od", "od", "demand_id,site_id,minutes\na,s9,5\n", [],
     ["OD.csv", "line 2", "site_id", "'s9'", "SUPPLY.csv"]),
    ("duplicate pair", "od", "demand_id,site_id,minutes\na,s1,5\nb,s1,3\na,s1,7\n", [],
     ["OD.csv", "line 4", "appears twice"]),
    ("blank line shifts nothing", "od", "demand_id,site_id,minutes\na,s1,5\n\nb,s1,x\n", [],
     ["OD.csv", "line 4", "minutes"]),
    ("not utf-8", "dem", "demand_id,weight\nÅrhus,1\n".encode("latin-1"), [], ["DEMAND.csv", "line 2", "UTF-8"]),
    ("binary", "sup", b"PK\x03\x04\x00\x00binary", [], ["SUPPLY.csv", "NUL"]),
    ("duplicate column", "dem", "demand_id,weight,weight\na,1,2\n", [], ["DEMAND.csv", "weight", "twice"]),
    ("bad weights syntax", None, None, ["--method", "e2sfca", "--weights", "10-1,20-0.5"], ["--weights", "10-1"]),
    ("weights not increasing", None, None, ["--method", "e2sfca", "--weights", "20:1,10:0.5"],
     ["--weights", "increasing"]),
    ("weights for 2sfca", None, None, ["--method", "2sfca", "--weights", "10:1"], ["--weights", "e2sfca"]),
    ("gaussian without width", None, None, ["--method", "e2sfca", "--decay", "gaussian"], ["--width"]),
    ("gaussian width zero", None, None, ["--method", "e2sfca", "--decay", "gaussian", "--width", "0"],
     ["--width"]),
    ("beta negative", None, None, ["--method", "gravity", "--beta", "-1"], ["--beta"]),
    ("beta for 2sfca", None, None, ["--method", "2sfca", "--beta", "1"], ["--beta", "gravity"]),
    ("max-minutes zero", None, None, ["--max-minutes", "0"], ["--max-minutes"]),
    ("max-minutes negative", None, None, ["--max-minutes", "-5"], ["--max-minutes"]),
    ("max-minutes nan", None, None, ["--max-minutes", "nan"], ["--max-minutes"]),
    ("max-minutes text", None, None, ["--max-minutes", "half an hour"], ["--max-minutes"]),
    ("out is a directory", "outdir", None, [], ["--out", "directory"]),
    ("out is an input", "out=dem", None, [], ["--out", "input file"]),
    ("normalise with nothing in reach", "od", "demand_id,site_id,minutes\na,s1,50\n", ["--normalize"],
     ["OD.csv", "normalise"]),
]


@pytest.mark.parametrize(("name", "which", "content", "extra", "words"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_gives_one_clear_error(tmp_path, capsys, name, which, content, extra, words):
    files = {"od": tmp_path / "OD.csv", "dem": tmp_path / "DEMAND.csv", "sup": tmp_path / "SUPPLY.csv"}
    for key, text in (("od", GOOD_OD), ("dem", GOOD_DEM), ("sup", GOOD_SUP)):
        files[key].write_text(text, encoding="utf-8")
    out = tmp_path / "res" / "ACCESS.csv"
    if which in files:
        if content is None:
            files[which].unlink()
        elif isinstance(content, bytes):
            files[which].write_bytes(content)
        else:
            files[which].write_text(content, encoding="utf-8")
    elif which == "outdir":
        out.mkdir(parents=True)
    elif which == "out=dem":
        out = files["dem"]
    args = {"--method": "2sfca", "--max-minutes": "30"}
    rest = list(extra)
    for flag in ("--method", "--max-minutes"):
        if flag in rest:
            i = rest.index(flag)
            args[flag] = rest[i + 1]
            del rest[i:i + 2]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code = main(["-q", "access", "--cost-matrix", str(files["od"]), "--supply", str(files["sup"]),
                 "--demand", str(files["dem"]), "--out", str(out), "--method", args["--method"],
                 "--max-minutes", args["--max-minutes"], *rest])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("geoplan: error: ") and "fix:" in err
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"
    # nothing written, nothing changed
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert not (tmp_path / "res").exists() or which == "outdir"
    assert not out.is_file() or which == "out=dem"


def test_argparse_refuses_unknown_method(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["access", "--cost-matrix", "a", "--supply", "b", "--demand", "c", "--method", "3sfca",
              "--max-minutes", "30", "--out", str(tmp_path / "o.csv")])
    assert exc.value.code == 2
    assert "--method" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_nothing_in_reach_says_so(tmp_path, capsys):
    # every pair is 50 min or more: within 30 min nobody reaches a site; the values are empty, not 0
    c = np.array([[50.0, 60.0], [55.0, np.inf], [70.0, 80.0]])
    pop = pd.Series([100.0, 200.0, 50.0], index=["a", "b", "c"])
    cap = pd.Series([10.0, 20.0], index=["s1", "s2"])
    od, sup, dem = write_inputs(tmp_path, c, pop, cap)
    out = tmp_path / "res" / "ACCESS.csv"
    assert main(["access", "--cost-matrix", str(od), "--supply", str(sup), "--demand", str(dem),
                 "--out", str(out), "--method", "2sfca", "--max-minutes", "30"]) == 0
    text = capsys.readouterr().out
    assert "no demand has a site within 30 min" in text and "weighted mean access" not in text
    got = read_out(out)
    assert got["access"].isna().all() and (got["sites_in_reach"] == 0).all()
