"""Slow, obvious twins of the fast kernels: used only by the tests."""

from __future__ import annotations

import numba as nb
import numpy as np

from flightlog.constants import C_LIGHT_M_S, SINC2_BEAM_FACTOR
from sarproc.backprojection import reference_track, upsample
from sarproc.windows import window_weights

SYNC = b"\x1a\xcf\xfc\x1d"


def crc16_ccitt(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def valid_packet_at(stream: bytes, p: int) -> int:
    """Length of a whole, structurally valid packet with a good CRC at ``p``, else 0."""
    if stream[p : p + 4] != SYNC or p + 10 > len(stream):
        return 0
    w0 = int.from_bytes(stream[p + 4 : p + 6], "big")
    version, ptype, sec, apid = w0 >> 13, (w0 >> 12) & 1, (w0 >> 11) & 1, w0 & 0x7FF
    dl = int.from_bytes(stream[p + 8 : p + 10], "big") + 1
    if version or ptype:
        return 0
    if (sec == 1 and dl < 12) or (sec == 0 and (apid != 0x7FF or dl < 2)):
        return 0
    total = 10 + dl
    if p + total > len(stream):
        return 0
    body = stream[p + 4 : p + total - 2]
    if crc16_ccitt(body) != int.from_bytes(stream[p + total - 2 : p + total], "big"):
        return 0
    return total


def frame_greedy(stream: bytes) -> list[tuple[int, int]]:
    """Every valid packet found by trying each byte offset in turn: ``(offset, length)``."""
    out = []
    p = 0
    while p < len(stream):
        n = valid_packet_at(stream, p)
        if n:
            out.append((p, n))
            p += n
        else:
            p += 1
    return out


def crc32_novatel(data: bytes) -> int:
    """Bit-by-bit CRC-32, reflected polynomial 0xEDB88320, init 0, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
    return crc


def ray_ground_bisect(origin, direction, height, dem_height=None):
    """Where a ray meets the ground, by bisection on pyproj geodetic heights.

    ``dem_height(lat_deg, lon_deg)`` gives terrain height when set; otherwise the ground
    is the surface at ellipsoidal ``height``.
    """
    import numpy as np
    from pyproj import Transformer

    to_geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
    o = np.asarray(origin, float)
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)

    def f(s):
        lon, lat, h = to_geo.transform(*(o + s * d))
        ground = height if dem_height is None else dem_height(lat, lon)
        return h - ground

    lo, hi = 0.0, 1.0
    while f(hi) > 0:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return o + 0.5 * (lo + hi) * d


def point_echo_reference(apc_fn, x, t_tx, tau, fc, k_rate, chirp_t):
    """Exact echo of a unit point target, sample by sample, by fixed-point iteration.

    ``apc_fn(t)`` is the true antenna phase centre (ECEF) at GPS time ``t``; returns the
    unit-amplitude samples ``s(t_e - t_tx) exp(-j 2 pi fc (t - t_e))`` at ``t_tx + tau``.
    """
    import numpy as np

    c = 299_792_458.0
    out = np.zeros(len(tau), complex)
    r0 = np.linalg.norm(x - apc_fn(t_tx))
    for i, ta in enumerate(tau):
        if abs(ta - 2 * r0 / c) > chirp_t / 2 + 1e-6:  # far outside the echo: zero
            continue
        t = t_tx + ta
        r_rx = np.linalg.norm(x - apc_fn(t))
        d = 2 * r_rx / c
        for _ in range(5):  # each step gains a factor v / c ~ 1e-6
            d = (np.linalg.norm(x - apc_fn(t - d)) + r_rx) / c
        u = ta - d
        if abs(u) <= chirp_t / 2:
            out[i] = np.exp(1j * (np.pi * k_rate * u * u - 2 * np.pi * fc * d))
    return out


def radiance_direct(wl_nm, layers, group, sounding, aircraft_km):
    """Slow radiance: every line, 25 cm-1 wings, scipy's Faddeeva, direct Beer-Lambert.

    Reflected sunlight over the two-way path plus SIF over the path up to the aircraft.
    """
    import numpy as np
    from scipy.special import wofz

    from ghgsif.bands import GROUPS
    from ghgsif.refdata import line_list, solar_irradiance
    from sim.radiative import line_shape_parameters, sif_shape

    nu = 1e7 / wl_nm
    reflector = layers.z_bottom_km[0] if sounding.cloud_top_km is None else \
        sounding.cloud_top_km
    scale = {"CO2": sounding.co2_scale, "CH4": sounding.ch4_scale, "H2O": sounding.h2o_scale,
             "O2": 1.0}
    mu0 = np.cos(np.deg2rad(sounding.sza_deg))
    mu = np.cos(np.deg2rad(sounding.vza_deg))
    path = np.zeros(nu.size)
    up = np.zeros(nu.size)  # vertical optical depth between the reflector and the aircraft
    for gas, mol in GROUPS[group].gases.items():
        lines = line_list(group, mol, float(nu.min() - 25), float(nu.max() + 25))
        for k in range(layers.p_hpa.size):
            if layers.z_bottom_km[k] < reflector - 1e-9:
                continue
            am = 1 / mu0 + (1 / mu if layers.z_top_km[k] <= aircraft_km + 1e-9 else 0.0)
            own = float(layers.vmr[gas][k]) if gas == "H2O" else 0.0
            c, s, gl, sd = line_shape_parameters(lines, mol, layers.p_hpa[k] / 1013.25,
                                                 layers.t_k[k], own)
            xsec = np.zeros(nu.size)
            for j in range(c.size):
                near = np.abs(nu - c[j]) <= 25
                z = ((nu[near] - c[j]) + 1j * gl[j]) / (sd[j] * np.sqrt(2))
                xsec[near] += s[j] * wofz(z).real / (sd[j] * np.sqrt(2 * np.pi))
            tau = scale[gas] * xsec * layers.air_column_cm2[k] * layers.vmr[gas][k]
            path += am * tau
            if layers.z_top_km[k] <= aircraft_km + 1e-9:
                up += tau
    nu_s, f_nu = solar_irradiance(group)
    solar = np.interp(nu, nu_s, f_nu) * nu**2 / 1e7
    rho = sounding.albedo if sounding.cloud_top_km is None else sounding.cloud_albedo
    refl = solar * mu0 / np.pi * rho * np.exp(-path)
    sif = sounding.sif_757 * sif_shape(wl_nm) if group == "O2A" else 0.0
    return refl + sif * np.exp(-up / mu)


def isrf_direct(wl_nm, radiance, fwhm_nm, centres):
    """Gaussian ISRF by direct trapezoid integration at each pixel centre."""
    import numpy as np

    sig = fwhm_nm / (2 * np.sqrt(2 * np.log(2)))
    out = []
    for c in centres:
        w = np.exp(-0.5 * ((wl_nm - c) / sig) ** 2)
        out.append(np.trapezoid(w * radiance, wl_nm) / np.trapezoid(w, wl_nm))
    return np.array(out)


def refined_lee_direct(c, looks, masks):
    """Refined Lee (Lee, Grunes & de Grandi 1999), pixel by pixel with NumPy slices.

    The 7 x 7 window's nine 3 x 3 sub-windows start every second pixel (overlapping);
    the gradient picks the edge direction and side, ``masks`` (8, 7, 7) the pixels used.
    A 3-pixel border is copied.
    """
    import numpy as np

    ny, nx = c.shape[:2]
    span = np.trace(c, axis1=-2, axis2=-1).real
    out = c.copy()
    sv2 = 1.0 / looks
    for i in range(3, ny - 3):
        for j in range(3, nx - 3):
            w = span[i - 3:i + 4, j - 3:j + 4]
            blk = np.array([[w[2 * a:2 * a + 3, 2 * b:2 * b + 3].mean() for b in range(3)]
                            for a in range(3)])
            g = [abs(blk[:, 2].sum() - blk[:, 0].sum()),
                 abs(blk[0, 1] + blk[0, 2] + blk[1, 2] - blk[1, 0] - blk[2, 0] - blk[2, 1]),
                 abs(blk[2, :].sum() - blk[0, :].sum()),
                 abs(blk[1, 2] + blk[2, 2] + blk[2, 1] - blk[0, 1] - blk[0, 0] - blk[1, 0])]
            d = int(np.argmax(g))
            ctr = blk[1, 1]
            pairs = {0: ((1, 2), (1, 0), 0, 4), 2: ((2, 1), (0, 1), 2, 6),
                     1: ((0, 2), (2, 0), 1, 5), 3: ((2, 2), (0, 0), 3, 7)}
            near, far, s_near, s_far = pairs[d]
            side = s_near if abs(blk[near] - ctr) < abs(blk[far] - ctr) else s_far
            m = masks[side]
            vals = w[m]
            mean, var_y = vals.mean(), vals.var()
            var_x = (var_y - mean * mean * sv2) / (1 + sv2)
            gain = 0.0 if var_y <= 0 else max(var_x, 0.0) / var_y
            mean_c = c[i - 3:i + 4, j - 3:j + 4][m].mean(axis=0)
            out[i, j] = mean_c + gain * (c[i, j] - mean_c)
    return out


def isrf_weights_direct(fine_wl, pixel_wl, fwhm_nm):
    """Dense matrix of normalised Gaussian ISRF weights (to 5 sigma) on a fine grid, with
    each fine point's weight its grid spacing, pixel by pixel."""
    import numpy as np

    sig = fwhm_nm / (2 * np.sqrt(2 * np.log(2)))
    dl = np.abs(np.gradient(fine_wl))
    out = np.zeros((len(pixel_wl), fine_wl.size))
    for i, c in enumerate(pixel_wl):
        m = (fine_wl >= c - 5 * sig) & (fine_wl < c + 5 * sig)
        w = np.exp(-0.5 * ((fine_wl[m] - c) / sig) ** 2) * dl[m]
        out[i, m] = w / w.sum()
    return out


def freeman_durden_direct(c):
    """Freeman & Durden (IEEE TGRS 36(3), 1998) for one 3 x 3 C3, as PolSARpro's
    ``freeman_decomposition.c`` writes it: volume from C22, the non-realisable C13 scaled
    to its bound, the surface or dihedral branch by the sign of Re C13, powers clipped to
    [0, span]. Plain Python on complex scalars."""
    import math

    c11, c22, c33, c13 = c[0][0].real, c[1][1].real, c[2][2].real, complex(c[0][2])
    span = c11 + c22 + c33
    fv = 1.5 * c22
    c11, c33, c13 = c11 - fv, c33 - fv, c13 - fv / 3
    if c11 <= 0 or c33 <= 0:
        return 0.0, 0.0, max(span, 0.0)
    if abs(c13) ** 2 > c11 * c33:
        c13 = c13 * math.sqrt(c11 * c33) / abs(c13)
    if c13.real >= 0:
        fd = (c11 * c33 - abs(c13) ** 2) / (c11 + c33 + 2 * c13.real)
        fs = c33 - fd
        beta2 = abs(c13 + fd) ** 2 / fs**2
        ps, pd = fs * (1 + beta2), 2 * fd
    else:
        fs = (c11 * c33 - abs(c13) ** 2) / (c11 + c33 - 2 * c13.real)
        fd = c33 - fs
        alpha2 = abs(c13 - fs) ** 2 / fd**2
        ps, pd = 2 * fs, fd * (1 + alpha2)
    pv = 8 * fv / 3
    return tuple(min(max(p, 0.0), span) for p in (ps, pd, pv))


# --- exact backprojection, one pixel and pulse at a time in double precision -------------
# The twin of sarproc.backprojection.backproject_tiles_kernel and of the fast path (Numba,
# so that it runs in seconds, but no expansion, no single precision, no sub-tiles).

@nb.njit(cache=True, nogil=True, inline="always")
def pulse_contribution(rc: np.ndarray, p: int, x0: float, x1: float, x2: float,
                       tau0: np.ndarray, fs_up: float, apc: np.ndarray, vel: np.ndarray,
                       track: np.ndarray, fc: float, sin_half: float, win_table: np.ndarray,
                       axes: np.ndarray, beam_az: float, beam_el: float,
                       min_gain: float) -> complex:
    """Exact contribution of upsampled line ``rc[p]`` to the pixel at ``(x0, x1, x2)``.

    The model of :func:`backproject_kernel`; zero outside the integration angle, below
    ``min_gain`` or outside the line.
    """
    n_w = win_table.size - 1
    dx = x0 - apc[p, 0]
    dy = x1 - apc[p, 1]
    dz = x2 - apc[p, 2]
    r_tx = np.sqrt(dx * dx + dy * dy + dz * dz)
    s = (dx * track[p, 0] + dy * track[p, 1] + dz * track[p, 2]) / r_tx
    if abs(s) > sin_half:
        return 0j
    u = (s / (2.0 * sin_half) + 0.5) * n_w
    iu = min(int(u), n_w - 1)
    w = win_table[iu] + (u - iu) * (win_table[iu + 1] - win_table[iu])
    if beam_az > 0.0:
        cb = dx * axes[p, 0, 0] + dy * axes[p, 0, 1] + dz * axes[p, 0, 2]
        if cb <= 0.0:
            return 0j
        xa = SINC2_BEAM_FACTOR * np.arctan2(dx * axes[p, 1, 0] + dy * axes[p, 1, 1]
                                + dz * axes[p, 1, 2], cb) / beam_az
        xe = SINC2_BEAM_FACTOR * np.arctan2(dx * axes[p, 2, 0] + dy * axes[p, 2, 1]
                                + dz * axes[p, 2, 2], cb) / beam_el
        ga = 1.0 if abs(xa) < 1e-12 else np.sin(np.pi * xa) / (np.pi * xa)
        ge = 1.0 if abs(xe) < 1e-12 else np.sin(np.pi * xe) / (np.pi * xe)
        g = ga * ga * ge * ge
        if g < min_gain:
            return 0j
        w /= g
    # the antenna moves during the two-way travel: one fixed-point step of
    # tau = (|X - A| + |X - A - V tau|) / c is exact to (v/c)^2
    tau = 2.0 * r_tx / C_LIGHT_M_S
    ex = dx - vel[p, 0] * tau
    ey = dy - vel[p, 1] * tau
    ez = dz - vel[p, 2] * tau
    tau = (r_tx + np.sqrt(ex * ex + ey * ey + ez * ez)) / C_LIGHT_M_S
    pos = (tau - tau0[p]) * fs_up
    i = int(np.floor(pos))
    if i < 0 or i + 1 >= rc.shape[1]:
        return 0j
    f = pos - i
    a = rc[p, i]
    b = rc[p, i + 1]
    sr = (a.real + f * (b.real - a.real)) * w
    si = (a.imag + f * (b.imag - a.imag)) * w
    ph = 2.0 * np.pi * fc * tau
    c = np.cos(ph)
    sn = np.sin(ph)
    return complex(sr * c - si * sn, sr * sn + si * c)


@nb.njit(cache=True, nogil=True, parallel=True)
def backproject_kernel(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                       vel: np.ndarray, track: np.ndarray, fc: float, pixels: np.ndarray,
                       sin_half: float, win_table: np.ndarray, axes: np.ndarray,
                       beam_az: float, beam_el: float, min_gain: float,
                       out: np.ndarray) -> None:
    """Add the backprojection of pulses ``rc[p]`` (upsampled) to ``out[m]`` at ``pixels[m]``.

    The reference implementation, one pixel and pulse at a time in double precision.
    ``tau0[p]`` is the delay of ``rc[p, 0]``; ``track[p]`` the unit reference-track
    direction; ``win_table`` samples the azimuth window uniformly on [-0.5, 0.5] of the
    sine of squint (uniform in azimuth wavenumber); pulses with ``|sin squint| >
    sin_half`` are left out. With ``beam_az > 0`` each contribution is divided by the
    antenna's one-way power pattern towards the pixel (ICD section 7: sinc^2 in each
    principal plane; ``axes[p]`` holds the boresight, azimuth and elevation axes), so the
    aperture is weighted by the window alone whatever the yaw and crab; pulses that see
    the pixel below ``min_gain`` are left out.
    """
    for m in nb.prange(pixels.shape[0]):
        acc = 0j
        for p in range(rc.shape[0]):
            acc += pulse_contribution(rc, p, pixels[m, 0], pixels[m, 1], pixels[m, 2], tau0,
                                      fs_up, apc, vel, track, fc, sin_half, win_table, axes,
                                      beam_az, beam_el, min_gain)
        out[m] += acc




def backproject(rc: np.ndarray, tau0: np.ndarray, fs: float, apc: np.ndarray,
                vel: np.ndarray, fc: float, pixels: np.ndarray, integration_angle_deg: float,
                azimuth_window: str = "rect", upsample_factor: int = 16,
                block: int = 256, track: np.ndarray | None = None,
                antenna: tuple[np.ndarray, float, float] | None = None,
                min_gain: float = 0.1) -> np.ndarray:
    """Backproject range-compressed pulses onto ECEF pixels.

    Parameters
    ----------
    rc : numpy.ndarray
        Range-compressed echoes (pulses, samples), sample k at delay ``tau0 + k / fs``.
    tau0 : numpy.ndarray
        Delay of sample 0 per pulse, seconds.
    fs : float
        Sampling rate of ``rc``.
    apc, vel : numpy.ndarray
        Antenna phase centre (ECEF, m) and its velocity (m/s) at each transmit time.
    fc : float
        Carrier frequency.
    pixels : numpy.ndarray
        ECEF pixel positions (..., 3).
    integration_angle_deg : float
        Full azimuth integration angle about zero Doppler of the reference track.
    azimuth_window : str
        Window over the integration angle (uniform in the sine of squint).
    upsample_factor : int
        Band-limited upsampling before linear interpolation in range.
    block : int
        Pulses upsampled at a time (memory).
    track : numpy.ndarray, optional
        Unit direction of the reference track per pulse (n, 3), from which squint is
        measured; default :func:`reference_track` of ``apc``.
    antenna : tuple, optional
        ``(axes, beam_az_rad, beam_el_rad)`` with ``axes`` (n, 3, 3) the boresight,
        azimuth and elevation unit axes per pulse (:func:`sarproc.antenna.antenna_axes`):
        divide out the antenna pattern.
    min_gain : float
        With ``antenna``: pulses seeing the pixel below this one-way gain are left out.

    Returns
    -------
    numpy.ndarray
        Complex image with the shape of ``pixels[..., 0]``: the weighted sum over pulses
        (a point target of peak amplitude ``a`` after range compression reaches
        ``a * sum(weights)``).
    """
    px = np.ascontiguousarray(np.asarray(pixels, dtype=np.float64).reshape(-1, 3))
    if track is None:
        track = reference_track(apc)
    out = np.zeros(px.shape[0], dtype=np.complex128)
    table = window_weights(azimuth_window, np.linspace(-0.5, 0.5, 2001))
    sin_half = float(np.sin(np.deg2rad(integration_angle_deg) / 2))
    axes, beam_az, beam_el = (np.zeros((rc.shape[0], 3, 3)), 0.0, 0.0) if antenna is None \
        else antenna
    for b0 in range(0, rc.shape[0], block):
        sl = slice(b0, min(rc.shape[0], b0 + block))
        up = upsample(rc[sl], upsample_factor)
        backproject_kernel(up, np.ascontiguousarray(tau0[sl], np.float64),
                           fs * upsample_factor, np.ascontiguousarray(apc[sl], np.float64),
                           np.ascontiguousarray(vel[sl], np.float64),
                           np.ascontiguousarray(track[sl], np.float64), fc, px, sin_half,
                           table, np.ascontiguousarray(axes[sl], np.float64), float(beam_az),
                           float(beam_el), min_gain, out)
    return out.reshape(np.asarray(pixels).shape[:-1])


# --- range compression --------------------------------------------------------------------


def matched_filter_direct(reference, centre, n_samples, fs, bandwidth_hz, window="rect",
                          channel_delay_s=0.0):
    """The matched filter's response bin by bin from its definition (explicit DFT).

    In the band: conj(S) / max(|S|^2, 1e-3 max_band |S|^2) scaled by n_fft / (bins in the
    band), delayed by the reference's centre and advanced by the channel delay, times the
    window over f / bandwidth. ``n_fft`` is scipy's next fast length of the padded sum.
    """
    import scipy.fft

    n_fft = scipy.fft.next_fast_len(n_samples + reference.size)
    k = np.arange(n_fft)
    f = np.where(k < (n_fft + 1) // 2, k, k - n_fft) * fs / n_fft
    m = np.arange(reference.size)
    spec = np.array([np.sum(reference * np.exp(-2j * np.pi * kk * m / n_fft)) for kk in k])
    band = np.abs(f) <= 0.5 * bandwidth_hz
    p = np.abs(spec) ** 2
    floor = 1e-3 * p[band].max()
    h = np.conj(spec) / np.maximum(p, floor) * (n_fft / band.sum())
    h = h * np.exp(2j * np.pi * f * (channel_delay_s - centre / fs))
    return h * window_weights(window, f / bandwidth_hz), n_fft


def compress_direct(echo, filt, n_fft, rx_attenuation_db=0.0):
    """One echo compressed by the explicit DFT, product and inverse DFT (double precision)."""
    k = np.arange(n_fft)
    e = np.zeros(n_fft, np.complex128)
    e[: echo.size] = echo
    dft = np.exp(-2j * np.pi * np.outer(k, k) / n_fft)
    out = (dft.conj() @ ((dft @ e) * filt)) / n_fft
    return out[: echo.size] * 10 ** (rx_attenuation_db / 20)


# --- polarimetry --------------------------------------------------------------------------


def covariance_direct(hh, hv, vh, vv, ly, lx):
    """Multilooked C3 by an outer product of k_L = [HH, sqrt(2) HVs, VV] per pixel."""
    ny, nx = hh.shape[0] // ly, hh.shape[1] // lx
    out = np.zeros((ny, nx, 3, 3), np.complex128)
    for i in range(ny):
        for j in range(nx):
            for a in range(i * ly, (i + 1) * ly):
                for b in range(j * lx, (j + 1) * lx):
                    k = np.array([hh[a, b], np.sqrt(2) * (hv[a, b] + vh[a, b]) / 2, vv[a, b]])
                    out[i, j] += np.outer(k, k.conj())
    return out / (ly * lx)


def boxcar_direct(c, size):
    """Sliding mean of the finite matrices in each size x size window (NaN when none)."""
    h = size // 2
    out = np.empty(c.shape, np.complex128)
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            w = c[max(0, i - h): i + h + 1, max(0, j - h): j + h + 1].reshape(-1, 3, 3)
            w = w[np.isfinite(w[:, 0, 0].real)]
            out[i, j] = w.mean(axis=0) if len(w) else np.nan
    return out


def similarity_direct(c, a):
    """``A C A^H`` per pixel by matrix products."""
    return np.einsum("pq,ijqr,sr->ijps", a, c, a.conj())


def h_a_alpha_direct(t3):
    """Entropy, anisotropy and mean alpha (degrees) from LAPACK's eigen-decomposition.

    Cloude & Pottier (1997): p_k = lambda_k / sum, H = -sum p_k log3 p_k,
    A = (lambda_2 - lambda_3) / (lambda_2 + lambda_3), alpha = sum p_k acos |v_k[0]|.
    """
    out = np.full(t3.shape[:2] + (3,), np.nan)
    for i in range(t3.shape[0]):
        for j in range(t3.shape[1]):
            w, v = np.linalg.eigh(t3[i, j])
            w = np.maximum(w, 0.0)[::-1]
            v = v[:, ::-1]
            p = w / w.sum()
            nz = p > 0
            out[i, j, 0] = -np.sum(p[nz] * np.log(p[nz]) / np.log(3))
            out[i, j, 1] = (w[1] - w[2]) / (w[1] + w[2]) if w[1] + w[2] > 0 else 0.0
            out[i, j, 2] = np.degrees(np.sum(p * np.arccos(np.minimum(np.abs(v[0]), 1.0))))
    return out


# --- trajectory ---------------------------------------------------------------------------


def hermite_slerp_direct(t, pos, vel, quat, tq):
    """Positions and velocities by scipy's cubic Hermite spline, attitudes by scipy's Slerp."""
    from scipy.interpolate import CubicHermiteSpline
    from scipy.spatial.transform import Rotation, Slerp

    spline = CubicHermiteSpline(t, pos, vel, axis=0)
    return spline(tq), spline.derivative()(tq), Slerp(t, Rotation.from_quat(quat))(tq).as_quat()


# --- linear fits --------------------------------------------------------------------------


def weighted_lstsq_direct(y, sigma, use, basis):
    """Weighted least squares by NumPy's lstsq, one sounding at a time."""
    n, p, _ = basis.shape
    out = np.full((n, 2 * p + 2), np.nan)
    for s in range(n):
        k = use[s]
        if k.sum() <= p:
            continue
        a = basis[s][:, k].T / sigma[s, k][:, None]
        b = y[s, k] / sigma[s, k]
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        cov = np.linalg.inv(a.T @ a)
        out[s, :p] = x
        out[s, p:2 * p] = np.sqrt(np.diag(cov))
        out[s, 2 * p] = np.sum((b - a @ x) ** 2) / (k.sum() - p)
        out[s, 2 * p + 1] = k.sum()
    return out
