"""The flight descriptor ``flight.json`` (ICD section 7): load and validate every key.

A descriptor that lacks a required key, holds a value out of its physical range, or names
a path outside the dump directory is rejected with :class:`DescriptorError`, whose message
names the file, the key and the problem. Keys the ICD does not define are ignored, so that
later ICD versions with more keys still load.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flightlog.errors import PisarL3Error

DESCRIPTOR_NAME = "flight.json"
SUPPORTED_ICD_VERSIONS = ("1",)


class DescriptorError(PisarL3Error, ValueError):
    """A ``flight.json`` that cannot be used; the message names the key and the problem."""


_S = TypeVar("_S", bound=BaseModel)
_FLIGHT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_Finite = Annotated[float, Field(allow_inf_nan=False)]
_Pol = Literal["HH", "HV", "VH", "VV"]
_POLS: tuple[_Pol, ...] = ("HH", "HV", "VH", "VV")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)


def _vector3(v: list[float], limit: float, what: str) -> list[float]:
    if len(v) != 3:
        raise ValueError(f"{what} needs 3 components, got {len(v)}")
    if any(not math.isfinite(x) or abs(x) > limit for x in v):
        raise ValueError(f"{what} components must be finite and within +/-{limit:g}")
    return v


class Boresight(_Model):
    """Boresight rotation of an instrument relative to the IMU body frame, degrees."""

    roll: _Finite = Field(0.0, ge=-180, le=180)
    pitch: _Finite = Field(0.0, ge=-180, le=180)
    yaw: _Finite = Field(0.0, ge=-180, le=180)


class NavSection(_Model):
    """``nav``: GPS week of the SBET, its path and the IMU-to-body misalignment."""

    gps_week: int = Field(ge=0, le=9999)
    sbet: str
    imu_to_body_deg: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0])

    @field_validator("imu_to_body_deg")
    @classmethod
    def _three(cls, v: list[float]) -> list[float]:
        return _vector3(v, 180.0, "imu_to_body_deg")


class SarBand(_Model):
    """One SAR band (ICD 3 and 7)."""

    id: int = Field(ge=0, le=255)
    center_frequency_hz: _Finite = Field(gt=1e8, lt=1e11)
    bandwidth_hz: _Finite = Field(gt=0, lt=1e10)
    chirp_duration_s: _Finite = Field(gt=0, le=1e-3)
    chirp_rate_sign: Literal[1, -1]
    peak_power_w: _Finite = Field(gt=0, le=1e7)
    calibration_constant_db: _Finite = Field(0.0, ge=-200, le=200)


class SarAntenna(_Model):
    """SAR antenna geometry and pattern (ICD 7)."""

    lever_arm_m: list[float]
    boresight_deg: Boresight = Field(default_factory=lambda: Boresight())
    depression_deg: _Finite = Field(gt=0, lt=90)
    azimuth_beamwidth_deg: _Finite = Field(gt=0, le=180)
    elevation_beamwidth_deg: _Finite = Field(gt=0, le=180)
    channel_delay_s: dict[_Pol, _Finite] = Field(default_factory=lambda: dict.fromkeys(
        _POLS, 0.0))

    @field_validator("lever_arm_m")
    @classmethod
    def _lever(cls, v: list[float]) -> list[float]:
        return _vector3(v, 100.0, "lever_arm_m")

    @field_validator("channel_delay_s")
    @classmethod
    def _delays(cls, v: dict[str, float]) -> dict[str, float]:
        if any(abs(x) > 1e-3 for x in v.values()):
            raise ValueError("channel delays must be within +/-1 ms")
        return {p: float(v.get(p, 0.0)) for p in _POLS}


class SarSection(_Model):
    """``sar``: the radar's recorder stream and parameters."""

    stream: str
    adc_sampling_rate_hz: _Finite = Field(gt=0, le=1e11)
    tx_sequence: list[Literal["H", "V"]] = Field(min_length=1, max_length=16)
    prf_hz: _Finite = Field(gt=0, le=1e6)
    look_side: Literal["left", "right"]
    bands: list[SarBand] = Field(min_length=1, max_length=256)
    antenna: SarAntenna

    @model_validator(mode="after")
    def _consistent(self) -> SarSection:
        ids = [b.id for b in self.bands]
        if len(set(ids)) != len(ids):
            raise ValueError(f"bands: duplicate band id in {ids}")
        for i, b in enumerate(self.bands):
            if b.bandwidth_hz > self.adc_sampling_rate_hz:
                raise ValueError(f"bands[{i}].bandwidth_hz {b.bandwidth_hz:g} exceeds "
                                 f"adc_sampling_rate_hz {self.adc_sampling_rate_hz:g}")
            if b.chirp_duration_s * self.prf_hz >= 1.0:
                raise ValueError(f"bands[{i}].chirp_duration_s is not shorter than 1/prf_hz")
        return self


