"""Point-target image quality: impulse response width, PSLR, ISLR, peak position and phase.

A focused image of a point target is band-limited but, in a geocoded product, carries the
range carrier (the phase of a pixel is the target's phase plus the two-way phase of its
offset from the target). :func:`point_target` cuts a chip around the brightest pixel,
removes the carrier (the circular centroid of the chip's spectrum), upsamples by zero
padding in the frequency domain, finds the peak to a fraction of the upsampled spacing,
puts the carrier back for the peak's phase, and measures cuts through the peak along the
azimuth and range directions.

Definitions (per cut, in power): the impulse response width is the full width at half
power; the main lobe extends to the first minimum on either side; PSLR is the highest
side lobe over the peak; ISLR is the energy outside the main lobe over the energy inside,
over the cut's extent. :func:`window_response` gives the theoretical values of a window
with the same definitions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.fft
from scipy.ndimage import map_coordinates

from sarproc.windows import window_weights


@dataclass(frozen=True)
class ImpulseResponse:
    """One cut of an impulse response."""

    irw_m: float
    pslr_db: float
    islr_db: float


@dataclass(frozen=True)
class PointTargetQuality:
    """Quality of one point target.

    ``peak_east_m`` and ``peak_north_m`` are relative to the centre of image pixel (0, 0),
    with columns going east and rows going south (a north-up raster).
    """

    peak_east_m: float
    peak_north_m: float
    peak_amplitude: float
    peak_phase_rad: float
    azimuth: ImpulseResponse
    range: ImpulseResponse

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return asdict(self)


def profile_metrics(t: np.ndarray, power: np.ndarray) -> ImpulseResponse:
    """IRW, PSLR and ISLR of a power profile ``power(t)`` sampled finely around its peak."""
    power = np.asarray(power, np.float64)
    i = int(np.argmax(power))
    pk = power[i]
    half = pk / 2

    def crossing(step: int) -> float:
        j = i
        while 0 < j < power.size - 1 and power[j + step] > half:
            j += step
        a, b = power[j], power[j + step]
        return float(t[j] + (t[j + step] - t[j]) * (a - half) / (a - b))

    irw = crossing(1) - crossing(-1)
    lo = i
    while lo > 0 and power[lo - 1] < power[lo]:
        lo -= 1
    hi = i
    while hi < power.size - 1 and power[hi + 1] < power[hi]:
        hi += 1
    side = np.concatenate([power[:lo], power[hi + 1 :]])
    main = power[lo : hi + 1].sum()
    pslr = 10 * np.log10(side.max() / pk) if side.size else -np.inf
    islr = 10 * np.log10(side.sum() / main) if side.size else -np.inf
    return ImpulseResponse(float(irw), float(pslr), float(islr))


def window_response(window: str, resolution_bandwidth: float, extent: float,
                    n: int = 8001) -> ImpulseResponse:
    """Theoretical impulse response of a spectral window over a spatial-frequency band.

    Parameters
    ----------
    window : str
        Window specification (``rect``, ``hamming``, ``taylor:NBAR:SLL_DB``).
    resolution_bandwidth : float
        Width of the spatial-frequency band in cycles per metre (for example
        ``2 B / c`` projected on the ground in range, ``2 * 2 sin(half angle) / lambda``
        in azimuth).
    extent : float
        Half-length of the cut in metres (as measured).
    """
    t = np.linspace(-extent, extent, n)
    k = (np.arange(2048) + 0.5) / 2048 - 0.5
    w = window_weights(window, k)
    h = np.exp(2j * np.pi * np.outer(t, k * resolution_bandwidth)) @ w
    return profile_metrics(t, np.abs(h) ** 2)


def _carrier(chip: np.ndarray) -> tuple[float, float]:
    """Circular centroid of the chip's power spectrum, cycles per pixel (rows, cols)."""
    p = np.abs(scipy.fft.fft2(chip)) ** 2
    out = []
    for axis in (0, 1):
        prof = p.sum(axis=1 - axis)
        n = prof.size
        z = np.sum(prof * np.exp(2j * np.pi * np.arange(n) / n))
        out.append(float(np.angle(z) / (2 * np.pi)))
    return out[0], out[1]


def _upsampled_chip(img: np.ndarray, r0: int, c0: int, chip: int,
                    upsample: int) -> tuple[np.ndarray, float, float]:
    """Band-limited upsampling of the chip centred on pixel ``(r0, c0)``.

    The chip's spectral centroid (its carrier) is removed first, so that zero padding
    interpolates; returns the upsampled chip and the carrier (cycles per pixel).
    """
    h = chip // 2
    if r0 - h < 0 or c0 - h < 0 or r0 + h > img.shape[0] or c0 + h > img.shape[1]:
        raise ValueError(f"point target at pixel ({r0}, {c0}) is within {h} pixels of the "
                         "image edge")
    sub = img[r0 - h : r0 + h, c0 - h : c0 + h].astype(np.complex128)
    fr, fc_ = _carrier(sub)
    rr, cc = np.meshgrid(np.arange(chip), np.arange(chip), indexing="ij")
    base = sub * np.exp(-2j * np.pi * (fr * rr + fc_ * cc))
    spec = scipy.fft.fftshift(scipy.fft.fft2(base))
    big = np.zeros((chip * upsample, chip * upsample), np.complex128)
    o = (chip * upsample - chip) // 2
    big[o : o + chip, o : o + chip] = spec
    return scipy.fft.ifft2(scipy.fft.ifftshift(big)) * upsample**2, fr, fc_


