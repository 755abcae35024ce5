"""Colour-blind-safe schemes: every scheme in use stays distinct under simulated CVD.

The check (geoplan.output.palettes.check_distinct) simulates protanopia,
deuteranopia and tritanopia (Machado et al. 2009, colour-science) and requires
every pair of colours shown together to keep CIEDE2000 >= 10. The red-yellow-
green scheme the maps used before (copied here) is the counter-example: its
0–15 min green and > 60 min red become the same olive for deuteranopes.
Brettel et al. (1997), through daltonlens, cross-checks the simulation.
"""

from __future__ import annotations

import numpy as np
import pytest

from geoplan.i18n import LABELS
from geoplan.output import palettes as P

CFG = P._config()["check"]
MAP = {"opacity": CFG["map_opacity"], "background": CFG["map_background"]}

#: geoplan.maps._BAND_COLORS and compare.DIFF_COLORS before issue 14 (ColorBrewer RdYlGn)
OLD_RDYLGN = {
    5: ["#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d73027"],
    7: ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fdae61", "#f46d43", "#d73027"],
}
OLD_DIFF = ["#1a9850", "#66bd63", "#d9ef8b", "#f7f7f7", "#fee08b", "#f46d43", "#a50026"]


def _verdict(colors, **kw) -> dict[str, float]:
    return {r.vision: r.min_delta_e for r in P.check_distinct(colors, **kw)}


def _assert_pass(colors, **kw) -> None:
    res = P.check_distinct(colors, **kw)
    bad = [r for r in res if not r.passed]
    assert not bad, [(r.vision, round(r.min_delta_e, 1), r.pair) for r in bad]


# ----------------------------------------------------------------------------- the check


def test_identical_colours_fail_and_black_white_pass():
    assert not all(r.passed for r in P.check_distinct(["#336699", "#336699"]))
    res = P.check_distinct(["#000000", "#ffffff"])
    assert all(r.passed for r in res)
    assert res[0].min_delta_e == pytest.approx(100.0, abs=0.01)  # CIEDE2000 black-white


def test_simulation_merges_red_and_green_for_deuteranopes_only():
    red, green = "#d73027", "#1a9850"
    d = _verdict([red, green])
    assert d["normal"] > 40 and d["tritanopia"] > 40
    assert d["deuteranopia"] < 10 and d["protanopia"] < 20


def test_greys_are_unchanged_by_simulation():
    greys = ["#000000", "#777777", "#ffffff"]
    for v in P.VISIONS:
        np.testing.assert_allclose(
            P.simulate_cvd(greys, v), P.simulate_cvd(greys, "normal"), atol=2e-3
        )


def test_opacity_brings_colours_towards_the_background():
    full = _verdict(["#000000", "#ffffff"])["normal"]
    half = _verdict(["#000000", "#ffffff"], opacity=0.5, background="#808080")["normal"]
    assert half < full / 1.5


def test_bad_input_is_refused():
    with pytest.raises(P.PaletteError):
        P.check_distinct(["#123456"])
    with pytest.raises(P.PaletteError):
        P.check_distinct(["#123456", "not-a-colour"])
    with pytest.raises(P.PaletteError):
        P.simulate_cvd(["#123456"], "achromatopsia")


# ----------------------------------------------------------------------------- counter-examples


@pytest.mark.parametrize("n", sorted(OLD_RDYLGN))
def test_old_red_yellow_green_fails_for_deuteranopes(n):
    d = _verdict(OLD_RDYLGN[n])
    assert d["normal"] >= P.MIN_DELTA_E  # fine for normal vision ...
    assert d["deuteranopia"] < P.MIN_DELTA_E / 2  # ... not for red-green colour-blind readers
    assert d["protanopia"] < P.MIN_DELTA_E


def test_old_difference_colours_fail():
    assert _verdict(OLD_DIFF)["deuteranopia"] < P.MIN_DELTA_E / 2


