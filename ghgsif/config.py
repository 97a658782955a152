"""Run configuration of the spectrometer chain (``ghgsif`` section); unknown keys are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GhgsifConfig(BaseModel):
    """``ghgsif``: L1B, wavelength registration and SIF of the spectrometer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    register_every: int = Field(5, ge=1, le=10_000, description="frames between wavelength "
                                "registrations (the shift is interpolated in time between)")
    block_frames: int = Field(128, ge=1, le=100_000, description="frames processed at a time")
    xgas: bool = Field(True, description="XCO2 and XCH4 from the SWIR bands (clear soundings)")
    xgas_every: int = Field(1, ge=1, le=10_000, description="SWIR retrievals on every Nth "
                            "frame (optimal estimation costs about 0.1 s per sounding)")
