"""Static PNG/PDF maps, read back: size, not blank, legend colours, one A4 page, same bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from geoplan.errors import InputError
from geoplan.output import palettes as P
from geoplan.output import static_maps as S
from test_maps import synthetic_inputs

pypdf = pytest.importorskip("pypdf")


def _packed(a: np.ndarray) -> np.ndarray:
    """RGB pixels as one int each (fast unique and membership)."""
    a = a.reshape(-1, 3).astype(np.int64)
    return (a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2]


def _pack(colour: str) -> int:
    r, g, b = (int(round(255 * x)) for x in P._rgb([colour])[0])
    return (r << 16) | (g << 8) | b


@pytest.fixture(scope="module")
def inputs():
    boundary, munis, cells, _places, _fac = synthetic_inputs(2500)
    x0, y0 = cells.total_bounds[:2]
    sites = S.sites_frame(
        [(x0 + 20_000, y0 + 20_000), (x0 + 35_000, y0 + 30_000), (x0 + 8_000, y0 + 40_000)],
        ["acute_hospital", "acute_hospital", "neighbour_hospital"],
        names=["Nord", "Syd", "Nabo"],
        closed=[False, True, False],
    )
    return boundary, munis, cells, sites


def _figure(inputs, lang="da"):
    boundary, munis, cells, sites = inputs
    return S.static_map(
        cells,
        column="minutes",
        bands=P.minute_bands([15, 30, 45, 60], lang=lang),
        title="Køretid til akuthospital kl. 03"
        if lang == "da"
        else "Drive time to acute hospital at 03:00",
        subtitle="Scenarie acute-night: Syd lukket kl. 22–08",
        municipalities=munis,
        boundary=boundary,
        sites=sites,
        source="Vejnet OSM 2024; befolkning WorldPop 2020",
        lang=lang,
        label_sites=True,
    )


@pytest.fixture(scope="module")
def written(inputs, tmp_path_factory):
    d = tmp_path_factory.mktemp("static")
    png, pdf = S.write_static_maps(_figure(inputs), d / "acute")
    return png, pdf


def test_png_has_the_size_and_is_not_blank(written):
    png, _ = written
    img = Image.open(png)
    assert img.format == "PNG" and img.size == (1753, 1240)  # A4 landscape at 150 dpi
    a = np.asarray(img.convert("RGB"))
    assert a.std() > 30
    assert len(np.unique(_packed(a))) > 200
    assert not any(k.lower().startswith(("software", "creation")) for k in img.info)


def test_png_shows_every_legend_colour(written, inputs):
    png, _ = written
    px = _packed(np.asarray(Image.open(png).convert("RGB")))
    present = set(np.unique(px).tolist())
    bands = P.minute_bands([15, 30, 45, 60])
    # every class has a legend swatch (grey too: unreachable cells exist)
    for colour in bands.all_colors():
        assert _pack(colour) in present, colour
    # a class colour covers a real share of the picture (the cells), not only its swatch
    assert (px == _pack(bands.colors[1])).mean() > 0.02


def test_pdf_is_one_a4_landscape_page_with_the_text(written):
    _, pdf = written
    r = pypdf.PdfReader(pdf)
    assert len(r.pages) == 1
    box = r.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=0.5) and float(
        box.height
    ) == pytest.approx(595.28, abs=0.5)
    text = r.pages[0].extract_text()
    for s in (
        "Køretid til akuthospital kl. 03",
        "acute-night",
        "Kilde: Vejnet OSM 2024",
        "Lukket",
        "Akuthospital",
        "0–15 min",
        "> 60 min",
        "indb.",
        "km",
        "N",
    ):
        assert s in text, s
    meta = r.metadata or {}
    assert "/CreationDate" not in meta and "/ModDate" not in meta
    assert "Matplotlib" not in str(meta.get("/Producer", ""))


def test_legend_gives_the_population_per_band(written, inputs):
    _, pdf = written
    _, _, cells, _ = inputs
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    b = P.minute_bands([15, 30, 45, 60])
    cls = b.classify(cells["minutes"])
    from geoplan.i18n import fmt_number

    for k, lab in enumerate(b.labels):
        n = fmt_number(round(float(cells["pop"][cls == k].sum())), "da")
        assert f"{lab}   {n} indb." in text, (lab, n)


def test_outputs_are_byte_identical(inputs, written, tmp_path):
    png, pdf = written
    png2, pdf2 = S.write_static_maps(_figure(inputs), tmp_path / "again")
    assert png.read_bytes() == png2.read_bytes()
    assert pdf.read_bytes() == pdf2.read_bytes()


def test_english_labels(inputs, tmp_path):
    _, pdf = S.write_static_maps(_figure(inputs, lang="en"), tmp_path / "en")
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert (
        "Source: Vejnet" in text
        and "Closed" in text
        and "Acute hospital" in text
        and "Unreachable" in text
    )


def test_bad_input_is_a_clear_error(inputs, tmp_path):
    boundary, munis, cells, sites = inputs
    bands = P.minute_bands()
    with pytest.raises(InputError, match="lack the column 'time'"):
        S.static_map(cells, column="time", bands=bands, title="x")
    bad = sites.assign(kind=["acute_hospital", "spaceport", "acute_hospital"])
    with pytest.raises(InputError, match="spaceport"):
        S.static_map(cells, column="minutes", bands=bands, title="x", sites=bad)
    fig = S.static_map(cells, column="minutes", bands=bands, title="x")
    with pytest.raises(InputError, match="use .png or .pdf"):
        S.save_static_map(fig, tmp_path / "x.jpg")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_cut_lines_are_drawn_along_their_length_and_named(inputs, tmp_path):
    import geopandas as gpd
    import shapely

    boundary, munis, cells, sites = inputs
    x0, y0 = cells.total_bounds[:2]
    cut = gpd.GeoDataFrame({"label": ["Testbroen"]},
                           geometry=[shapely.LineString([(x0 + 5_000, y0 + 5_000), (x0 + 30_000, y0 + 5_000)])],
                           crs=cells.crs)
    fig = S.static_map(cells, column="minutes", bands=P.minute_bands([15, 30, 45, 60]), title="T",
                       boundary=boundary, sites=sites, lines=cut, lines_title="Afbrudte forbindelser")
    # named at its middle (haloed text is drawn as outlines in the PDF, so read the figure)
    assert "Testbroen" in [a.get_text() for a in fig.axes[0].texts]
    png, pdf = S.write_static_maps(fig, tmp_path / "cut")
    assert "Afbrudte forbindelser" in pypdf.PdfReader(pdf).pages[0].extract_text()
    # the line colour runs along the cut: many pixels of it in the PNG
    with Image.open(png) as im:
        px = _packed(np.asarray(im.convert("RGB")))
    assert (px == _pack("#D55E00")).sum() > 300
