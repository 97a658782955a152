"""Forward model of a band: top-of-aircraft radiance and its analytic Jacobians.

On the cross-section tables' fine wavenumber grid (:mod:`ghgsif.xsections`), for the prior
atmosphere's layers (:mod:`ghgsif.atmosphere`) from the surface to 70 km with a level at
the aircraft, the two-way airborne path

    L = F mu0 / pi * rho(l) * exp(-tau_down / mu0 - tau_up / mu_v) + SIF g(l) exp(-tau_up / mu_v)

with ``tau_down`` the gases' vertical optical depth above the surface, ``tau_up`` the
part below the aircraft, each gas's column scaled by its state element ``s_g``; the
surface reflectance a polynomial ``rho = a0 + a1 x + a2 x^2`` in the normalised
wavelength ``x`` of the band; ``g`` the fluorescence shape (O2-A band; normalised at
757 nm). The radiance reaches the pixels through each pixel's Gaussian ISRF, integrated on
the fine grid (one sparse matrix per set of pixel wavelengths). Jacobians with respect to
``s_g``, ``a_k`` and ``SIF`` are analytic and go through the same matrix.

Approximations (documented in the products): no scattering (Rayleigh, aerosol, cloud
multiple scattering), no line mixing or collision-induced absorption, the Earth-Sun
distance 1 AU. Line intensities, widths and wings as in :mod:`ghgsif.xsections` (TIPS
partition sums, isotopologue masses, 25 cm-1 wings, checked against HAPI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numba as nb
import numpy as np
import scipy.sparse

from ghgsif.atmosphere import Layers, make_layers
from ghgsif.bands import group_of
from ghgsif.refdata import LineLists, solar_irradiance
from ghgsif.sif import sif_shape
from ghgsif.xsections import band_table

SIF_REFERENCE_NM = 757.0


@dataclass
class State:
    """Gas column scales, reflectance polynomial and SIF (W m-2 sr-1 nm-1 at 757 nm)."""

    scales: dict[str, float]
    albedo: tuple[float, float, float] = (0.3, 0.0, 0.0)
    sif: float = 0.0

    def vector(self, gases: list[str]) -> np.ndarray:
        """As a vector: scales of ``gases``, albedo terms, SIF."""
        return np.array([self.scales[g] for g in gases] + list(self.albedo) + [self.sif])

    @classmethod
    def from_vector(cls, v: np.ndarray, gases: list[str]) -> State:
        """Inverse of :meth:`vector`."""
        n = len(gases)
        return cls({g: float(v[i]) for i, g in enumerate(gases)},
                   (float(v[n]), float(v[n + 1]), float(v[n + 2])), float(v[n + 3]))


@dataclass
class BandForward:
    """The forward model of one band over a flat surface (module doc)."""

    lo_nm: float
    hi_nm: float
    aircraft_km: float
    surface_km: float = 0.0
    line_lists: LineLists = ()  # user .par files replacing the packaged line lists
    gases: list[str] = field(init=False)
    layers: Layers = field(init=False)

    def __post_init__(self) -> None:
        grp = group_of(self.lo_nm, self.hi_nm)
        group = grp.name
        tab = band_table(group, self.lo_nm, self.hi_nm, line_lists=self.line_lists)
        self.gases = list(grp.gases)
        self.layers = make_layers(self.surface_km, self.aircraft_km)
        lay = self.layers
        below = lay.z_top_km <= self.aircraft_km + 1e-9
        self.nu = tab.nu
        self.wl = 1e7 / tab.nu  # descending
        self.tau_down: dict[str, np.ndarray] = {}
        self.tau_up: dict[str, np.ndarray] = {}
        for g in self.gases:
            self.tau_down[g], self.tau_up[g] = tab.column(g, lay, below)
        nu_s, f_nu = solar_irradiance(group)
        self.solar = np.interp(self.nu, nu_s, f_nu) * self.nu**2 / 1e7  # W m-2 nm-1
        self.x = (self.wl - 0.5 * (self.lo_nm + self.hi_nm)) / (0.5 * (self.hi_nm - self.lo_nm))
        self._dl_sorted = np.ascontiguousarray(np.abs(np.gradient(self.wl[::-1])))
        self.fluor = (sif_shape(self.wl) / float(sif_shape(np.array(SIF_REFERENCE_NM)))
                      if grp.fluorescence else np.zeros(self.wl.size))

    @property
    def n_state(self) -> int:
        """Length of the state vector."""
        return len(self.gases) + 4

    def isrf_matrix(self, pixel_wl: np.ndarray, fwhm_nm: float) -> scipy.sparse.csr_matrix:
        """Sparse (pixels, fine grid) matrix of unit-area Gaussian ISRFs (to 5 sigma)."""
        return self.isrf_matrices(pixel_wl, fwhm_nm)[0]

    def isrf_matrices(self, pixel_wl: np.ndarray, fwhm_nm: float
                      ) -> tuple[scipy.sparse.csr_matrix, scipy.sparse.csr_matrix]:
        """The ISRF matrix and its derivative with respect to a shift of the pixels.

        The derivative is per nm of a common shift of the pixel wavelengths, with the
        weights kept normalised.
        """
        sig = fwhm_nm / (2 * np.sqrt(2 * np.log(2)))
        pix = np.ascontiguousarray(pixel_wl, np.float64)
        wl_sorted = np.ascontiguousarray(self.wl[::-1])  # ascending
        n_fine = wl_sorted.size
        lo = np.searchsorted(wl_sorted, pix - 5 * sig)
        hi = np.searchsorted(wl_sorted, pix + 5 * sig)
        indptr = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int64)
        w = np.empty(indptr[-1])
        dw = np.empty(indptr[-1])
        cols = np.empty(indptr[-1], np.int64)
        isrf_csr(wl_sorted, self._dl_sorted, pix, float(sig), lo.astype(np.int64), indptr,
                 w, dw, cols)
        out = []
        for vals in (w, dw):
            m = scipy.sparse.csr_matrix((vals, cols, indptr), shape=(pix.size, n_fine))
            m.has_sorted_indices = True
            out.append(m)
        return out[0], out[1]

    def fine(self, state: State, sza_deg: float, vza_deg: float,
             jacobian: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Monochromatic radiance on the fine grid and its Jacobian (fine grid, n_state)."""
        mu0, mu = np.cos(np.deg2rad(sza_deg)), np.cos(np.deg2rad(vza_deg))
        t_down = np.zeros(self.nu.size)
        t_up = np.zeros(self.nu.size)
        for g in self.gases:
            t_down += state.scales[g] * self.tau_down[g]
            t_up += state.scales[g] * self.tau_up[g]
        e_up = np.exp(-t_up / mu)
        two_way = np.exp(-t_down / mu0) * e_up
        a0, a1, a2 = state.albedo
        rho = a0 + a1 * self.x + a2 * self.x**2
        sun = self.solar * mu0 / np.pi * two_way
        refl = sun * rho
        fl = state.sif * self.fluor * e_up
        if not jacobian:
            return refl + fl, None
        cols = []
        for g in self.gases:
            cols.append(-refl * (self.tau_down[g] / mu0 + self.tau_up[g] / mu)
                        - fl * self.tau_up[g] / mu)
        cols += [sun, sun * self.x, sun * self.x**2, self.fluor * e_up]
        return refl + fl, np.stack(cols, axis=1)

    def path_terms(self, pixel_wl: np.ndarray, fwhm_nm: float, sza_deg: float,
                   vza_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """The FLD terms of the prior atmosphere at ``pixel_wl`` (:mod:`ghgsif.fld`).

        The radiance of a white reflector at the aircraft and the transmittance from the
        surface to the aircraft, each through the pixels' ISRFs.
        """
        white, _ = self.fine(State({g: 1.0 for g in self.gases}, (1.0, 0.0, 0.0), 0.0),
                             sza_deg, vza_deg, jacobian=False)
        t_up = sum((self.tau_up[g] for g in self.gases), np.zeros(self.nu.size))
        up = np.exp(-t_up / np.cos(np.deg2rad(vza_deg)))
        m = self.isrf_matrix(pixel_wl, fwhm_nm)
        return np.asarray(m @ white), np.asarray(m @ up)

    def radiance(self, state: State, sza_deg: float, vza_deg: float,
                 isrf: scipy.sparse.csr_matrix,
                 jacobian: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Pixel radiance (W m-2 sr-1 nm-1) and Jacobian (pixels, n_state)."""
        f, k = self.fine(state, sza_deg, vza_deg, jacobian)
        return isrf @ f, (None if k is None else np.asarray(isrf @ k))


@nb.njit(cache=True, nogil=True, parallel=True)
def isrf_csr(wl_asc: np.ndarray, dl_asc: np.ndarray, pix: np.ndarray, sig: float,
             lo: np.ndarray, indptr: np.ndarray, w: np.ndarray, dw: np.ndarray,
             cols: np.ndarray) -> None:
    """Gaussian ISRF weights of each pixel on the descending fine grid, in CSR order.

    Parameters
    ----------
    wl_asc, dl_asc : ndarray
        The fine grid, ascending (nm), and its spacing at each point.
    pix : ndarray
        Pixel centre wavelengths (nm).
    sig : float
        Gaussian standard deviation (nm).
    lo : ndarray of int
        First fine point (of ``wl_asc``) of each pixel's row; a row covers the points
        within 5 sigma.
    indptr : ndarray of int
        CSR row pointers; row ``i`` has ``indptr[i + 1] - indptr[i]`` points.
    w : ndarray
        Filled with the weights, normalised to unit sum per row.
    dw : ndarray
        Filled with their derivative with respect to a common shift of the pixels
        (weights kept normalised).
    cols : ndarray of int
        Filled with the columns: indices of the descending grid, ascending in a row.
    """
    n_fine = wl_asc.size
    inv = 1.0 / sig
    for i in nb.prange(pix.size):
        a, b = indptr[i], indptr[i + 1]
        total = 0.0
        for k in range(a, b):
            j = lo[i] + (b - 1 - k)  # ascending columns: descending fine index
            u = (wl_asc[j] - pix[i]) * inv
            dw[k] = u * inv  # d(log weight) / d(shift), before normalisation
            w[k] = np.exp(-0.5 * u * u) * dl_asc[j]
            cols[k] = n_fine - 1 - j
            total += w[k]
        scale = 1.0 / max(total, 1e-300)
        mean_du = 0.0
        for k in range(a, b):
            w[k] *= scale
            mean_du += w[k] * dw[k]
        for k in range(a, b):
            dw[k] = w[k] * (dw[k] - mean_du)


@lru_cache(maxsize=4)
def band_forward(lo_nm: float, hi_nm: float, aircraft_km: float,
                 surface_km: float = 0.0, line_lists: LineLists = ()) -> BandForward:
    """A :class:`BandForward`, built once per process for the same arguments.

    The last four are kept (a few megabytes each: one per band and a change of height).
    """
    return BandForward(lo_nm, hi_nm, aircraft_km, surface_km, line_lists)