def test_old_ends_become_the_same_olive():
    # the complaint: 0–15 min (green) and > 60 min (red)
    sim = P.simulate_cvd(["#1a9850", "#d73027"], "deuteranopia")
    d = P.delta_e_matrix(sim)[0, 1]
    assert d < P.MIN_DELTA_E


# ----------------------------------------------------------------------------- every scheme


@pytest.mark.parametrize("n", range(2, 7))
def test_minutes_scheme_passes_with_unreachable(n):
    cols = [*P.sequential(n), P.special("unreachable")]
    _assert_pass(cols)
    if n <= 5:  # the HTML maps draw cells at 0.75 opacity over the land fill
        _assert_pass(cols, **MAP)
    _assert_pass(cols, opacity=0.9, background=MAP["background"])


@pytest.mark.parametrize("n", range(2, 6))
def test_increase_scheme_passes(n):
    cols = [*P.sequential(n, scheme="increase"), P.special("unreachable")]
    _assert_pass(cols)
    _assert_pass(cols, **MAP)


@pytest.mark.parametrize("limits", [(0.5,), (0.5, 5), (0.5, 5, 15), (1, 10, 30)])
def test_delta_scheme_passes_with_lost_access(limits):
    b = P.delta_bands(limits)
    _assert_pass(b.all_colors())
    _assert_pass(b.all_colors(), **MAP)


@pytest.mark.parametrize(
    ("scheme", "group"),
    [
        ("facility_kinds", "acute"),
        ("facility_kinds", "prehospital"),
        ("facility_kinds", "houses"),
        ("site_status", "houses"),
    ],
)
def test_categorical_groups_pass(scheme, group):
    _assert_pass(list(P.group_colors(scheme, group).values()))


def test_default_bands_of_the_shipped_scenarios_pass():
    # [15, 30, 45, 60] (acute), [10, 15, 20, 30] (prehospital), houses T/2..2T, compare deltas
    for limits in ([15, 30, 45, 60], [10, 15, 20, 30], [10, 20, 30, 40]):
        _assert_pass(P.minute_bands(limits).all_colors(), **MAP)
    _assert_pass(P.delta_bands((0.5, 5, 15)).all_colors(), **MAP)


def test_too_many_classes_is_a_clear_error():
    with pytest.raises(P.PaletteError, match="at most 5 band limits"):
        P.minute_bands([5, 10, 15, 20, 30, 45, 60])
    with pytest.raises(P.PaletteError, match="no sequential scheme"):
        P.sequential(4, scheme="rainbow")


# ----------------------------------------------------------------------------- cross-check


def _brettel(colors, deficiency):
    from daltonlens import simulate

    rgb = (P._rgb(colors) * 255).round().astype(np.uint8).reshape(1, -1, 3)
    out = simulate.Simulator_Brettel1997().simulate_cvd(rgb, deficiency, severity=1.0)
    return np.asarray(out, dtype=float).reshape(-1, 3) / 255.0


def test_machado_matches_daltonlens():
    simulate = pytest.importorskip("daltonlens.simulate")
    cols = [*P.minute_bands().all_colors(), *P.delta_bands().colors, "#1a9850", "#d73027"]
    rgb = (P._rgb(cols) * 255).round().astype(np.uint8).reshape(1, -1, 3)
    for d, v in (
        (simulate.Deficiency.PROTAN, "protanopia"),
        (simulate.Deficiency.DEUTAN, "deuteranopia"),
        (simulate.Deficiency.TRITAN, "tritanopia"),
    ):
        theirs = simulate.Simulator_Machado2009().simulate_cvd(rgb, d, severity=1.0).reshape(-1, 3)
        np.testing.assert_allclose(P.simulate_cvd(cols, v) * 255, theirs, atol=1.5)


