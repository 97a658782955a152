"""Run configuration of the spectrometer chain (``ghgsif`` section); unknown keys are errors."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ghgsif.bands import GAS_MOLECULES
from ghgsif.refdata import LineLists


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
    line_lists: dict[str, str] = Field(
        default_factory=dict, description="HITRAN .par files (160-character records) "
        "replacing the packaged line lists, by gas: O2, H2O, CO2, CH4; each is read for its "
        "own molecule's lines, and the cross-section tables are rebuilt for it")

    @field_validator("line_lists")
    @classmethod
    def _known_gases_and_files(cls, v: dict[str, str]) -> dict[str, str]:
        for gas, path in v.items():
            if gas not in GAS_MOLECULES:
                raise ValueError(f"line_lists.{gas}: unknown gas (one of "
                                 f"{', '.join(GAS_MOLECULES)})")
            if not Path(path).is_file():
                raise ValueError(f"line_lists.{gas}: {path}: no such file")
        return v

    def line_list_overrides(self) -> LineLists:
        """``line_lists`` as the forward model takes them: ``((molecule, path), ...)``."""
        return tuple(sorted((GAS_MOLECULES[g], str(Path(p).resolve()))
                            for g, p in self.line_lists.items()))
