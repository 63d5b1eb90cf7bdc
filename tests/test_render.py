"""The ``plannr`` renderer: interactive in JupyterLab, static (PNG) elsewhere."""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from typing import Any

import altair as alt
import nbformat
import polars as pl
import pytest
import vl_convert

from plannr_nb import gantt
from plannr_nb._render import (
    PNG_MAX_HEIGHT,
    VEGALITE_V5_MIMETYPE,
    plannr_renderer,
    png_bytes,
    recompress_png,
)

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


def small_chart() -> alt.Chart:
    data = alt.InlineData(values=[{"t": 1714554000000, "y": "a"}, {"t": 1714557600000, "y": "b"}])
    return (
        alt.Chart(data, title="Small")
        .mark_point()
        .encode(x=alt.X("t:T", scale=alt.Scale(type="utc")), y="y:N")
        .properties(width=300, height=120)
    )


def steps() -> pl.DataFrame:
    ts = pl.Datetime("us", "UTC")
    executed = [T0 + dt.timedelta(seconds=s) for s in (2, 40)] + [None]
    previous = [T0, executed[0], executed[1]]
    return pl.DataFrame(
        {
            "execution_uuid": ["aaaaaaaa-a749-4b21-88a5-b27ef8b16878"] * 3,
            "execution_name": ["Client onboarding"] * 3,
            "execution_status": ["in_progress"] * 3,
            "execution_created_at": [T0] * 3,
            "execution_updated_at": [T0 + dt.timedelta(minutes=5)] * 3,
            "position": [0, 1, 2],
            "step_uuid": ["s0", "s1", "s2"],
            "name": ["Send email", "Send SMS", "Close"],
            "status": ["completed", "completed", "pending"],
            "info": ["", "", ""],
            "errors": [[], ["account_uuid missing"], []],
            "failed": [False, True, False],
            "created_at": [T0] * 3,
            "updated_at": [T0] * 3,
            "executed_at": executed,
            "previous_at": previous,
            "gap": [e - p if e and p else None for e, p in zip(executed, previous, strict=True)],
        },
        schema_overrides={
            "execution_created_at": ts,
            "execution_updated_at": ts,
            "created_at": ts,
            "updated_at": ts,
            "executed_at": ts,
            "previous_at": ts,
            "gap": pl.Duration("us"),
            "errors": pl.List(pl.String),
        },
    )


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pixels(png: bytes) -> bytes:
    out, i = [], 8
    while i < len(png):
        (length,) = struct.unpack(">I", png[i : i + 4])
        if png[i + 4 : i + 8] == b"IDAT":
            out.append(png[i + 8 : i + 8 + length])
        i += 12 + length
    return zlib.decompress(b"".join(out))


def test_bundle_has_v5_spec_png_and_text_but_no_html() -> None:
    """One bundle: the Vega-Lite 5 spec, a PNG with its display width, text; no text/html."""
    bundle, meta = plannr_renderer(small_chart().to_dict())
    assert set(bundle) == {VEGALITE_V5_MIMETYPE, "image/png", "text/plain"}
    spec = bundle[VEGALITE_V5_MIMETYPE]
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    assert spec["mark"] == {"type": "point"}
    png = base64.b64decode(bundle["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = png_size(png)
    assert meta == {
        "image/png": {"width": width // 2, "height": height // 2, "alt": "Chart: Small"}
    }
    assert "Small" in bundle["text/plain"]


def test_input_spec_is_not_modified() -> None:
    """The renderer copies the spec before rewriting $schema."""
    spec = small_chart().to_dict()
    schema = spec["$schema"]
    plannr_renderer(spec)
    assert spec["$schema"] == schema


def test_bundle_is_valid_in_a_notebook() -> None:
    """Placed in a notebook output, the bundle passes nbformat validation."""
    bundle, meta = plannr_renderer(gantt(steps(), tz="Europe/London").to_dict())
    nb = nbformat.v4.new_notebook()
    output = nbformat.v4.new_output("display_data", data=bundle, metadata=meta)
    nb.cells.append(nbformat.v4.new_code_cell("gantt(steps)", outputs=[output]))
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    nbformat.validate(nbformat.reads(text, as_version=4))  # raises when invalid
    assert VEGALITE_V5_MIMETYPE in text
    assert len(text) < 400_000


def test_registered_as_entry_point_and_used_by_display() -> None:
    """alt.renderers.enable('plannr') works and charts display through it."""
    assert "plannr" in alt.renderers.names()
    previous = alt.renderers.active
    try:
        alt.renderers.enable("plannr", png=False)
        out: Any = small_chart()._repr_mimebundle_()
        bundle, meta = out
        assert set(bundle) == {VEGALITE_V5_MIMETYPE, "text/plain"}
        assert meta == {}
    finally:
        alt.renderers.enable(previous)


def test_png_is_recompressed_losslessly() -> None:
    """The PNG keeps every pixel of vl-convert's picture but is smaller."""
    spec = gantt(steps(), tz="Europe/London").to_dict()
    original = vl_convert.vegalite_to_png(spec, scale=2)
    smaller = recompress_png(original)
    assert len(smaller) < len(original)
    assert png_size(smaller) == png_size(original)
    assert pixels(smaller) == pixels(original)
    assert png_bytes(spec)[:8] == b"\x89PNG\r\n\x1a\n"


def test_tall_charts_drawn_at_density_one() -> None:
    """A very tall chart gets a density-1 PNG, and metadata says its real width."""
    rows = [{"y": f"row {i}", "x": i} for i in range(260)]
    tall = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_point()
        .encode(x="x:Q", y="y:N")
        .properties(width=200, height=alt.Step(10))
    )
    bundle, meta = plannr_renderer(tall.to_dict())
    width, height = png_size(base64.b64decode(bundle["image/png"]))
    assert height <= PNG_MAX_HEIGHT
    assert meta["image/png"] == {"width": width, "height": height, "alt": "Chart"}


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_scale_option(scale: float) -> None:
    """The PNG density follows the scale option; the display width stays the chart's."""
    bundle, meta = plannr_renderer(small_chart().to_dict(), scale=scale)
    width, _ = png_size(base64.b64decode(bundle["image/png"]))
    assert meta["image/png"]["width"] == round(width / scale)
