"""Level 0: ingested echo packets assembled into per-band, per-polarisation pulse matrices.

:func:`build_l0` reads a dump's SAR stream once, in chunks, and writes one HDF5 file with,
for every band and polarisation (transmit then receive: ``HV`` is transmit H, receive V),

- ``/band<ID>/<POL>/echo``: complex64 ADC counts [pulse, sample], chunked by pulses, zero
  where a pulse is missing;
- per pulse: ``pulse_counter`` (unwrapped), ``gps_time``, ``present`` (the missing-pulse
  mask), ``valid`` (present and with navigation), ``window_start_ticks``,
  ``rx_attenuation_db``, ``position_ecef`` and ``velocity_ecef`` of the antenna phase
  centre at transmit and the attitude ``quaternion`` (IMU body to ECEF, scalar last);

and per band and transmit polarisation the calibration-loop replicas
``/band<ID>/replica_<H|V>/{samples, gps_time}``. Rows are pulse slots: a pulse counter
that advanced by more than the transmit cycle leaves rows with ``present`` false, so the
azimuth sampling stays uniform. Memory is bounded by the read chunk and one buffer of
``rows_per_write`` pulses per channel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.align import Alignment, SarChannel, align
from flightlog.descriptor import FlightDescriptor, load_descriptor
from flightlog.ingest import open_stream, stream_position
from flightlog.packets import APID_SAR_ECHO, APID_SAR_REPLICA
from flightlog.payloads import POL_NAMES, decode_echo_headers, echo_samples
from flightlog.provenance import atomic_output, describe_inputs, provenance
from flightlog.trajectory import longest_run

_WRAP = 1 << 32


@dataclass
class L0Channel:
    """Per-pulse metadata of one band and polarisation of an L0 file (echo stays on disk)."""

    band_id: int
    polarisation: str
    pulse_counter: np.ndarray
    gps_time: np.ndarray
    present: np.ndarray
    valid: np.ndarray
    window_start_ticks: np.ndarray
    rx_attenuation_db: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    quaternion: np.ndarray
    n_samples: int

    @property
    def n_pulses(self) -> int:
        """Number of pulse slots (rows)."""
        return int(self.gps_time.size)


#: Longest run of missing pulses, seconds of pulses at the PRF, that one line of L0 spans;
#: pulses beyond such a gap in the counters (a corrupt counter, another line) are left out.
MAX_COUNTER_GAP_S = 10.0


def _signed_offsets(counter: np.ndarray) -> tuple[np.ndarray, int]:
    """Counters relative to their median (unwrapped into [-2**31, 2**31)), and the median."""
    c = counter.astype(np.int64)
    ref = int(np.median(c)) if c.size else 0
    return ((c - ref + (_WRAP >> 1)) % _WRAP) - (_WRAP >> 1), ref


def _slots(ch: SarChannel, stride: int,
           max_gap: int) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Pulse slots of an aligned channel from its counters' true order and span.

    The pulses come in instrument-time order, which a clock reset breaks; the counters
    advance by one per pulse of the band whatever the clock does. Counters are unwrapped
    around their median, and only the largest run of counters without a gap of more than
    ``max_gap`` is kept, so no number of rows follows from one corrupt counter.

    Returns
    -------
    rows : numpy.ndarray
        Row of every kept pulse (-1 for a pulse left out).
    order : numpy.ndarray
        Indices of the kept pulses in counter order (first of duplicates).
    n_rows : int
        Rows of the channel.
    c0 : int
        Pulse counter of row 0 (modulo 2**32).
    left_out : int
        Pulses outside the kept run of counters.
    """
    rel, ref = _signed_offsets(ch.pulse_counter)
    rows = np.full(rel.size, -1, np.int64)
    if rel.size == 0:
        return rows, np.zeros(0, np.int64), 0, 0, 0
    order = np.argsort(rel, kind="stable")
    a, b = longest_run(rel[order], max_gap)
    sel = order[a:b]
    c0 = int(rel[sel[0]])
    rows[sel] = (rel[sel] - c0) // stride
    keep = np.ones(sel.size, bool)
    keep[1:] = np.diff(rows[sel]) != 0  # duplicates of one pulse: the first one counts
    dup = sel[~keep]
    rows[dup] = -1
    sel = sel[keep]
    return rows, sel, int(rows[sel[-1]]) + 1, (ref + c0) % _WRAP, int(rel.size - (b - a))