def _value(up: np.ndarray, fr: float, fc_: float, fi: float, fj: float,
           upsample: int) -> complex:
    """Complex value of an upsampled chip at upsampled position ``(fi, fj)``, carrier back."""
    val = complex(map_coordinates(up.real, [[fi], [fj]], order=3)[0]
                  + 1j * map_coordinates(up.imag, [[fi], [fj]], order=3)[0])
    return val * np.exp(2j * np.pi * (fr * fi + fc_ * fj) / upsample)


def complex_at(image: np.ndarray, row: float, col: float, chip: int = 32,
               upsample: int = 8) -> complex:
    """Band-limited interpolation of a complex image at fractional pixel ``(row, col)``.

    Reads, for instance, every polarisation of a corner reflector at the peak position
    measured in its brightest channel (:func:`point_target`).
    """
    img = np.nan_to_num(np.asarray(image), nan=0.0)   # no-data pixels carry no signal
    r0, c0 = int(round(row)), int(round(col))
    h = chip // 2
    up, fr, fc_ = _upsampled_chip(img, r0, c0, chip, upsample)
    return _value(up, fr, fc_, (row - r0 + h) * upsample, (col - c0 + h) * upsample, upsample)


def point_target(image: np.ndarray, spacing_m: float | tuple[float, float],
                 azimuth_heading_deg: float, chip: int = 64, upsample: int = 16,
                 cut_half_length_m: float | None = None,
                 peak: tuple[int, int] | None = None) -> PointTargetQuality:
    """Measure the impulse response of a point target in a (geocoded) complex image.

    Parameters
    ----------
    image : numpy.ndarray
        Complex image [row, col], north up (rows go south, columns east).
    spacing_m : float or tuple
        Pixel spacing (row, col) in metres.
    azimuth_heading_deg : float
        Direction of the azimuth cut, degrees clockwise from north (the track heading);
        the range cut is perpendicular.
    chip : int
        Side of the chip around the peak, pixels.
    upsample : int
        Upsampling factor.
    cut_half_length_m : float, optional
        Half-length of the cuts; default a quarter of the chip.
    peak : tuple of int, optional
        Approximate peak pixel (row, col); default the brightest pixel.

    Returns
    -------
    PointTargetQuality
    """
    img = np.asarray(image)
    if isinstance(spacing_m, (int, float)):
        dy = dx = float(spacing_m)
    else:
        dy, dx = float(spacing_m[0]), float(spacing_m[1])
    # the brightest pixel with a value (NaN: no pulse reached the pixel)
    r0, c0 = peak if peak is not None else np.unravel_index(
        int(np.argmax(np.nan_to_num(np.abs(img), nan=0.0))), img.shape)
    h = chip // 2
    up, fr, fc_ = _upsampled_chip(np.nan_to_num(img, nan=0.0), int(r0), int(c0), chip,
                                  upsample)
    mag = np.abs(up)
    i, j = np.unravel_index(int(np.argmax(mag)), mag.shape)
    # parabolic refinement of the peak in each direction
    def refine(a: float, b: float, c: float) -> float:
        den = a - 2 * b + c
        return 0.0 if den == 0 else 0.5 * (a - c) / den
    n_up = chip * upsample
    fi = i + refine(mag[(i - 1) % n_up, j], mag[i, j], mag[(i + 1) % n_up, j])
    fj = j + refine(mag[i, (j - 1) % n_up], mag[i, j], mag[i, (j + 1) % n_up])
    val = _value(up, fr, fc_, fi, fj, upsample)
    pr, pc = fi / upsample, fj / upsample  # chip pixels
    half_len = cut_half_length_m if cut_half_length_m is not None else chip / 4 * min(dx, dy)
    hd = np.deg2rad(azimuth_heading_deg)
    cuts = {}
    for name, (east, north) in (("azimuth", (np.sin(hd), np.cos(hd))),
                                ("range", (np.cos(hd), -np.sin(hd)))):
        step = min(dx, dy) / upsample / 4
        t = np.arange(-half_len, half_len + step / 2, step)
        rows = fi + (-north * t / dy) * upsample
        cols = fj + (east * t / dx) * upsample
        if (rows.min() < 1 or cols.min() < 1 or rows.max() > n_up - 2
                or cols.max() > n_up - 2):
            raise ValueError("cut leaves the chip: use a larger chip or a shorter cut")
        re = map_coordinates(up.real, [rows, cols], order=3)
        im = map_coordinates(up.imag, [rows, cols], order=3)
        cuts[name] = profile_metrics(t, re**2 + im**2)
    return PointTargetQuality(
        peak_east_m=float((c0 - h + pc) * dx), peak_north_m=float(-(r0 - h + pr) * dy),
        peak_amplitude=float(abs(val)), peak_phase_rad=float(np.angle(val)),
        azimuth=cuts["azimuth"], range=cuts["range"])
