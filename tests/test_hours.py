import pytest

from geoplan.measures.hours import is_open, open_hours_table


def test_always_and_daily():
    assert all(is_open("00-24", hour=h) for h in range(24))
    assert is_open("08-22", hour=8) and is_open("08-22", hour=21) and not is_open("08-22", hour=22)
    assert not is_open("", hour=12)


def test_wrap_past_midnight_moves_to_next_day():
    t = open_hours_table("Fr 22-06")
    assert t[4][23] and t[5][0] and t[5][5] and not t[5][6] and not t[4][0]


def test_days_and_intervals():
    spec = "Mo-Fr 16-23; Sa-Su,PH 08-23"
    assert not is_open(spec, hour=12, weekday=0) and is_open(spec, hour=17, weekday=0)
    assert is_open(spec, hour=12, weekday=6)
    assert is_open("Mo,We 07-09,16-18", hour=8, weekday=2) and not is_open("Mo,We 07-09,16-18", hour=8, weekday=1)


@pytest.mark.parametrize("bad", ["sometimes", "Mo-Xx 08-10", "08-30", "Jan 08-10"])
def test_bad_specs(bad):
    with pytest.raises(ValueError, match="opening hours"):
        open_hours_table(bad)