def _channel_table(ch: SarChannel, stride: int,
                   max_gap: int) -> tuple[dict[str, np.ndarray], int, int]:
    rows_all, idx, n, c0, left_out = _slots(ch, stride, max_gap)
    rows = rows_all[idx]
    present = np.zeros(n, bool)
    present[rows] = True
    slot = np.arange(n)

    def fill(values: np.ndarray) -> np.ndarray:
        """Per-pulse ``values`` at every slot, interpolated where a pulse is missing."""
        cols = values[idx].reshape(idx.size, -1)
        out = np.stack([np.interp(slot, rows, cols[:, k]) if n else np.zeros(0)
                        for k in range(cols.shape[1])], axis=1)
        return out[:, 0] if values.ndim == 1 else out

    out: dict[str, np.ndarray] = {
        "pulse_counter": (c0 + slot * stride) % _WRAP,
        "gps_time": fill(ch.gps_time),
        "present": present,
        "valid": np.zeros(n, bool),
        "window_start_ticks": np.zeros(n, np.int64),
        "rx_attenuation_db": np.zeros(n),
        "position_ecef": fill(ch.position),
        "velocity_ecef": fill(ch.velocity),
        "quaternion": fill(ch.quaternion),
    }
    out["valid"][rows] = ch.valid[idx]
    out["window_start_ticks"][rows] = ch.window_start_ticks[idx]
    out["rx_attenuation_db"][rows] = ch.rx_attenuation_db[idx]
    out["position_ecef"][rows] = ch.position[idx]
    out["velocity_ecef"][rows] = ch.velocity[idx]
    out["quaternion"][rows] = ch.quaternion[idx]
    return out, c0, left_out


def _stride(desc: FlightDescriptor, pol: str) -> int:
    seq = [str(x) for x in desc.sar.tx_sequence] if desc.sar is not None else ["H"]
    return len(seq) if seq.count(pol[0]) == 1 else 1


