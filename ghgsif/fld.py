"""Fraunhofer line discrimination (FLD) SIF in the O2-A band: sFLD, 3FLD and iFLD.

The classical in/out-of-band methods, kept beside the spectral fit of the O2-A band
(:func:`ghgsif.retrieval.o2a_sounding`) for comparison, as the FLUORIS/FLEX community
does. For the airborne path each pixel's radiance is written

    L_i = rho_i I_i + F_i U_i,

with ``I_i`` the radiance of a white (unit) reflector at the aircraft, the ISRF-convolved
``E0 mu0 / pi exp(-tau_down / mu0 - tau_up / mu)``, and ``U_i`` the ISRF-convolved
transmittance ``exp(-tau_up / mu)`` from the surface to the aircraft, both from the
forward model's prior atmosphere (:meth:`ghgsif.forward.BandForward.path_terms`). The
ground-based formulas are the case ``U = 1`` with ``I`` the irradiance over pi. Two
pixels, one inside the band (``in``) and one outside (``out``), give two equations:

- **sFLD** (Plascyk 1975) assumes ``rho`` and ``F`` equal in and out:
  ``F_in = (L_in I_out - L_out I_in) / (U_in I_out - U_out I_in)``. Where the reflectance
  rises across the band (vegetation beyond the red edge) it overestimates ``F`` by
  ``(rho_in - rho_out) I_in I_out / D`` (:func:`sfld_bias`), the known bias of the method.
- **3FLD** (Maier et al. 2003) takes ``out`` as the linear interpolation, to the in-band
  wavelength, of a shoulder on each side of the band: right for a linear ``rho`` and ``F``.
- **iFLD** (Alonso et al., IEEE GRSL 5, 620, 2008) corrects sFLD with ``alpha_R =
  rho_out / rho_in``, from a quadratic fit of the apparent reflectance ``L / I`` over the
  continuum pixels of the band, and ``alpha_F = F_out / F_in`` from the fluorescence
  shape (:func:`ghgsif.sif.sif_shape`):
  ``F_in = (alpha_R I_out L_in - I_in L_out) / (alpha_R I_out U_in - alpha_F I_in U_out)``.

``I`` and ``U`` as products of ISRF convolutions assume ``rho`` and ``F`` constant across
one ISRF, so each method carries a residual of the ISRF width times the reflectance
slope. All values are at the in-band pixel's wavelength; :func:`fld_retrievals` also
scales them to 757 nm with the fluorescence shape, as the L2 product reports them. The
uncertainties are the radiance noise propagated through each formula (the model terms
taken as exact).
"""

from __future__ import annotations

import numpy as np

from ghgsif.sif import sif_shape

#: Search ranges (nm) of the in-band pixel (deepest modelled absorption, the R-branch
#: head) and of the left and right shoulders (least absorbed).
IN_NM = (760.2, 761.2)
LEFT_NM = (757.5, 759.3)
RIGHT_NM = (769.8, 771.5)
#: Continuum pixels (iFLD's apparent reflectance): transmittance above this fraction of
#: the band's clearest pixel.
CONTINUUM = 0.98

METHODS = ("sfld", "3fld", "ifld")


def fld_pixels(wl_nm: np.ndarray, white: np.ndarray) -> tuple[int, int, int]:
    """Indices of the in-band pixel and of the left and right shoulders.

    ``wl_nm`` are a spectrum's pixel wavelengths and ``white`` its modelled radiance of a
    white reflector (``I``); raises ``ValueError`` if a search range has no pixel.
    """
    out = []
    for (lo, hi), pick in ((IN_NM, np.argmin), (LEFT_NM, np.argmax), (RIGHT_NM, np.argmax)):
        sel = np.flatnonzero((wl_nm >= lo) & (wl_nm <= hi) & np.isfinite(white))
        if sel.size == 0:
            raise ValueError(f"FLD: no pixel between {lo} and {hi} nm")
        out.append(int(sel[pick(white[sel])]))
    return out[0], out[1], out[2]