def test_schemes_also_pass_under_brettel_1997():
    simulate = pytest.importorskip("daltonlens.simulate")
    schemes = {
        "minutes5": P.minute_bands().all_colors(),
        "delta7": P.delta_bands().all_colors(),
        "increase5": (*P.sequential(5, scheme="increase"), P.special("unreachable")),
        **{
            f"{s}/{g}": tuple(P.group_colors(s, g).values())
            for s, g in [
                ("facility_kinds", "acute"),
                ("facility_kinds", "prehospital"),
                ("facility_kinds", "houses"),
                ("site_status", "houses"),
            ]
        },
    }
    for name, cols in schemes.items():
        for d in (
            simulate.Deficiency.PROTAN,
            simulate.Deficiency.DEUTAN,
            simulate.Deficiency.TRITAN,
        ):
            m = P.delta_e_matrix(_brettel(cols, d))
            m[np.diag_indices(len(cols))] = np.inf
            assert m.min() >= P.MIN_DELTA_E, (name, d, round(float(m.min()), 1))
    # and the old scheme fails there too
    m = P.delta_e_matrix(_brettel(OLD_RDYLGN[5], simulate.Deficiency.DEUTAN))
    m[np.diag_indices(5)] = np.inf
    assert m.min() < P.MIN_DELTA_E / 2


# ----------------------------------------------------------------------------- bands and labels


def test_minute_bands_classify_like_the_maps():
    b = P.minute_bands([15, 30, 45, 60])
    got = b.classify([0, 15, 15.01, 30, 45.5, 60, 60.1, np.inf, np.nan])
    assert got.tolist() == [0, 0, 1, 1, 3, 3, 4, 5, 5]
    assert b.labels == ("0–15 min", "15–30 min", "30–45 min", "45–60 min", "> 60 min")
    assert P.minute_bands([15, 30], lang="en").missing_label == "Unreachable"


def test_delta_bands_are_symmetric_with_a_neutral_middle():
    b = P.delta_bands((0.5, 5, 15))
    assert b.n_classes == 7 and b.neutral == 3
    v = np.array([-30, -15, -14.9, -5, -4.9, -0.5, -0.49, 0, 0.49, 0.5, 4.9, 5, 14.9, 15, 30])
    got = b.classify(v)
    assert got.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6]
    np.testing.assert_array_equal(b.classify(-v), 6 - got)  # mirror image
    assert b.classify([np.inf, -np.inf, np.nan]).tolist() == [7, 7, 7]
    assert b.labels[0] == "≤ −15 min" and b.labels[-1] == "≥ +15 min"
    assert b.labels[3] == "uændret (±0,5 min)"
    assert P.delta_bands((0.5, 5, 15), lang="en").labels[2] == "−5 to −0.5 min"


def test_labels_use_the_true_minus_sign():
    for b in (P.delta_bands(), P.delta_bands(lang="en"), P.minute_bands([-10, 0, 10])):
        text = " ".join(b.labels)
        assert "-" not in text, text  # no hyphen-minus anywhere
    assert "−" in " ".join(P.delta_bands().labels)
    assert P.fmt_signed(-5) == "−5" and P.fmt_signed(5) == "+5" and P.fmt_signed(0) == "0"
    assert P.fmt_signed(-0.04, digits=1) == "0,0"  # no "−0,0"
    assert P.fmt_signed(-1234.5, "en") == "−1,234.5"


def test_band_label_keys_are_in_both_languages():
    for key in (
        "band.range",
        "band.range_signed",
        "band.at_most",
        "band.at_least",
        "band.above",
        "band.unchanged",
        "legend.lost_access",
    ):
        assert set(LABELS[key]) == {"da", "en"}


def test_bad_limits_are_refused():
    for bad in ([30, 15], [], [15, np.inf]):
        with pytest.raises(P.PaletteError):
            P.minute_bands(bad)
    with pytest.raises(P.PaletteError, match="positive side"):
        P.delta_bands((-5, 5))