def build_l0(dump: str | os.PathLike[str], path: str | os.PathLike[str],
             alignment: Alignment | None = None, chunk_bytes: int = 16 << 20,
             rows_per_write: int = 256, bands: list[int] | None = None,
             polarisations: list[str] | None = None) -> Path:
    """Assemble the SAR echoes of a dump into an L0 HDF5 file (written atomically).

    Parameters
    ----------
    dump : path-like
        The dump directory.
    path : path-like
        The L0 file to write.
    alignment : flightlog.Alignment, optional
        The dump's alignment (computed when not given).
    chunk_bytes : int
        Read size of the stream reader.
    rows_per_write : int
        Pulses buffered per channel before a write (and the HDF5 chunk height).
    bands, polarisations : list, optional
        Restrict the work to these band ids and polarisations.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    desc = load_descriptor(dump)
    sar = desc.require_sar()
    al = alignment if alignment is not None else align(dump)
    chans = {k: c for k, c in al.sar.items()
             if (bands is None or k[0] in bands)
             and (polarisations is None or k[1] in polarisations)}
    reader = open_stream(desc, "sar", chunk_bytes=chunk_bytes)
    path = Path(path)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as h5:
        tables: dict[tuple[int, str], dict[str, Any]] = {}
        max_gap = int(np.ceil(sar.prf_hz * MAX_COUNTER_GAP_S))
        # no echo is longer than the pulse repetition interval of its band
        max_samples = int(np.ceil(sar.adc_sampling_rate_hz / sar.prf_hz))
        for key, ch in sorted(chans.items()):
            stride = _stride(desc, key[1])
            tab, c0, left_out = _channel_table(ch, stride, max_gap)
            tables[key] = {"tab": tab, "c0": c0, "stride": stride, "buf": {},
                           "left_out": left_out, "too_long": 0}
        # the widest echo decides the matrix width, which grows as packets arrive
        replicas: dict[tuple[int, str], list[tuple[float, np.ndarray]]] = {}
        datasets: dict[tuple[int, str], h5py.Dataset] = {}
        clock = al.clocks.get("sar")
        for block in reader:
            if APID_SAR_REPLICA in block and clock is not None:
                t = block[APID_SAR_REPLICA]
                hdr = decode_echo_headers(t)
                gps, _ = clock.to_gps(t.time, stream_position(t.records))
                for i in range(len(t)):
                    k = (int(hdr["band_id"][i]), POL_NAMES[int(hdr["tx_pol"][i])])
                    if bands is None or k[0] in bands:
                        replicas.setdefault(k, []).append((float(gps[i]), echo_samples(t, i)))
            if APID_SAR_ECHO not in block:
                continue
            t = block[APID_SAR_ECHO]
            hdr = decode_echo_headers(t)
            for i in range(len(t)):
                pol = POL_NAMES[int(hdr["tx_pol"][i])] + POL_NAMES[int(hdr["rx_pol"][i])]
                key = (int(hdr["band_id"][i]), pol)
                if key not in tables:
                    continue
                st = tables[key]
                d = (int(hdr["pulse_counter"][i]) - st["c0"]) % _WRAP
                row = d // st["stride"]
                if (d % st["stride"] or row >= st["tab"]["gps_time"].size
                        or not st["tab"]["present"][row] or row in st["buf"]):
                    continue
                if int(hdr["n_samples"][i]) > max_samples:
                    st["too_long"] += 1
                    continue
                st["buf"][row] = echo_samples(t, i)
                if len(st["buf"]) >= rows_per_write:
                    _flush(h5, datasets, key, st, rows_per_write)
        for key, st in tables.items():
            _flush(h5, datasets, key, st, rows_per_write)
            grp = h5.require_group(f"band{key[0]}/{key[1]}")
            # pulses whose counter lies beyond a gap of MAX_COUNTER_GAP_S from the line's
            # and echoes longer than the pulse repetition interval are not in the matrix
            grp.attrs["pulses_left_out"] = st["left_out"]
            grp.attrs["echoes_too_long"] = st["too_long"]
            for name, arr in st["tab"].items():
                grp.create_dataset(name, data=arr)
            if key not in datasets:  # a channel whose every echo was lost
                grp.create_dataset("echo", shape=(st["tab"]["gps_time"].size, 0),
                                   dtype=np.complex64)
        for (band, tx), reps in sorted(replicas.items()):
            n = max(r.size for _, r in reps)
            arr = np.zeros((len(reps), n), np.complex64)
            for j, (_, r) in enumerate(reps):
                arr[j, : r.size] = r
            grp = h5.require_group(f"band{band}/replica_{tx}")
            grp.create_dataset("samples", data=arr)
            grp.create_dataset("gps_time", data=np.array([g for g, _ in reps]))
        h5.attrs["flight_id"] = desc.flight_id
        h5.attrs["look_side"] = sar.look_side
        h5.attrs["descriptor"] = desc.model_dump_json(exclude={"root"})
        h5.attrs.update(provenance(describe_inputs(al.inputs, desc.root),
                                   {"chunk_bytes": chunk_bytes, "bands": bands,
                                    "polarisations": polarisations}))
    return path


def _flush(h5: h5py.File, datasets: dict[tuple[int, str], h5py.Dataset],
           key: tuple[int, str], st: dict[str, Any], rows_per_write: int) -> None:
    buf: dict[int, np.ndarray] = st["buf"]
    if not buf:
        return
    width = max(s.size for s in buf.values())
    n_rows = st["tab"]["gps_time"].size
    if key not in datasets:
        datasets[key] = h5.create_dataset(
            f"band{key[0]}/{key[1]}/echo", shape=(n_rows, width), maxshape=(n_rows, None),
            dtype=np.complex64, chunks=(min(rows_per_write, n_rows), width))
    ds = datasets[key]
    if width > ds.shape[1]:
        ds.resize(width, axis=1)
    rows = np.array(sorted(buf))
    block = np.zeros((rows.size, ds.shape[1]), np.complex64)
    for j, r in enumerate(rows):
        block[j, : buf[r].size] = buf[r]
    # contiguous runs are written as slabs
    cuts = np.flatnonzero(np.diff(rows) != 1) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, rows.size], strict=True):
        ds[rows[a] : rows[b - 1] + 1] = block[a:b]
    buf.clear()


def read_channel(h5: h5py.File, band_id: int, polarisation: str) -> L0Channel:
    """Per-pulse metadata of one channel of an open L0 file."""
    g = h5[f"band{band_id}/{polarisation}"]
    return L0Channel(band_id, polarisation, g["pulse_counter"][()], g["gps_time"][()],
                     g["present"][()], g["valid"][()], g["window_start_ticks"][()],
                     g["rx_attenuation_db"][()], g["position_ecef"][()],
                     g["velocity_ecef"][()], g["quaternion"][()], int(g["echo"].shape[1]))


def channels(h5: h5py.File) -> list[tuple[int, str]]:
    """The (band, polarisation) pairs of an open L0 file."""
    out = []
    for b in h5:
        if b.startswith("band"):
            out += [(int(b[4:]), p) for p in h5[b] if not p.startswith("replica")]
    return sorted(out)


def read_replica(h5: h5py.File, band_id: int, tx: str, gps_time: float) -> np.ndarray | None:
    """The recorded replica of a band and transmit polarisation nearest ``gps_time``."""
    key = f"band{band_id}/replica_{tx}"
    if key not in h5:
        return None
    times = h5[key]["gps_time"][()]
    return np.asarray(h5[key]["samples"][int(np.argmin(np.abs(times - gps_time)))])
