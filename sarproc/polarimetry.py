"""Polarimetric kernels: covariance and coherency matrices, speckle filters, decompositions.

Conventions (Lee & Pottier, *Polarimetric Radar Imaging*, 2009): the scattering vector of
a pixel is lexicographic ``k_L = [HH, sqrt(2) HVs, VV]`` or Pauli
``k_P = [HH + VV, HH - VV, 2 HVs] / sqrt(2)``, with ``HVs = (HV + VH) / 2`` the symmetrised
cross-polar channel (reciprocity); ``C3 = <k_L k_L^H>`` and ``T3 = <k_P k_P^H>``. Every
kernel is Numba, parallel over rows, and works per pixel on arrays shaped
``(rows, cols, 3, 3)``.

- :func:`covariance` multilooks by averaging ``looks`` blocks of pixels.
- :func:`boxcar` averages a sliding window; :func:`refined_lee` is the refined Lee
  filter (Lee, Grunes & de Grandi, IEEE TGRS 37(5), 1999): in a 7 x 7 window it picks,
  from the gradients of the span's 3 x 3 block means, one of eight edge-aligned
  half-windows and filters with the local statistics of that half-window.
- :func:`h_a_alpha` is the Cloude-Pottier decomposition (IEEE TGRS 35(1), 1997): entropy,
  anisotropy and mean alpha angle from the eigen-decomposition of T3.
- :func:`freeman_durden` is the three-component decomposition (Freeman & Durden, IEEE
  TGRS 36(3), 1998): surface, double-bounce and volume powers from C3.
- :func:`pauli_rgb` gives R = |HH - VV|, G = 2 |HVs|, B = |HH + VV| (amplitudes).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_SQ2 = np.sqrt(2.0)


@nb.njit(cache=True, nogil=True, parallel=True)
def _covariance_kernel(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray, vv: np.ndarray,
                       ly: int, lx: int, out: np.ndarray) -> None:
    ny, nx = out.shape[0], out.shape[1]
    norm = 1.0 / (ly * lx)
    for i in nb.prange(ny):
        k = np.empty(3, np.complex128)
        acc = np.empty((3, 3), np.complex128)
        for j in range(nx):
            acc[:, :] = 0
            for a in range(i * ly, (i + 1) * ly):
                for b in range(j * lx, (j + 1) * lx):
                    k[0] = hh[a, b]
                    k[1] = _SQ2 * 0.5 * (hv[a, b] + vh[a, b])
                    k[2] = vv[a, b]
                    for p in range(3):
                        for q in range(p, 3):
                            acc[p, q] += k[p] * np.conj(k[q])
            for p in range(3):
                for q in range(p, 3):
                    out[i, j, p, q] = acc[p, q] * norm
                    out[i, j, q, p] = np.conj(acc[p, q]) * norm


def covariance(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray, vv: np.ndarray,
               looks: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Multilooked covariance matrices C3 ``(rows // ly, cols // lx, 3, 3)``.

    Parameters
    ----------
    hh, hv, vh, vv : numpy.ndarray
        Complex images of one size (NaN pixels make NaN matrices).
    looks : tuple of int
        Pixels averaged along rows and columns.
    """
    ly, lx = (int(v) for v in looks)
    if ly < 1 or lx < 1:
        raise ValueError(f"looks must be positive, got {looks}")
    ny, nx = hh.shape[0] // ly, hh.shape[1] // lx
    out = np.zeros((ny, nx, 3, 3), np.complex128)
    dt = np.result_type(hh, hv, vh, vv, np.complex64)
    a_hh, a_hv, a_vh, a_vv = (np.ascontiguousarray(a, dt) for a in (hh, hv, vh, vv))
    _covariance_kernel(a_hh, a_hv, a_vh, a_vv, ly, lx, out)
    return out


