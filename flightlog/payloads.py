"""Payload layouts of the ICD packets (sections 3, 4 and 5): dtypes, encoders, decoders.

All payload fields are big-endian. Decoders work on a :class:`flightlog.ingest.PacketTable`
of one APID and return NumPy structured arrays in native byte order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from flightlog.packets import (
    APID_GHGSIF_FRAME,
    APID_GHGSIF_TIMESYNC,
    APID_SAR_ECHO,
    APID_SAR_REPLICA,
    APID_SAR_TIMESYNC,
)

if TYPE_CHECKING:
    from flightlog.ingest import PacketTable

#: SAR echo and replica payload header (ICD 3), 24 bytes.
ECHO_HEADER_DTYPE = np.dtype([
    ("pulse_counter", ">u4"), ("band_id", "u1"), ("tx_pol", "u1"), ("rx_pol", "u1"),
    ("sample_format", "u1"), ("window_start_ticks", ">u4"), ("n_samples", ">u4"),
    ("rx_attenuation_db", ">f4"), ("reserved", ">u4"),
])
#: Spectrometer frame payload header (ICD 4), 20 bytes.
FRAME_HEADER_DTYPE = np.dtype([
    ("frame_counter", ">u4"), ("band_id", "u1"), ("shutter", "u1"), ("n_spatial", ">u2"),
    ("n_spectral", ">u2"), ("reserved", ">u2"), ("integration_time_s", ">f4"),
    ("detector_temperature_k", ">f4"),
])
#: Time-sync payload (ICD 5), 8 bytes.
TIMESYNC_DTYPE = np.dtype([
    ("gps_week", ">u2"), ("gps_seconds_of_week", ">u4"), ("reserved", ">u2"),
])

SAMPLE_INT8 = 1
SAMPLE_INT16 = 2
_SAMPLE_BYTES = {SAMPLE_INT8: 1, SAMPLE_INT16: 2}
POL_CODES = {"H": 0, "V": 1}
POL_NAMES = {0: "H", 1: "V"}


def _native(arr: np.ndarray) -> np.ndarray:
    return arr.astype(arr.dtype.newbyteorder("="))


def encode_echo(
    pulse_counter: int,
    band_id: int,
    tx_pol: int,
    rx_pol: int,
    window_start_ticks: int,
    rx_attenuation_db: float,
    samples: np.ndarray,
    sample_format: int = SAMPLE_INT16,
) -> bytes:
    """Encode an echo or replica payload (ICD 3).

    Parameters
    ----------
    pulse_counter, band_id, tx_pol, rx_pol, window_start_ticks : int
        Header fields; polarisations 0 = H, 1 = V.
    rx_attenuation_db : float
        Receiver attenuation to add back to the echo power.
    samples : numpy.ndarray
        Complex samples in ADC counts, already quantised (integer-valued).
    sample_format : int
        1 = int8 I,Q; 2 = int16 I,Q.

    Returns
    -------
    bytes
        The payload.
    """
    if sample_format not in _SAMPLE_BYTES:
        raise ValueError(f"sample_format {sample_format} is not 1 or 2")
    samples = np.asarray(samples)
    hdr = np.zeros(1, ECHO_HEADER_DTYPE)
    hdr["pulse_counter"] = pulse_counter & 0xFFFFFFFF
    hdr["band_id"] = band_id
    hdr["tx_pol"] = tx_pol
    hdr["rx_pol"] = rx_pol
    hdr["sample_format"] = sample_format
    hdr["window_start_ticks"] = window_start_ticks
    hdr["n_samples"] = samples.size
    hdr["rx_attenuation_db"] = rx_attenuation_db
    iq = np.empty(2 * samples.size, dtype=">i1" if sample_format == SAMPLE_INT8 else ">i2")
    iq[0::2] = np.real(samples)
    iq[1::2] = np.imag(samples)
    return hdr.tobytes() + iq.tobytes()


def encode_frame(
    frame_counter: int,
    band_id: int,
    shutter: int,
    integration_time_s: float,
    detector_temperature_k: float,
    counts: np.ndarray,
) -> bytes:
    """Encode a spectrometer frame payload (ICD 4); ``counts`` is [n_spatial, n_spectral]."""
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError("counts must be 2-D [n_spatial, n_spectral]")
    hdr = np.zeros(1, FRAME_HEADER_DTYPE)
    hdr["frame_counter"] = frame_counter & 0xFFFFFFFF
    hdr["band_id"] = band_id
    hdr["shutter"] = shutter
    hdr["n_spatial"], hdr["n_spectral"] = counts.shape
    hdr["integration_time_s"] = integration_time_s
    hdr["detector_temperature_k"] = detector_temperature_k
    return hdr.tobytes() + counts.astype(">u2").tobytes()


def encode_timesync(gps_week: int, gps_seconds_of_week: int) -> bytes:
    """Encode a time-sync payload (ICD 5)."""
    rec = np.zeros(1, TIMESYNC_DTYPE)
    rec["gps_week"] = gps_week
    rec["gps_seconds_of_week"] = gps_seconds_of_week
    return rec.tobytes()


def _headers(table: PacketTable, dtype: np.dtype) -> np.ndarray:
    """Structured headers of every payload of ``table`` (payloads at least dtype-sized)."""
    n = len(table)
    if n == 0:
        return np.zeros(0, dtype.newbyteorder("="))
    idx = table.records["payload_offset"][:, None] + np.arange(dtype.itemsize)[None, :]
    raw = np.ascontiguousarray(table.payload[idx])
    return _native(raw.view(dtype).reshape(n))


def malformed_mask(table: PacketTable) -> np.ndarray:
    """Boolean mask of payloads whose size contradicts their own header (vectorised)."""
    recs = table.records
    size = recs["payload_size"]
    apid = table.apid
    if apid in (APID_SAR_TIMESYNC, APID_GHGSIF_TIMESYNC):
        return size != TIMESYNC_DTYPE.itemsize
    if apid in (APID_SAR_ECHO, APID_SAR_REPLICA, APID_GHGSIF_FRAME):
        hdt = FRAME_HEADER_DTYPE if apid == APID_GHGSIF_FRAME else ECHO_HEADER_DTYPE
        bad = size < hdt.itemsize
        ok = ~bad
        if ok.any():
            sub = table.subset(ok)
            h = _headers(sub, hdt)
            if apid == APID_GHGSIF_FRAME:
                want = 20 + 2 * h["n_spatial"].astype(np.int64) * h["n_spectral"]
                good = (want == sub.records["payload_size"]) & (h["shutter"] <= 1)
            else:
                fmt = h["sample_format"].astype(np.int64)
                want = 24 + 2 * fmt * h["n_samples"].astype(np.int64)
                good = ((want == sub.records["payload_size"]) & ((fmt == 1) | (fmt == 2))
                        & (h["tx_pol"] <= 1) & (h["rx_pol"] <= 1))
            bad[np.flatnonzero(ok)[~good]] = True
        return bad
    return np.zeros(len(table), dtype=bool)


def decode_timesync(table: PacketTable) -> np.ndarray:
    """Time-sync payloads of a table as a structured array (``gps_week``, ...)."""
    return _headers(table, TIMESYNC_DTYPE)


def decode_echo_headers(table: PacketTable) -> np.ndarray:
    """Echo or replica payload headers of a table as a structured array."""
    return _headers(table, ECHO_HEADER_DTYPE)


def decode_frame_headers(table: PacketTable) -> np.ndarray:
    """Spectrometer frame payload headers of a table as a structured array."""
    return _headers(table, FRAME_HEADER_DTYPE)


def echo_samples(table: PacketTable, i: int) -> np.ndarray:
    """Complex64 samples (ADC counts) of echo or replica ``i`` of a table."""
    payload = table.payload_of(i)
    h = np.frombuffer(payload[:24].tobytes(), ECHO_HEADER_DTYPE)[0]
    dt = ">i1" if int(h["sample_format"]) == SAMPLE_INT8 else ">i2"
    iq = np.frombuffer(payload[24:].tobytes(), dtype=dt).astype(np.float32)
    return (iq[0::2] + 1j * iq[1::2]).astype(np.complex64)


def frame_counts(table: PacketTable, i: int) -> np.ndarray:
    """Detector counts [n_spatial, n_spectral] (uint16) of frame ``i`` of a table."""
    payload = table.payload_of(i)
    h = np.frombuffer(payload[:20].tobytes(), FRAME_HEADER_DTYPE)[0]
    shape = (int(h["n_spatial"]), int(h["n_spectral"]))
    return np.frombuffer(payload[20:].tobytes(), dtype=">u2").astype(np.uint16).reshape(shape)
