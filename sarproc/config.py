"""The ``sar`` section of the run configuration (YAML or CLI), validated.

Unknown keys are errors, so a misspelt option never silently falls back to a default.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sarproc.focusers import FOCUSERS
from sarproc.windows import parse_window

_Pol = Literal["HH", "HV", "VH", "VV"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Largest map grid a run accepts (about 100 km x 40 km at 1 m).
MAX_GRID_PIXELS = 1 << 32


class GridConfig(_Strict):
    """``sar.grid``: the geocoded map grid."""

    epsg: int | None = Field(None, description="projected CRS; default the UTM zone")
    bounds: tuple[float, float, float, float] | None = Field(
        None, description="xmin, ymin, xmax, ymax in the grid's metres; default the swath")
    spacing_m: float = Field(1.0, gt=0, le=1000)

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, v: tuple[float, float, float, float] | None
                 ) -> tuple[float, float, float, float] | None:
        if v is not None and not all(math.isfinite(x) and abs(x) <= 1e8 for x in v):
            raise ValueError("bounds must be finite grid metres (|value| <= 1e8)")
        if v is not None and not (v[2] > v[0] and v[3] > v[1]):
            raise ValueError("bounds must be xmin, ymin, xmax, ymax with xmax > xmin and "
                             "ymax > ymin")
        return v

    @model_validator(mode="after")
    def _size(self) -> GridConfig:
        if self.bounds is not None:
            xmin, ymin, xmax, ymax = self.bounds
            n = math.ceil((xmax - xmin) / self.spacing_m) * math.ceil((ymax - ymin)
                                                                      / self.spacing_m)
            if n > MAX_GRID_PIXELS:
                raise ValueError(f"bounds at spacing_m {self.spacing_m:g} make {n:.3g} "
                                 f"pixels, more than {MAX_GRID_PIXELS:.3g} (a 65536 x 65536 "
                                 "grid): split the area or coarsen the spacing")
        return self


class SarConfig(_Strict):
    """``sar``: focusing parameters."""

    algorithm: str = Field("backprojection", description="azimuth compression, one of "
                           "sarproc.focusers.FOCUSERS: backprojection (exact) or ffbp "
                           "(factorised, the fast path)")
    range_window: str = "rect"
    azimuth_window: str = "rect"
    integration_angle_deg: float = Field(3.0, gt=0, lt=90)
    grid: GridConfig = Field(default_factory=GridConfig)
    reference_height_m: float = Field(0.0, ge=-500, le=9000)
    dem: str | None = Field(None, description="DEM file (.npz: lat0_deg, lon0_deg, "
                                              "dlat_deg, dlon_deg, height)")
    replica: Literal["recorded", "ideal"] = "recorded"
    calibration_file: str | None = Field(None, description="JSON from postflight calibrate")
    antenna_pattern: bool = Field(True, description="divide out the antenna pattern over "
                                                    "the aperture")
    bands: list[int] | None = None
    polarisations: list[_Pol] | None = None
    upsample: int = Field(16, ge=2, le=64)
    ffbp_subaperture: int = Field(32, ge=1, le=1024, description="pulses per subaperture")
    ffbp_oversample: float = Field(4.0, ge=3.5, le=16.0,
                                   description="polar-grid oversampling of the fast path "
                                               "(its Keys-cubic interpolation needs 3.5 to "
                                               "stay within -40 dB of exact backprojection; "
                                               "docs/sar-processing.md)")
    tile_px: int = Field(256, ge=16, le=4096)
    block_pulses: int = Field(512, ge=16, le=65536)
    block_bytes: int = Field(64 << 20, ge=1 << 20, description="memory budget of the "
                                                              "upsampled pulses of a tile")

    @field_validator("range_window", "azimuth_window")
    @classmethod
    def _window(cls, v: str) -> str:
        parse_window(v)
        return v

    @model_validator(mode="after")
    def _dem_or_height(self) -> SarConfig:
        if self.dem is not None and self.reference_height_m != 0.0:
            raise ValueError("give sar.reference_height_m or sar.dem, not both")
        if self.algorithm not in FOCUSERS:
            raise ValueError(f"sar.algorithm {self.algorithm!r}: use one of "
                             f"{', '.join(sorted(FOCUSERS))}")
        why = FOCUSERS[self.algorithm].check(self)
        if why is not None:
            raise ValueError(why)
        return self


class PolarimetryConfig(_Strict):
    """``pol``: polarimetric products (needs HH, HV, VH and VV)."""

    enabled: bool = True
    looks: tuple[int, int] = Field((4, 4), description="pixels averaged along y and x")
    speckle_filter: Literal["none", "boxcar", "refined_lee"] = "refined_lee"
    filter_size: int = Field(5, ge=3, le=31)
    stretch: Literal["common", "per_channel"] = Field(
        "common", description="quicklook colour stretch: 'common' (the same stretch_db "
        "range for the three channels, so colour means polarimetry) or 'per_channel' "
        "(each channel between its own percentiles)")
    stretch_db: tuple[float, float] = Field(
        (-35.0, 0.0), description="dB range of the common stretch (sigma0-normalised power)")
    percentiles: tuple[float, float] = Field(
        (2.0, 98.0), description="percentiles of the per_channel stretch")
    noise_subtraction: bool = Field(True, description="subtract the thermal noise estimated "
                                    "from the HV - VH difference from sigma0, the GCOV terms "
                                    "and Freeman-Durden (H/A/alpha are of the observed "
                                    "matrix)")
    noise_window: int = Field(15, ge=1, le=255, description="multilooked pixels averaged "
                              "(a square) for the noise estimate")
    block_rows: int = Field(128, ge=1, le=1 << 20, description="multilooked rows processed "
                            "at a time (memory: about 4 x 8 x looks x columns bytes a row)")

    @field_validator("looks")
    @classmethod
    def _looks(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 1 or v[1] < 1:
            raise ValueError("looks must be positive")
        return v

    @field_validator("filter_size")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError("filter_size must be odd")
        return v
