"""Scattering matrices of canonical targets and land classes, and radar distortion.

Matrices are 2x2 complex ``S[receive, transmit]`` with H = 0, V = 1 (so ``S[1, 0]`` is
transmit H, receive V: the ``HV`` channel in the toolkit's naming), normalised so that a
target's radar cross-section is ``4 pi |S|^2`` (m^2) in each channel.

Distributed land classes are given by their lexicographic covariance ``C3`` of
``k = [S_HH, sqrt(2) S_HV, S_VV]`` per unit area (so that ``C3[0, 0]`` is sigma0 HH,
``C3[1, 1] / 2`` sigma0 HV and ``C3[2, 2]`` sigma0 VV, linear); a scatterer standing for
an area ``dA`` draws ``k`` from ``C3 * dA / (4 pi)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def trihedral(rcs_m2: float) -> np.ndarray:
    """Trihedral corner reflector: ``S = a I`` with ``4 pi a^2 = rcs``."""
    a = np.sqrt(rcs_m2 / (4 * np.pi))
    return a * np.eye(2, dtype=np.complex128)


def trihedral_rcs(edge_m: float, wavelength_m: float) -> float:
    """Peak RCS of a triangular trihedral of inner edge ``edge_m``: 4 pi a^4 / (3 lambda^2)."""
    return 4 * np.pi * edge_m**4 / (3 * wavelength_m**2)


def dihedral(rcs_m2: float, orientation_deg: float) -> np.ndarray:
    """Dihedral rotated by ``orientation_deg`` about the line of sight (0: HH - VV)."""
    a = np.sqrt(rcs_m2 / (4 * np.pi))
    c, s = np.cos(np.deg2rad(2 * orientation_deg)), np.sin(np.deg2rad(2 * orientation_deg))
    return a * np.array([[c, s], [s, -c]], dtype=np.complex128)


def dipole(rcs_m2: float, orientation_deg: float) -> np.ndarray:
    """Thin dipole at ``orientation_deg`` from horizontal (RCS in its own polarisation)."""
    a = np.sqrt(rcs_m2 / (4 * np.pi))
    c, s = np.cos(np.deg2rad(orientation_deg)), np.sin(np.deg2rad(orientation_deg))
    return a * np.array([[c * c, s * c], [s * c, s * s]], dtype=np.complex128)


@dataclass(frozen=True)
class Distortion:
    """Polarimetric distortion of the whole radar: ``O = R S T`` (Quegan's model).

    ``R = [[1, delta_1], [delta_2, f]]`` on receive and ``T = [[1, delta_3], [delta_4, f]]``
    on transmit, with cross-talk ``delta_i`` and channel imbalance ``f`` (V relative to H).
    """

    crosstalk: tuple[complex, complex, complex, complex] = (0j, 0j, 0j, 0j)
    imbalance: complex = 1.0 + 0j

    @classmethod
    def from_db(cls, crosstalk_db: float, imbalance_db: float, imbalance_deg: float,
                seed: int = 0) -> Distortion:
        """Cross-talk of ``crosstalk_db`` with random phases, imbalance in dB and degrees."""
        rng = np.random.default_rng(seed)
        mag = 10 ** (crosstalk_db / 20)
        d = tuple(complex(mag * np.exp(1j * p)) for p in rng.uniform(0, 2 * np.pi, 4))
        f = 10 ** (imbalance_db / 20) * np.exp(1j * np.deg2rad(imbalance_deg))
        return cls(d, complex(f))  # type: ignore[arg-type]

    @property
    def receive(self) -> np.ndarray:
        """Receive distortion matrix R."""
        d1, d2, _, _ = self.crosstalk
        return np.array([[1, d1], [d2, self.imbalance]], dtype=np.complex128)

    @property
    def transmit(self) -> np.ndarray:
        """Transmit distortion matrix T."""
        _, _, d3, d4 = self.crosstalk
        return np.array([[1, d3], [d4, self.imbalance]], dtype=np.complex128)

    def apply(self, s: np.ndarray) -> np.ndarray:
        """Observed matrices ``R S T`` for one (2, 2) or many (..., 2, 2) matrices."""
        return self.receive @ s @ self.transmit


def class_covariance(hh_db: float, hv_db: float, vv_db: float, rho: complex) -> np.ndarray:
    """C3 (lexicographic, per unit area) from sigma0 per channel and the HH-VV correlation."""
    hh, hv, vv = 10 ** (hh_db / 10), 10 ** (hv_db / 10), 10 ** (vv_db / 10)
    c = np.zeros((3, 3), dtype=np.complex128)
    c[0, 0], c[1, 1], c[2, 2] = hh, 2 * hv, vv
    c[0, 2] = rho * np.sqrt(hh * vv)
    c[2, 0] = np.conj(c[0, 2])
    return c


#: Land classes: code, name, C3. sigma0 levels are typical of L-band airborne data.
LAND_CLASSES: dict[int, tuple[str, np.ndarray]] = {
    1: ("forest", class_covariance(-8.0, -13.5, -8.5, 0.35)),
    2: ("paddy", class_covariance(-9.0, -21.0, -13.0, -0.45 + 0.1j)),
    3: ("wetland", class_covariance(-6.0, -19.0, -9.0, -0.3)),
    4: ("urban", class_covariance(-2.0, -14.0, -5.0, 0.25)),
    5: ("water", class_covariance(-26.0, -36.0, -23.0, 0.85)),
}


def draw_scatterers(class_map: np.ndarray, spacing_m: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Scattering matrices (n, 2, 2) of scatterers on a class map, one per cell.

    Cells of class 0 are empty and get zero matrices.
    """
    codes = np.asarray(class_map).ravel()
    out = np.zeros((codes.size, 2, 2), dtype=np.complex128)
    area = spacing_m**2
    for code, (_, c3) in LAND_CLASSES.items():
        sel = np.flatnonzero(codes == code)
        if not sel.size:
            continue
        chol = np.linalg.cholesky(c3 * area / (4 * np.pi))
        z = (rng.normal(size=(sel.size, 3)) + 1j * rng.normal(size=(sel.size, 3))) / np.sqrt(2)
        k = z @ chol.T
        out[sel, 0, 0] = k[:, 0]
        out[sel, 0, 1] = out[sel, 1, 0] = k[:, 1] / np.sqrt(2)
        out[sel, 1, 1] = k[:, 2]
    return out
