"""Spectrometer frames of a dump, block by block: headers and detector counts per band."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from flightlog.descriptor import load_descriptor
from flightlog.ingest import open_stream
from flightlog.packets import APID_GHGSIF_FRAME
from flightlog.payloads import decode_frame_headers, frame_counts, malformed_mask


@dataclass
class FrameBlock:
    """Frames of one band from one read chunk: headers (ICD 4) and counts [frame, x, l]."""

    headers: np.ndarray
    counts: np.ndarray


def iter_frames(dump: str | os.PathLike[str], band_id: int,
                chunk_bytes: int = 16 << 20) -> Iterator[FrameBlock]:
    """Frames of band ``band_id`` in stream order, one block per read chunk.

    Malformed payloads (the stream reader's layout check) are left out; a frame whose size
    differs from the band's first is left out too (the reader logs both as anomalies).
    """
    desc = load_descriptor(dump)
    reader = open_stream(desc, "ghgsif", chunk_bytes=chunk_bytes)
    shape: tuple[int, int] | None = None
    for block in reader:
        table = block.get(APID_GHGSIF_FRAME)
        if table is None or len(table) == 0:
            continue
        table = table.subset(~malformed_mask(table))
        hdr = decode_frame_headers(table)
        sel = np.flatnonzero(hdr["band_id"] == band_id)
        if not sel.size:
            continue
        if shape is None:
            shape = (int(hdr["n_spatial"][sel[0]]), int(hdr["n_spectral"][sel[0]]))
        keep = sel[(hdr["n_spatial"][sel] == shape[0]) & (hdr["n_spectral"][sel] == shape[1])]
        if not keep.size:
            continue
        counts = np.stack([frame_counts(table, int(i)) for i in keep])
        yield FrameBlock(hdr[keep], counts)
