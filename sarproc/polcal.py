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
root with ``|arg f| < 90`` degrees). Thermal noise, independent in every channel, adds
its power to the observed covariance's diagonal (``N_H`` in the channels received on H,
``N_V`` on V) and would break the full correlation of HV and VH wherever the cross-polar
backscatter is near the noise floor (water, bare soil): the two noise powers are
unknowns too and are subtracted before the correction. The twelve real unknowns are
fitted to these thirteen real conditions by least squares (scipy), starting from no
distortion and no noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import least_squares

W_COCROSS = 100.0  # weight of the co-/cross-polar conditions (module doc)


@dataclass(frozen=True)
class PolCal:
    """Estimated distortion: cross-talk ``d1..d4`` and imbalance ``f``.

    ``noise`` holds the thermal-noise powers ``(N_H, N_V)`` of the channels received on H
    and V found with them (image units squared; zero when not estimated).
    """

    crosstalk: tuple[complex, complex, complex, complex]
    imbalance: complex
    noise: tuple[float, float] = (0.0, 0.0)

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
                "imbalance_deg": float(np.degrees(np.angle(self.imbalance))),
                "noise_power": [float(v) for v in self.noise]}


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


def observed_matrix(o4: np.ndarray) -> np.ndarray:
    """[HH, HV, VH, VV] (tx-rx names) -> 2 x 2 matrices [rx, tx]."""
    return np.array([[o4[0], o4[2]], [o4[1], o4[3]]])


def canonical_matrix(kind: str) -> np.ndarray | None:
    """Normalised scattering matrix of a reflector kind, or None if it has none.

    ``trihedral``: ``I``; ``dihedralNN`` (NN degrees about the line of sight, 0 for the
    HH - VV dihedral): ``[[cos 2t, sin 2t], [sin 2t, -cos 2t]]``.
    """
    k = kind.strip().lower()
    if k == "trihedral":
        return np.eye(2, dtype=np.complex128)
    if k.startswith("dihedral"):
        try:
            t = np.deg2rad(2 * float(k[len("dihedral"):] or 0.0))
        except ValueError:
            return None
        return np.array([[np.cos(t), np.sin(t)], [np.sin(t), -np.cos(t)]], np.complex128)
    return None


def estimate(cov4: np.ndarray, targets: list[tuple[np.ndarray, np.ndarray]],
             target_weight: float = 100.0) -> PolCal:
    """Estimate cross-talk, imbalance and noise (module doc).

    Parameters
    ----------
    cov4 : numpy.ndarray
        :func:`observed_covariance` of a distributed, reflection-symmetric area.
    targets : list of (numpy.ndarray, numpy.ndarray)
        Reflectors of known kind: observed ``[HH, HV, VH, VV]`` (complex peak values) and
        the normalised scattering matrix (:func:`canonical_matrix`). At least one must be a
        trihedral (it fixes the co-polar imbalance ``f^2``). Each adds the mismatch of its
        observation to ``a R S T`` (``a`` its best-fitting complex amplitude), relative to
        its own magnitude and weighted by ``target_weight``: with a trihedral and a 0 degree
        dihedral the reflectors alone determine the distortion (to their signal-to-clutter
        ratio), which the distributed conditions refine; with a trihedral alone the
        cross-talk comes from the distributed area.
    target_weight : float
        Weight of the reflectors' conditions against the distributed ones.
    """
    obs = [(observed_matrix(np.asarray(o, np.complex128)), np.asarray(m, np.complex128))
           for o, m in targets]
    tris = [o for o, m in obs if np.allclose(m, np.eye(2))]
    if not tris:
        raise ValueError("polarimetric calibration needs a trihedral among the targets")
    tri = max(tris, key=lambda o: abs(o[0, 0]))
    f2 = tri[1, 1] / tri[0, 0]
    f0 = np.sqrt(f2)
    if abs(np.angle(f0)) > np.pi / 2:
        f0 = -f0

    # channels [HH, HV, VH, VV] are received on [H, V, H, V]
    rx_v = np.array([0.0, 1.0, 0.0, 1.0])
    cross0 = 0.5 * float(cov4[1, 1].real + cov4[2, 2].real)

    def corrected_cov(p: np.ndarray) -> tuple[np.ndarray, PolCal]:
        d = p[0:8:2] + 1j * p[1:8:2]
        noise = (cross0 * p[10], cross0 * p[11])
        cal = PolCal((complex(d[0]), complex(d[1]), complex(d[2]), complex(d[3])),
                     complex(p[8] + 1j * p[9]), (float(noise[0]), float(noise[1])))
        ri, ti = np.linalg.inv(cal.receive), np.linalg.inv(cal.transmit)
        # S = Ri O Ti -> vec(S) = (Ti^T kron Ri) vec(O), vec in column order [rx, tx]:
        # vec(O) = [O00 (HH), O10 (tx H rx V: "HV"), O01 ("VH"), O11 (VV)]
        m = np.kron(ti.T, ri)
        signal = cov4 - np.diag(noise[0] * (1 - rx_v) + noise[1] * rx_v)
        return m @ signal @ m.conj().T, cal

    def residuals(p: np.ndarray) -> np.ndarray:
        c, cal = corrected_cov(p)
        scale = np.sqrt(abs(c[0, 0] * c[3, 3]))
        r = [c[0, 1], c[0, 2], c[3, 1], c[3, 2]]
        out = [W_COCROSS * x / scale for x in r]
        cross = 0.5 * (c[1, 1].real + c[2, 2].real)
        res = [v for x in out for v in (x.real, x.imag)]
        res += [(c[1, 1].real - c[2, 2].real) / cross, (c[1, 2].real - cross) / cross,
                c[1, 2].imag / cross]
        rm, tm = cal.receive, cal.transmit
        for o, m in obs:
            model = rm @ m @ tm
            a = np.vdot(model, o) / np.vdot(model, model)
            e = (o - a * model).ravel() * (target_weight / np.linalg.norm(o))
            res += [v for x in e for v in (x.real, x.imag)]
        return np.array(res)

    p0 = np.zeros(12)
    p0[8], p0[9] = f0.real, f0.imag
    lo = np.full(12, -np.inf)
    hi = np.full(12, np.inf)
    lo[10:] = 0.0  # noise powers, in units of the observed cross-polar power
    hi[10:] = 1.0
    p0[10:] = 1e-3
    fit = least_squares(residuals, p0, bounds=(lo, hi), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return corrected_cov(fit.x)[1]
