"""Radiometry: radar cross-section of point targets, beta0, sigma0 and gamma0.

The radar equation behind the descriptor's numbers (ICD section 7; the ICD does not spell
out ``calibration_constant_db``, read here as ADC counts per square-root watt at the
receiver input, ``C = 10^(dB / 20)``): a scatterer of scattering amplitude ``S``
(radar cross-section ``sigma = 4 pi |S|^2``) at ranges ``R_t`` and ``R_r`` gives an echo
of amplitude

``a = K g S / (R_t R_r)``, ``K = C sqrt(P_t) G0 lambda sqrt(4 pi) / (4 pi)^1.5``,

with ``G0 = 4 pi 0.886^2 / (beta_az beta_el)`` the peak gain of the ICD's sinc^2 pattern
and ``g`` the one-way power pattern towards it. Images of this package hold, for a point
target, ``a / g`` in ADC counts (the range-compressed peak with the receiver attenuation
restored and the pattern divided out, section "Pixel values" of docs/sar-processing.md).

For distributed scatterers of backscatter coefficient ``sigma0`` the expected pixel
intensity is ``(K / R^2)^2 sigma0 / (4 pi) * A_eff`` with ``A_eff`` the ground area of
the impulse response (the integral of its squared, peak-normalised magnitude):
``A_eff = (<W_a^2> / <W_a>^2) / B_a * (<W_r^2> / <W_r>^2) / B_r`` for spectral windows
``W`` over wavenumber bands ``B_a = 4 sin(theta_int / 2) / lambda`` (azimuth) and
``B_r = 2 B sin(theta_inc) / c`` (ground range), cycles per metre. Then
``beta0 = sigma0 / sin(theta_inc)`` and ``gamma0 = sigma0 / cos(theta_inc)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flightlog.constants import C_LIGHT_M_S, SINC2_BEAM_FACTOR
from sarproc.windows import window_weights


def radar_constant(center_frequency_hz: float, peak_power_w: float,
                   calibration_constant_db: float, azimuth_beamwidth_deg: float,
                   elevation_beamwidth_deg: float) -> float:
    """``K``: echo amplitude in ADC counts of a unit scattering amplitude at 1 m x 1 m."""
    lam = C_LIGHT_M_S / center_frequency_hz
    g0 = 4 * np.pi * SINC2_BEAM_FACTOR**2 / (np.deg2rad(azimuth_beamwidth_deg)
                                 * np.deg2rad(elevation_beamwidth_deg))
    c = 10 ** (calibration_constant_db / 20)
    return float(c * np.sqrt(peak_power_w) * g0 * lam * np.sqrt(4 * np.pi)
                 / (4 * np.pi) ** 1.5)


def band_radar_constant(band: Any, antenna: Any) -> float:
    """``K`` of a descriptor band (``sar.bands[]``) and antenna (``sar.antenna``)."""
    return radar_constant(band.center_frequency_hz, band.peak_power_w,
                          band.calibration_constant_db, antenna.azimuth_beamwidth_deg,
                          antenna.elevation_beamwidth_deg)


def point_rcs(peak_amplitude: float | np.ndarray, range_tx_m: float | np.ndarray,
              range_rx_m: float | np.ndarray, k: float) -> np.ndarray:
    """Radar cross-section (m^2) of a point target from its image peak amplitude."""
    s = np.asarray(peak_amplitude) * np.asarray(range_tx_m) * np.asarray(range_rx_m) / k
    return 4 * np.pi * s**2


def window_energy_factor(window: str) -> float:
    """``<W^2> / <W>^2`` of a spectral window (1 for rect)."""
    w = window_weights(window, (np.arange(4096) + 0.5) / 4096 - 0.5)
    return float(np.mean(w**2) / np.mean(w) ** 2)


def effective_area(range_window: str, azimuth_window: str, bandwidth_hz: float,
                   integration_angle_deg: float, wavelength_m: float,
                   sin_incidence: float | np.ndarray) -> np.ndarray:
    """Ground area (m^2) of the impulse response's squared magnitude (peak 1)."""
    b_a = 4 * np.sin(np.deg2rad(integration_angle_deg) / 2) / wavelength_m
    b_r = 2 * bandwidth_hz * np.asarray(sin_incidence) / C_LIGHT_M_S
    return (window_energy_factor(azimuth_window) / b_a
            * window_energy_factor(range_window) / b_r)


def sigma0(intensity: np.ndarray, slant_range_m: np.ndarray, k: float,
           area_m2: np.ndarray) -> np.ndarray:
    """Backscatter coefficient from mean pixel intensity ``<|p|^2>`` (linear, m^2/m^2)."""
    r2 = np.asarray(slant_range_m) ** 2
    return 4 * np.pi * np.asarray(intensity) * (r2 / k) ** 2 / np.asarray(area_m2)