class GhgsifBand(_Model):
    """One spectrometer band (ICD 4 and 7)."""

    id: int = Field(ge=0, le=255)
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    range_nm: list[float]

    @field_validator("range_nm")
    @classmethod
    def _range(cls, v: list[float]) -> list[float]:
        if len(v) != 2 or not (100.0 < v[0] < v[1] < 20000.0):
            raise ValueError("range_nm must be [low, high] with 100 < low < high < 20000 nm")
        return v


class GhgsifSection(_Model):
    """``ghgsif``: the spectrometer's recorder stream, calibration file and geometry."""

    stream: str
    calibration: str
    lever_arm_m: list[float]
    boresight_deg: Boresight = Field(default_factory=lambda: Boresight())
    across_track_fov_deg: _Finite = Field(gt=0, lt=180)
    bands: list[GhgsifBand] = Field(min_length=1, max_length=256)

    @field_validator("lever_arm_m")
    @classmethod
    def _lever(cls, v: list[float]) -> list[float]:
        return _vector3(v, 100.0, "lever_arm_m")

    @model_validator(mode="after")
    def _unique(self) -> GhgsifSection:
        ids = [b.id for b in self.bands]
        names = [b.name for b in self.bands]
        if len(set(ids)) != len(ids) or len(set(names)) != len(names):
            raise ValueError("bands: band ids and names must be unique")
        return self