def cross_pol_noise(hv: np.ndarray, vh: np.ndarray, looks: tuple[int, int] = (1, 1),
                    window: int = 15) -> np.ndarray:
    """Thermal-noise power per channel from the difference of the cross-polarised channels.

    With reciprocity (``S_hv = S_vh``, after polarimetric calibration) the difference
    ``HV - VH`` holds only the two channels' independent receiver noise, so
    ``<|HV - VH|^2> / 2`` is the noise power ``N`` of one channel (the estimator of, for
    instance, Hajnsek et al., IEEE TGRS 41(4), 2003). It is multilooked like
    :func:`covariance` and averaged over ``window`` x ``window`` multilooked pixels (the
    noise floor changes slowly, with range and the antenna pattern). In C3 the noise adds
    ``N`` to each of the three diagonal terms (``2 <|(HV + VH) / 2|^2>`` holds ``N``).
    """
    from scipy.ndimage import uniform_filter

    ly, lx = (int(v) for v in looks)
    d = np.asarray(hv, np.complex128) - np.asarray(vh, np.complex128)
    ny, nx = d.shape[0] // ly, d.shape[1] // lx
    p = 0.5 * np.abs(d[: ny * ly, : nx * lx]) ** 2
    p = p.reshape(ny, ly, nx, lx).mean(axis=(1, 3))
    good = np.isfinite(p)
    num = uniform_filter(np.where(good, p, 0.0), window, mode="nearest")
    den = uniform_filter(good.astype(np.float64), window, mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def subtract_noise(c3: np.ndarray, noise: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """C3 with the noise power removed from its diagonal.

    Each diagonal term stays above ``floor`` times its noisy value, so that pixels at the
    noise floor stay positive.
    """
    out = np.array(c3, copy=True)
    for k in range(3):
        d = out[..., k, k].real
        out[..., k, k] = np.maximum(d - noise, floor * d)
    return out


def with_noise(c3: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """C3 with ``noise`` (per pixel) added back to its diagonal: the observed matrix.

    The inverse of :func:`subtract_noise` wherever its floor was not reached; where it
    was (the pixel is at the noise floor) the diagonal becomes about ``noise`` in every
    channel. The Cloude-Pottier decomposition is made of this matrix: noise is
    unpolarised and depolarises what it is added to, so a pixel of noise has entropy
    near 1, while the noise-subtracted matrix of such a pixel, whose diagonal is the
    floor and whose off-diagonal terms are the noise's estimation error, is not a
    covariance matrix of anything (entropy near 0 from its spurious coherence).
    """
    out = np.array(c3, copy=True)
    for k in range(3):
        out[..., k, k] = out[..., k, k] + noise
    return out


#: C3 -> T3: T3 = A C3 A^H.
PAULI_FROM_LEX = np.array([[1, 0, 1], [1, 0, -1], [0, _SQ2, 0]], np.complex128) / _SQ2


@nb.njit(cache=True, nogil=True, parallel=True)
def _similarity_kernel(c: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    for i in nb.prange(c.shape[0]):
        tmp = np.empty((3, 3), np.complex128)
        for j in range(c.shape[1]):
            m = c[i, j]
            for p in range(3):
                for q in range(3):
                    tmp[p, q] = a[p, 0] * m[0, q] + a[p, 1] * m[1, q] + a[p, 2] * m[2, q]
            for p in range(3):
                for q in range(3):
                    out[i, j, p, q] = (tmp[p, 0] * np.conj(a[q, 0]) + tmp[p, 1]
                                       * np.conj(a[q, 1]) + tmp[p, 2] * np.conj(a[q, 2]))


def coherency(c3: np.ndarray) -> np.ndarray:
    """Coherency matrices T3 from covariance matrices C3 (same shape)."""
    out = np.empty_like(c3, dtype=np.complex128)
    _similarity_kernel(np.ascontiguousarray(c3, np.complex128), PAULI_FROM_LEX, out)
    return out


def covariance_from_coherency(t3: np.ndarray) -> np.ndarray:
    """Covariance matrices C3 from coherency matrices T3."""
    out = np.empty_like(t3, dtype=np.complex128)
    _similarity_kernel(np.ascontiguousarray(t3, np.complex128),
                       np.ascontiguousarray(PAULI_FROM_LEX.conj().T), out)
    return out


@nb.njit(cache=True, nogil=True, parallel=True)
def _boxcar_kernel(c: np.ndarray, half: int, out: np.ndarray) -> None:
    ny, nx = c.shape[0], c.shape[1]
    for i in nb.prange(ny):
        for j in range(nx):
            acc = np.zeros((3, 3), np.complex128)
            n = 0
            for a in range(max(0, i - half), min(ny, i + half + 1)):
                for b in range(max(0, j - half), min(nx, j + half + 1)):
                    if np.isfinite(c[a, b, 0, 0].real):
                        acc += c[a, b]
                        n += 1
            if n:
                out[i, j] = acc / n
            else:
                out[i, j] = np.nan


def boxcar(c: np.ndarray, size: int = 5) -> np.ndarray:
    """Sliding ``size`` x ``size`` mean of matrices (rows, cols, 3, 3), NaN-aware."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"boxcar size must be odd and positive, got {size}")
    out = np.empty_like(c, dtype=np.complex128)
    _boxcar_kernel(np.ascontiguousarray(c, np.complex128), size // 2, out)
    return out


# the eight edge-aligned masks of the refined Lee filter on the 3 x 3 grid of 3 x 3 blocks
# of a 7 x 7 window: for each direction, which of the 7 x 7 pixels are used
def _lee_masks() -> np.ndarray:
    m = np.zeros((8, 7, 7), np.bool_)
    yy, xx = np.mgrid[-3:4, -3:4]
    m[0] = xx >= 0  # vertical edge, keep the right half
    m[4] = xx <= 0
    m[2] = yy >= 0  # horizontal edge, keep the lower half
    m[6] = yy <= 0
    m[1] = xx - yy >= 0  # diagonal edges
    m[5] = xx - yy <= 0
    m[3] = xx + yy >= 0
    m[7] = xx + yy <= 0
    return m


_LEE_MASKS = _lee_masks()


@nb.njit(cache=True, nogil=True, parallel=True)
def _refined_lee_kernel(c: np.ndarray, span: np.ndarray, masks: np.ndarray, looks: float,
                        out: np.ndarray) -> None:
    ny, nx = span.shape
    sigma_v2 = 1.0 / looks  # speckle variance of the span over its mean squared
    for i in nb.prange(ny):
        blk = np.empty((3, 3))
        for j in range(nx):
            if i < 3 or j < 3 or i >= ny - 3 or j >= nx - 3 or not np.isfinite(span[i, j]):
                out[i, j] = c[i, j]
                continue
            for a in range(3):
                for b in range(3):
                    s = 0.0
                    for u in range(3):
                        for v in range(3):
                            s += span[i - 3 + 2 * a + u, j - 3 + 2 * b + v]
                    blk[a, b] = s / 9.0
            # gradients of the block means in four directions
            g0 = abs(blk[0, 2] + blk[1, 2] + blk[2, 2] - blk[0, 0] - blk[1, 0] - blk[2, 0])
            g1 = abs(blk[0, 1] + blk[0, 2] + blk[1, 2] - blk[1, 0] - blk[2, 0] - blk[2, 1])
            g2 = abs(blk[2, 0] + blk[2, 1] + blk[2, 2] - blk[0, 0] - blk[0, 1] - blk[0, 2])
            g3 = abs(blk[1, 2] + blk[2, 2] + blk[2, 1] - blk[0, 1] - blk[0, 0] - blk[1, 0])
            gs = (g0, g1, g2, g3)
            d = 0
            for k in range(1, 4):
                if gs[k] > gs[d]:
                    d = k
            # which side of the edge: the one whose outer block is closer to the centre
            centre = blk[1, 1]
            if d == 0:
                side = 0 if abs(blk[1, 2] - centre) < abs(blk[1, 0] - centre) else 4
            elif d == 2:
                side = 2 if abs(blk[2, 1] - centre) < abs(blk[0, 1] - centre) else 6
            elif d == 1:
                side = 1 if abs(blk[0, 2] - centre) < abs(blk[2, 0] - centre) else 5
            else:
                side = 3 if abs(blk[2, 2] - centre) < abs(blk[0, 0] - centre) else 7
            m = 0.0
            m2 = 0.0
            n = 0
            for u in range(7):
                for v in range(7):
                    if masks[side, u, v]:
                        x = span[i - 3 + u, j - 3 + v]
                        m += x
                        m2 += x * x
                        n += 1
            m /= n
            var_y = m2 / n - m * m
            var_x = (var_y - m * m * sigma_v2) / (1.0 + sigma_v2)
            gain = 0.0 if var_y <= 0.0 else max(var_x, 0.0) / var_y
            mean_c = np.zeros((3, 3), np.complex128)
            for u in range(7):
                for v in range(7):
                    if masks[side, u, v]:
                        mean_c += c[i - 3 + u, j - 3 + v]
            mean_c /= n
            out[i, j] = mean_c + gain * (c[i, j] - mean_c)


def refined_lee(c: np.ndarray, looks: float = 1.0) -> np.ndarray:
    """Refined Lee filter (7 x 7) of matrices (rows, cols, 3, 3).

    ``looks`` is the number of looks of the input (its span's speckle variance is
    ``1 / looks``); the filter weight comes from the span and applies to every element.

    Notes
    -----
    The edge direction is the largest of the four gradients of the span's nine 3 x 3
    block means (Lee, Grunes & de Grandi 1999). Of the two edge-aligned half-windows
    along it, the toolkit takes the one whose outer block mean is *closer to the centre
    block's mean*: the side of the edge the centre pixel belongs to. ESA SNAP's S1TBX
    (``RefinedLee.computePixelValueUsingEdgeDetection``) decides the same way; PolSARpro v5
    decides by the sign of the gradient, which always picks the lower-span side. On flat
    one-look areas (the forest class's C3, three 160 x 160 draws, seed 7; span ENL 2.6 in)
    the closer-mean rule gives a span bias of -1.0 +- 0.2 % and ENL 51; the lower-side
    rule -6.9 +- 0.1 % and ENL 67: it smooths more only because it always averages the
    darker half of every fluctuation, a bias no radiometric product should carry. So the
    toolkit keeps the unbiased rule (``benchmarks/refined_lee_rules.py``; the kernel
    equals ``tests/naive.py``'s direct filter to 2e-16).
    """
    c = np.ascontiguousarray(c, np.complex128)
    span = np.real(c[..., 0, 0] + c[..., 1, 1] + c[..., 2, 2]).copy()
    out = np.empty_like(c)
    _refined_lee_kernel(c, span, _LEE_MASKS, float(looks), out)
    return out


@nb.njit(cache=True, nogil=True, inline="always")
def _abs2(z: complex) -> float:
    """|z|^2 without the square root (and overflow guard) of ``abs``."""
    return z.real * z.real + z.imag * z.imag


@nb.njit(cache=True, nogil=True)
def _null_vector(m: np.ndarray, lam: float, v: np.ndarray, k: int) -> bool:
    """Unit vector x with (m - lam I) x = 0, from the largest cross product of two rows.

    Written into column ``k`` of ``v``; scalar arithmetic only (no temporary arrays).
    """
    r00, r11, r22 = m[0, 0] - lam, m[1, 1] - lam, m[2, 2] - lam
    r01, r02, r12 = m[0, 1], m[0, 2], m[1, 2]
    r10, r20, r21 = m[1, 0], m[2, 0], m[2, 1]
    best = -1.0
    b0 = b1 = b2 = 0j
    # rows (0, 1), (0, 2), (1, 2)
    for pair in range(3):
        if pair == 0:
            a0, a1, a2, c0_, c1_, c2_ = r00, r01, r02, r10, r11, r12
        elif pair == 1:
            a0, a1, a2, c0_, c1_, c2_ = r00, r01, r02, r20, r21, r22
        else:
            a0, a1, a2, c0_, c1_, c2_ = r10, r11, r12, r20, r21, r22
        x0 = a1 * c2_ - a2 * c1_
        x1 = a2 * c0_ - a0 * c2_
        x2 = a0 * c1_ - a1 * c0_
        n = _abs2(x0) + _abs2(x1) + _abs2(x2)
        if n > best:
            best = n
            b0, b1, b2 = x0, x1, x2
    scale = max(_abs2(r00), _abs2(r11), _abs2(r22), _abs2(r01), _abs2(r02), _abs2(r12),
                _abs2(r10), _abs2(r20), _abs2(r21))
    if best <= 1e-20 * scale * scale or best == 0.0:
        return False
    inv = 1.0 / np.sqrt(best)
    v[0, k], v[1, k], v[2, k] = b0 * inv, b1 * inv, b2 * inv
    return True


@nb.njit(cache=True, nogil=True)
def eig_hermitian3(m: np.ndarray, w: np.ndarray, v: np.ndarray) -> None:
    """Eigenvalues (ascending) and eigenvectors (columns) of a 3 x 3 Hermitian matrix.

    Closed form (trigonometric roots of the characteristic cubic, eigenvectors from
    cross products of rows); LAPACK's ``eigh`` where eigenvalues are (nearly) repeated.
    """
    q = (m[0, 0].real + m[1, 1].real + m[2, 2].real) / 3.0
    p1 = _abs2(m[0, 1]) + _abs2(m[0, 2]) + _abs2(m[1, 2])
    p2 = ((m[0, 0].real - q) ** 2 + (m[1, 1].real - q) ** 2 + (m[2, 2].real - q) ** 2
          + 2.0 * p1)
    p = np.sqrt(p2 / 6.0)
    ok = p > 1e-12 * max(abs(q), 1e-300)
    if ok:
        b00, b11, b22 = (m[0, 0].real - q) / p, (m[1, 1].real - q) / p, (m[2, 2].real - q) / p
        b01, b02, b12 = m[0, 1] / p, m[0, 2] / p, m[1, 2] / p
        det = (b00 * (b11 * b22 - _abs2(b12)) - b01 * (b01.conjugate() * b22
               - b12 * b02.conjugate()) + b02 * (b01.conjugate() * b12.conjugate()
                                                 - b11 * b02.conjugate()))
        r = min(max(0.5 * det.real, -1.0), 1.0)
        phi = np.arccos(r) / 3.0
        l1 = q + 2.0 * p * np.cos(phi)
        l3 = q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0)
        l2 = 3.0 * q - l1 - l3
        w[0], w[1], w[2] = l3, l2, l1
        gap = min(l1 - l2, l2 - l3)
        ok = gap > 1e-6 * (l1 - l3)
        if ok:
            for k in range(3):
                if not _null_vector(m, w[k], v, k):
                    ok = False
                    break
    if not ok:
        ww, vv = np.linalg.eigh(m)
        w[:] = ww
        v[:, :] = vv


@nb.njit(cache=True, nogil=True, parallel=True)
def _haalpha_kernel(t: np.ndarray, out: np.ndarray) -> None:
    for i in nb.prange(t.shape[0]):
        w = np.empty(3)
        v = np.empty((3, 3), np.complex128)
        for j in range(t.shape[1]):
            m = t[i, j]
            if not np.isfinite(m[0, 0].real):
                out[i, j, :] = np.nan
                continue
            eig_hermitian3(m, w, v)
            lam0, lam1, lam2 = max(w[0], 0.0), max(w[1], 0.0), max(w[2], 0.0)
            tot = lam0 + lam1 + lam2
            if tot <= 0.0:
                out[i, j, :] = np.nan
                continue
            h = 0.0
            alpha = 0.0
            for k, lam in ((0, lam0), (1, lam1), (2, lam2)):
                pk = lam / tot
                if pk > 0.0:
                    h -= pk * np.log(pk) / np.log(3.0)
                alpha += pk * np.arccos(min(abs(v[0, k]), 1.0))
            # eigenvalues ascend: lambda_1 = lam2 >= lambda_2 = lam1 >= lambda_3 = lam0
            den = lam1 + lam0
            out[i, j, 0] = h
            out[i, j, 1] = (lam1 - lam0) / den if den > 0 else 0.0
            out[i, j, 2] = np.degrees(alpha)
            out[i, j, 3] = tot


def h_a_alpha(t3: np.ndarray) -> dict[str, np.ndarray]:
    """Cloude-Pottier entropy, anisotropy, mean alpha (degrees) and span from T3."""
    out = np.empty(t3.shape[:2] + (4,))
    _haalpha_kernel(np.ascontiguousarray(t3, np.complex128), out)
    return {"entropy": out[..., 0], "anisotropy": out[..., 1], "alpha_deg": out[..., 2],
            "span": out[..., 3]}


@nb.njit(cache=True, nogil=True, parallel=True)
def _freeman_kernel(c: np.ndarray, out: np.ndarray) -> None:
    for i in nb.prange(c.shape[0]):
        for j in range(c.shape[1]):
            m = c[i, j]
            hh = m[0, 0].real
            hv = 0.5 * m[1, 1].real  # <|HVs|^2> (C3[1,1] is 2 <|HVs|^2>)
            vv = m[2, 2].real
            x = m[0, 2]  # <HH VV*>
            if not (np.isfinite(hh) and np.isfinite(hv) and np.isfinite(vv)
                    and np.isfinite(x.real) and np.isfinite(x.imag)):
                out[i, j, :] = np.nan
                continue
            span = max(hh + 2.0 * hv + vv, 0.0)
            out[i, j, 3] = 0.0
            fv = 3.0 * hv  # volume: <|HH|^2> = <|VV|^2> = fv, <|HV|^2> = fv/3, <HH VV*> = fv/3
            a = hh - fv
            b = vv - fv
            x = x - fv / 3.0
            if a <= 0.0 or b <= 0.0:  # the volume explains it all
                out[i, j, 0] = 0.0
                out[i, j, 1] = 0.0
                out[i, j, 2] = span
                continue
            pv = 8.0 * fv / 3.0
            x2 = x.real * x.real + x.imag * x.imag
            if x2 > a * b:  # not realisable: |C13| down to its bound sqrt(a b)
                if x2 > a * b * (1.0 + 1e-9):  # beyond rounding (a pure mechanism
                    out[i, j, 3] = 1.0  # plus volume sits on the bound itself)
                x = x * np.sqrt(a * b / x2)
                x2 = a * b
            if x.real >= 0.0:  # surface dominant: alpha = -1
                fd = max((a * b - x2) / (a + b + 2.0 * x.real), 0.0)
                fs = b - fd
                beta = (x + fd) / fs
                ps = fs * (1.0 + abs(beta) ** 2)
                pd = 2.0 * fd
            else:  # double bounce dominant: beta = 1
                fs = max((a * b - x2) / (a + b - 2.0 * x.real), 0.0)
                fd = b - fs
                alpha = (x - fs) / fd
                pd = fd * (1.0 + abs(alpha) ** 2)
                ps = 2.0 * fs
            out[i, j, 0] = min(max(ps, 0.0), span)
            out[i, j, 1] = min(max(pd, 0.0), span)
            out[i, j, 2] = min(max(pv, 0.0), span)


def freeman_durden(c3: np.ndarray) -> dict[str, np.ndarray]:
    """Freeman-Durden surface, double-bounce and volume powers from C3.

    Parameters
    ----------
    c3 : numpy.ndarray
        Covariance matrices ``(rows, cols, 3, 3)`` (lexicographic, module doc).

    Returns
    -------
    dict
        ``surface``, ``double_bounce``, ``volume`` (powers, C3's units) and ``corrected``
        (bool: the pixel's ``C13`` was not realisable and was rescaled).

    Notes
    -----
    Freeman & Durden (1998): the volume's share ``fv = 3 <|HV|^2>`` is removed from the
    diagonal and from ``C13``, and the rest is one surface and one dihedral scatterer,
    which needs ``|C13 - fv/3|^2 <= (C11 - fv)(C33 - fv)``. Where a multilooked pixel
    breaks that (a few percent of speckled pixels), ``C13`` is scaled down to the bound,
    as PolSARpro and PyRAT do, so the weaker of the two mechanisms is zero and the three
    powers still add up to the span ``C11 + C22 + C33``; where the volume alone exceeds
    ``C11`` or ``C33`` all the span is volume. Each power is then clipped to
    ``[0, span]`` (rounding only: the sum is the span to rounding either way).
    """
    out = np.empty(c3.shape[:2] + (4,))
    _freeman_kernel(np.ascontiguousarray(c3, np.complex128), out)
    return {"surface": out[..., 0], "double_bounce": out[..., 1], "volume": out[..., 2],
            "corrected": out[..., 3] == 1.0}


def pauli_rgb(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray, vv: np.ndarray) -> np.ndarray:
    """Pauli amplitudes (rows, cols, 3): R = |HH - VV|, G = 2 |HVs|, B = |HH + VV|."""
    return np.stack([np.abs(hh - vv), np.abs(hv + vh), np.abs(hh + vv)], axis=-1)


def pauli_rgb_from_t3(t3: np.ndarray) -> np.ndarray:
    """Pauli amplitudes (rms over the looks) from multilooked T3.

    The scaling of :func:`pauli_rgb`: ``sqrt(2 T22), sqrt(2 T33), sqrt(2 T11)``.
    """
    d = np.real(np.stack([t3[..., 1, 1], t3[..., 2, 2], t3[..., 0, 0]], axis=-1))
    return np.sqrt(2.0 * np.maximum(d, 0.0))
