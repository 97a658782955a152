"""Physical constants shared by every package, each with its source.

One definition each: the kernels, the science steps and the simulator import them from
here. Names carry their units.
"""

from __future__ import annotations

#: Speed of light in vacuum (m/s), exact by definition (SI Brochure, 9th edition, BIPM 2019).
C_LIGHT_M_S = 299_792_458.0

#: Boltzmann constant (J/K), exact by definition (SI Brochure, 9th edition, BIPM 2019).
K_BOLTZMANN_J_K = 1.380649e-23

#: Avogadro constant (1/mol), exact by definition (SI Brochure, 9th edition, BIPM 2019).
AVOGADRO_PER_MOL = 6.02214076e23

#: Atomic mass constant (kg), CODATA 2018 (Tiesinga et al., Rev. Mod. Phys. 93, 025010,
#: 2021); HITRAN's isotopologue masses are in these units.
AMU_KG = 1.66053906660e-27

#: Second radiation constant ``h c / k`` (cm K): CODATA 2018's 1.438776877e-2 m K to eight
#: significant digits, as HITRAN's line intensities use it.
C2_CM_K = 1.4387769

#: Standard acceleration of gravity (m/s2), 3rd CGPM (1901), exact.
G0_M_S2 = 9.80665

#: Molar mass of dry air (kg/mol), U.S. Standard Atmosphere 1976 (NOAA/NASA/USAF), Table 1.
M_AIR_KG_PER_MOL = 28.9644e-3

#: Mass of one molecule of dry air (kg).
M_AIR_KG = M_AIR_KG_PER_MOL / AVOGADRO_PER_MOL

#: WGS84 semi-major axis (m) and flattening (NGA.STND.0036, 1.0.0 WGS84, 2014, Table 3.1).
WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B = WGS84_A * (1.0 - WGS84_F)
#: First and second eccentricities squared, derived from ``a`` and ``f``.
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)

#: Factor of the antenna's one-way power pattern ``sinc^2(0.886 theta / beamwidth)``
#: (``../shared/ICD.md`` section 7): the uniform aperture whose half-power full width is
#: ``beamwidth`` (sinc^2(0.443) = 1/2).
SINC2_BEAM_FACTOR = 0.886
