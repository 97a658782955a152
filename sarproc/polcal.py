"""Polarimetric calibration: cross-talk and channel imbalance, estimated and removed.

Model (Quegan, IEEE TGRS 32(1), 1994; the simulator's ``sim.scattering.Distortion``): the
observed matrix is ``O = R S T`` with ``R = [[1, d1], [d2, f]]`` on receive and
``T = [[1, d3], [d4, f]]`` on transmit (rows: receive H, V; columns: transmit H, V),
cross-talk ``d1..d4`` and the V/H channel imbalance ``f``.

Estimation, in Quegan's spirit but solved numerically rather than by his first-order
closed form: over a distributed, reflection-symmetric area (``<S_hh S_hv*> =
<S_vv S_hv*> = 0``) with reciprocity (``S_hv = S_vh``), the corrected 4 x 4 covariance
``R^-1 O T^-1`` must have zero co-/cross-polar correlations and identical, fully
correlated HV and VH; a trihedral (``S = I``) fixes the co-polar imbalance ``f^2`` (the
root with ``|arg f| < 90`` degrees). The ten real unknowns are fitted to these thirteen
real conditions by least squares (scipy), starting from no distortion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import least_squares


@dataclass(frozen=True)
class PolCal:
    """Estimated distortion: cross-talk ``d1..d4`` and imbalance ``f``."""

    crosstalk: tuple[complex, complex, complex, complex]
    imbalance: complex

    @property
    def receive(self) -> np.ndarray:
        """Receive matrix R."""
        d1, d2, _, _ = self.crosstalk
        return np.array([[1, d1], [d2, self.imbalance]], np.complex128)

    @property
    def transmit(self) -> np.ndarray:
        """Transmit matrix T."""
        _, _, d3, d4 = self.crosstalk
        return np.array([[1, d3], [d4, self.imbalance]], np.complex128)

    def correct(self, o: np.ndarray) -> np.ndarray:
        """Calibrated matrices ``R^-1 O T^-1`` for observed matrices (..., 2, 2)."""
        return np.linalg.inv(self.receive) @ o @ np.linalg.inv(self.transmit)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: magnitudes in dB and phases in degrees."""
        d = asdict(self)
        return {"crosstalk_db": [float(20 * np.log10(max(abs(x), 1e-30)))
                                 for x in d["crosstalk"]],
                "crosstalk_phase_deg": [float(np.degrees(np.angle(x))) for x in d["crosstalk"]],
                "imbalance_db": float(20 * np.log10(abs(self.imbalance))),
                "imbalance_deg": float(np.degrees(np.angle(self.imbalance)))}


def observed_covariance(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray,
                        vv: np.ndarray) -> np.ndarray:
    """4 x 4 covariance of ``[HH, HV, VH, VV]`` (HV: receive H, transmit V... see note).

    Note: the channels are named transmit then receive (``HV``: transmit H, receive V),
    so ``HV`` is the matrix element ``O[1, 0]`` (receive V, transmit H) and ``VH`` is
    ``O[0, 1]``.
    """
    k = np.stack([np.ravel(a) for a in (hh, hv, vh, vv)])
    ok = np.all(np.isfinite(k), axis=0)
    k = k[:, ok]
    return (k @ k.conj().T) / max(k.shape[1], 1)


def _matrices(o4: np.ndarray) -> np.ndarray:
    """[HH, HV, VH, VV] (tx-rx names) -> 2 x 2 matrices [rx, tx]."""
    return np.array([[o4[0], o4[2]], [o4[1], o4[3]]])


def estimate(cov4: np.ndarray, trihedral: np.ndarray) -> PolCal:
    """Estimate cross-talk and imbalance (module doc).

    Parameters
    ----------
    cov4 : numpy.ndarray
        :func:`observed_covariance` of a distributed, reflection-symmetric area.
    trihedral : numpy.ndarray
        Observed ``[HH, HV, VH, VV]`` (complex peak values) of a trihedral reflector.
    """
    tri = _matrices(np.asarray(trihedral, np.complex128))
    f2 = tri[1, 1] / tri[0, 0]
    f0 = np.sqrt(f2)
    if abs(np.angle(f0)) > np.pi / 2:
        f0 = -f0

    # linear map from observed [O_hh, O_vh(rx V? ), ...]: build M with vec(O) = M vec(S)
    def corrected_cov(p: np.ndarray) -> tuple[np.ndarray, PolCal]:
        d = p[0:8:2] + 1j * p[1:8:2]
        cal = PolCal((complex(d[0]), complex(d[1]), complex(d[2]), complex(d[3])),
                     complex(p[8] + 1j * p[9]))
        ri, ti = np.linalg.inv(cal.receive), np.linalg.inv(cal.transmit)
        # S = Ri O Ti -> vec(S) = (Ti^T kron Ri) vec(O), vec in column order [rx, tx]:
        # vec(O) = [O00 (HH), O10 (tx H rx V: "HV"), O01 ("VH"), O11 (VV)]
        m = np.kron(ti.T, ri)
        return m @ cov4 @ m.conj().T, cal

    def residuals(p: np.ndarray) -> np.ndarray:
        c, cal = corrected_cov(p)
        scale = np.sqrt(abs(c[0, 0] * c[3, 3]))
        r = [c[0, 1], c[0, 2], c[3, 1], c[3, 2]]
        out = [x / scale for x in r]
        cross = 0.5 * (c[1, 1].real + c[2, 2].real)
        res = [v for x in out for v in (x.real, x.imag)]
        res += [(c[1, 1].real - c[2, 2].real) / cross, (c[1, 2].real - cross) / cross,
                c[1, 2].imag / cross]
        s = cal.correct(tri)
        ratio = s[1, 1] / s[0, 0] - 1.0
        res += [10 * ratio.real, 10 * ratio.imag]
        return np.array(res)

    p0 = np.zeros(10)
    p0[8], p0[9] = f0.real, f0.imag
    fit = least_squares(residuals, p0, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return corrected_cov(fit.x)[1]