class FlightDescriptor(_Model):
    """A validated ``flight.json``.

    Attributes
    ----------
    root : pathlib.Path
        The dump directory; every path of the descriptor resolves inside it.
    """

    icd_version: str
    flight_id: str = Field(min_length=1, max_length=200)
    platform: str | None = None
    nav: NavSection
    sar: SarSection | None = None
    ghgsif: GhgsifSection | None = None
    root: Path = Path(".")

    @field_validator("icd_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if v not in SUPPORTED_ICD_VERSIONS:
            raise ValueError(f"ICD version {v!r} not supported (supported: "
                             f"{', '.join(SUPPORTED_ICD_VERSIONS)})")
        return v

    @field_validator("flight_id")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        # Product file names start with the flight id: it must not name a folder.
        if not _FLIGHT_ID.fullmatch(v) or v in (".", ".."):
            raise ValueError(f"flight id {v!r} must be a plain name (letters, digits, '.', "
                             "'_', '-'; no path separators)")
        return v

    @model_validator(mode="after")
    def _some_stream(self) -> FlightDescriptor:
        if self.sar is None and self.ghgsif is None:
            raise ValueError("neither 'sar' nor 'ghgsif' is described")
        return self

    def resolve(self, rel: str, key: str) -> Path:
        """Resolve a descriptor path inside the dump directory.

        Raises
        ------
        DescriptorError
            If the path is absolute or leaves the dump directory.
        """
        return _inside(self.root, rel, key)

    def require_sar(self) -> SarSection:
        """The ``sar`` section (:class:`DescriptorError` if the flight has no SAR)."""
        return self._require("sar", self.sar)

    def require_ghgsif(self) -> GhgsifSection:
        """The ``ghgsif`` section (:class:`DescriptorError` if it has no spectrometer)."""
        return self._require("ghgsif", self.ghgsif)

    def _require(self, name: str, section: _S | None) -> _S:
        if section is None:
            raise DescriptorError(f"{self.root / DESCRIPTOR_NAME}: no '{name}' section")
        return section

    def stream_location(self, name: Literal["sar", "ghgsif"]) -> tuple[Path, str]:
        """Folder and file-name prefix of a stream's segment files."""
        section = self.sar if name == "sar" else self.ghgsif
        if section is None:
            raise DescriptorError(f"{self.root / DESCRIPTOR_NAME}: no '{name}' section")
        return _stream_prefix(self.root, section.stream, f"{name}.stream")


def _inside(root: Path, rel: str, key: str) -> Path:
    if not rel or os.path.isabs(rel) or rel.startswith(("/", "\\")) or "\x00" in rel:
        raise DescriptorError(f"{root / DESCRIPTOR_NAME}: key '{key}': path {rel!r} must be "
                              "relative to the dump directory")
    base = root.resolve()
    full = (base / rel).resolve()
    if full != base and base not in full.parents:
        raise DescriptorError(f"{root / DESCRIPTOR_NAME}: key '{key}': path {rel!r} leaves the "
                              "dump directory")
    return full


def _stream_prefix(root: Path, rel: str, key: str) -> tuple[Path, str]:
    """Folder (inside the dump) and file-name prefix of a stream's segment files."""
    path = _inside(root, rel, key)
    base = root.resolve()
    name = Path(rel).name
    if (rel.endswith(("/", "\\")) or name in ("", ".", "..")
            or (path.parent != base and base not in path.parent.parents)):
        raise DescriptorError(f"{root / DESCRIPTOR_NAME}: key '{key}': {rel!r} must be a "
                              "segment file-name prefix inside the dump (e.g. 'sar/SAR_')")
    return path.parent, name


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_descriptor(dump: str | os.PathLike[str]) -> FlightDescriptor:
    """Load and validate ``flight.json`` of a dump.

    Parameters
    ----------
    dump : path-like
        The dump directory, or the ``flight.json`` file itself.

    Returns
    -------
    FlightDescriptor
        The validated descriptor, with ``root`` set to the dump directory.

    Raises
    ------
    DescriptorError
        If the file is missing, is not JSON, or any key is missing or out of range.
    """
    path = Path(dump)
    if not path.exists():
        raise DescriptorError(f"{path}: no such dump directory or flight descriptor")
    if path.is_dir():
        path = path / DESCRIPTOR_NAME
    if not path.is_file():
        raise DescriptorError(f"{path}: no flight descriptor")
    if path.stat().st_size > 16 << 20:
        raise DescriptorError(f"{path}: {path.stat().st_size} bytes is not a flight descriptor")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep or huge numbers
        raise DescriptorError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise DescriptorError(f"{path}: top level must be a JSON object")
    raw.pop("root", None)
    try:
        desc = FlightDescriptor.model_validate({**raw, "root": path.parent})
    except ValidationError as exc:
        problems = "; ".join(f"key '{_loc(e['loc'])}': {e['msg']}" for e in exc.errors())
        raise DescriptorError(f"{path}: {problems}") from None
    desc.resolve(desc.nav.sbet, "nav.sbet")
    if desc.sar is not None:
        _stream_prefix(desc.root, desc.sar.stream, "sar.stream")
    if desc.ghgsif is not None:
        _stream_prefix(desc.root, desc.ghgsif.stream, "ghgsif.stream")
        desc.resolve(desc.ghgsif.calibration, "ghgsif.calibration")
    return desc