def sfld(l_in: np.ndarray, l_out: np.ndarray, i_in: np.ndarray, i_out: np.ndarray,
         u_in: np.ndarray, u_out: np.ndarray, s_in: np.ndarray, s_out: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """The sFLD fluorescence at the in-band pixel and its 1-sigma uncertainty (module doc).

    Parameters
    ----------
    l_in, l_out : ndarray
        Measured radiances in and out of the band.
    i_in, i_out : ndarray
        Modelled radiances of a white Lambertian reflector.
    u_in, u_out : ndarray
        Upward (surface to sensor) transmittances.
    s_in, s_out : ndarray
        1-sigma radiance noise.

    Returns
    -------
    f, sigma : ndarray
        Fluorescence at the in-band pixel and its uncertainty; all inputs broadcast.
    """
    d = u_in * i_out - u_out * i_in
    f = (l_in * i_out - l_out * i_in) / d
    return f, np.hypot(i_out * s_in, i_in * s_out) / np.abs(d)


def sfld_bias(rho_in: np.ndarray, rho_out: np.ndarray, f_in: np.ndarray, f_out: np.ndarray,
              i_in: np.ndarray, i_out: np.ndarray, u_in: np.ndarray, u_out: np.ndarray
              ) -> np.ndarray:
    """The error of sFLD when ``rho`` and ``F`` differ in and out of the band.

    Parameters
    ----------
    rho_in, rho_out, f_in, f_out : ndarray
        Surface reflectance and fluorescence in and out of the band.
    i_in, i_out, u_in, u_out : ndarray
        White-reflector radiances and upward transmittances, as in :func:`sfld`.

    Notes
    -----
    Substituting ``L = rho I + F U`` into :func:`sfld`:
    ``(rho_in - rho_out) I_in I_out / D + (F_in - F_out) U_out I_in / D``, ``D = U_in I_out
    - U_out I_in``.
    """
    d = u_in * i_out - u_out * i_in
    return ((rho_in - rho_out) * i_in * i_out + (f_in - f_out) * u_out * i_in) / d


def three_fld(l_in: np.ndarray, l_left: np.ndarray, l_right: np.ndarray,
              i_in: np.ndarray, i_left: np.ndarray, i_right: np.ndarray,
              u_in: np.ndarray, u_left: np.ndarray, u_right: np.ndarray,
              s_in: np.ndarray, s_left: np.ndarray, s_right: np.ndarray,
              w_left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3FLD: sFLD with ``out`` interpolated linearly between the shoulders.

    Parameters
    ----------
    l_in, l_left, l_right : ndarray
        Measured radiances at the in-band pixel and the left and right shoulders.
    i_in, i_left, i_right : ndarray
        White-reflector radiances there.
    u_in, u_left, u_right : ndarray
        Upward transmittances there.
    s_in, s_left, s_right : ndarray
        1-sigma radiance noise there.
    w_left : ndarray
        The left shoulder's weight, ``(wl_right - wl_in) / (wl_right - wl_left)``.

    Returns
    -------
    f, sigma : ndarray
        As :func:`sfld`.
    """
    w_right = 1.0 - w_left

    def out(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return w_left * a + w_right * b

    return sfld(l_in, out(l_left, l_right), i_in, out(i_left, i_right), u_in,
                out(u_left, u_right), s_in, np.hypot(w_left * s_left, w_right * s_right))


def ifld(l_in: np.ndarray, l_out: np.ndarray, i_in: np.ndarray, i_out: np.ndarray,
         u_in: np.ndarray, u_out: np.ndarray, s_in: np.ndarray, s_out: np.ndarray,
         alpha_r: np.ndarray, alpha_f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """iFLD: sFLD corrected for reflectance and fluorescence that differ across the band.

    Parameters
    ----------
    l_in, l_out, i_in, i_out, u_in, u_out, s_in, s_out : ndarray
        As :func:`sfld`.
    alpha_r : ndarray
        ``rho_out / rho_in`` (:func:`apparent_reflectance_ratio`).
    alpha_f : ndarray
        ``F_out / F_in`` from the fluorescence shape.

    Returns
    -------
    f, sigma : ndarray
        As :func:`sfld`.
    """
    d = alpha_r * i_out * u_in - alpha_f * i_in * u_out
    f = (alpha_r * i_out * l_in - i_in * l_out) / d
    return f, np.hypot(alpha_r * i_out * s_in, i_in * s_out) / np.abs(d)


def apparent_reflectance_ratio(wl_nm: np.ndarray, radiance: np.ndarray, white: np.ndarray,
                               usable: np.ndarray, wl_out: np.ndarray, wl_in: np.ndarray
                               ) -> np.ndarray:
    """The ``alpha_R`` of iFLD: a quadratic in wavelength fitted to ``L / I`` on the continuum.

    ``wl_nm``, ``radiance``, ``white``, ``usable`` [n, m]; returns the fit's ratio between
    ``wl_out`` and ``wl_in`` [n] (NaN where fewer than four continuum pixels are usable).
    """
    n = radiance.shape[0]
    out = np.full(n, np.nan)
    top = np.nanmax(np.where(usable, white, np.nan), axis=1, keepdims=True)
    cont = usable & (white >= CONTINUUM * top) & (radiance > 0)
    for s in range(n):
        k = cont[s]
        if k.sum() < 4:
            continue
        x0 = float(wl_in[s])
        c = np.polyfit(wl_nm[s, k] - x0, radiance[s, k] / white[s, k], 2)
        out[s] = np.polyval(c, float(wl_out[s]) - x0) / c[-1]
    return out


def fld_retrievals(wl_nm: np.ndarray, radiance: np.ndarray, noise: np.ndarray,
                   good: np.ndarray, white: np.ndarray, up: np.ndarray,
                   idx: tuple[int, int, int], reference_nm: float = 757.0
                   ) -> dict[str, np.ndarray]:
    """sFLD, 3FLD and iFLD of soundings [n, m] at the pixels ``idx`` (:func:`fld_pixels`).

    Parameters
    ----------
    wl_nm, radiance, noise : ndarray, shape (n, m)
        Pixel wavelengths (nm), radiances and their 1-sigma noise.
    good : ndarray of bool, shape (n, m)
        Pixels fit to use.
    white, up : ndarray, shape (n, m)
        Modelled white-reflector radiance ``I`` and upward transmittance ``U`` (NaN where
        not computed; iFLD needs ``white`` on the continuum pixels).
    idx : tuple of int
        In-band, left and right shoulder pixels.
    reference_nm : float
        Wavelength the results are scaled to with the fluorescence shape.

    Returns
    -------
    dict of ndarray
        ``{method}`` and ``{method}_uncertainty`` at ``reference_nm``, ``wavelength_in``
        (nm) and ``{method}_at_in`` unscaled; NaN where a pixel used is not good.
    """
    n = radiance.shape[0]
    rows = np.arange(n)
    a, b, c = idx

    def take(v: np.ndarray, j: int) -> np.ndarray:
        return np.asarray(v[rows, j], np.float64)

    l_in, l_l, l_r = take(radiance, a), take(radiance, b), take(radiance, c)
    s_in, s_l, s_r = take(noise, a), take(noise, b), take(noise, c)
    i_in, i_l, i_r = take(white, a), take(white, b), take(white, c)
    u_in, u_l, u_r = take(up, a), take(up, b), take(up, c)
    w_in, w_l, w_r = take(wl_nm, a), take(wl_nm, b), take(wl_nm, c)
    res = {"sfld": sfld(l_in, l_l, i_in, i_l, u_in, u_l, s_in, s_l),
           "3fld": three_fld(l_in, l_l, l_r, i_in, i_l, i_r, u_in, u_l, u_r, s_in, s_l, s_r,
                             (w_r - w_in) / (w_r - w_l))}
    alpha_r = apparent_reflectance_ratio(wl_nm, radiance, white, good, w_l, w_in)
    alpha_f = sif_shape(w_l) / sif_shape(w_in)
    res["ifld"] = ifld(l_in, l_l, i_in, i_l, u_in, u_l, s_in, s_l, alpha_r, alpha_f)
    ok_pair = good[rows, a] & good[rows, b]
    ok = {"sfld": ok_pair, "3fld": ok_pair & good[rows, c], "ifld": ok_pair}
    to_ref = sif_shape(np.array(reference_nm)) / sif_shape(w_in)
    out: dict[str, np.ndarray] = {"wavelength_in": w_in}
    for m, (f, u) in res.items():
        f = np.where(ok[m], f, np.nan)
        out[f"{m}_at_in"] = f
        out[m] = f * to_ref
        out[f"{m}_uncertainty"] = np.where(ok[m], u, np.nan) * to_ref
    return out
