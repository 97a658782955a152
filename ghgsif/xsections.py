"""Absorption cross-sections: line-by-line Voigt sums and tables over pressure and temperature.

Line by line (:func:`line_by_line`): every line of the packaged HITRAN lists (``.par``,
:mod:`ghgsif.hitran`) with its
line intensity at the layer temperature (the ratio of total internal partition sums
``Q(296 K) / Q(T)`` of the line's own isotopologue from TIPS-2025,
:func:`ghgsif.refdata.partition_sum`, the lower-state Boltzmann factor and stimulated
emission), pressure shift, Lorentz half width (air-broadened; water vapour's own
broadening for H2O, see below) with its temperature exponent, and the Doppler width of
the line's isotopologue (its own mass); the Voigt profile from Humlicek's W4
approximation of the Faddeeva function (JQSRT 27, 437, 1982). Every line is summed within
``wing_cm`` (25 cm-1, as HAPI's line-wing cut-off) of its centre; line mixing and
collision-induced absorption are not modelled. Checked against HAPI 1.3 on the same line
lists (``tests/test_ghgsif_reference.py``).

HITRAN's ``gamma_air`` is broadening by dry air, O2 included, so O2, CO2 and CH4 take it
alone. Water vapour is not part of dry air and broadens its own lines about five times
as much: H2O lines take ``(1 - x) gamma_air + x gamma_self`` with ``x`` the H2O mole
fraction of the US Standard atmosphere at the node's pressure
(:func:`standard_h2o_vmr`), the same in the simulator. A sounding twice as humid as the
standard at the surface widens them by another 3 % or so. Measured on the SWIR
retrievals (a humid sounding simulated with each layer's own H2O amount in the widths,
retrieved with these tables; ``benchmarks/h2o_self_broadening.py``): at twice the
standard humidity XCO2 moves by -0.02 ppm and XCH4 by -0.15 ppb, at three times (2.3 %
H2O at the surface) by -0.06 ppm and -0.7 ppb, against single-sounding uncertainties of
1.2 ppm and 7 ppb.

Tables (:class:`XsecTable`): cross-sections on the band's wavenumber grid at nodes in
``ln p`` (0.05 to 1100 hPa) and at temperature offsets from the standard profile at
each node's pressure; their logarithm is interpolated quadratically in ``ln p`` and
in ``T``. The
tests hold the tables to direct line-by-line within 0.1 % in transmittance.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numba as nb
import numpy as np

from flightlog.constants import AMU_KG, C2_CM_K, C_LIGHT_M_S, K_BOLTZMANN_J_K
from flightlog.provenance import atomic_output
from ghgsif.atmosphere import Layers
from ghgsif.bands import GROUPS
from ghgsif.refdata import (
    SELF_BROADENED,
    T_REF_K,
    LineLists,
    intensity_ratio_q,
    isotopologue_mass,
    line_file,
    line_list,
    us_standard_atmosphere,
)

T_REF = T_REF_K
SQRT_LN2 = float(np.sqrt(np.log(2.0)))
SQRT_PI = float(np.sqrt(np.pi))
TINY = 1e-35  # cm2: below any cross-section that matters, keeps the logarithm finite



@nb.njit(cache=True, nogil=True, inline="always")
def humlicek_w4(x: float, y: float) -> float:
    """Real part of the Faddeeva function ``w(x + iy)``, ``y >= 0`` (Humlicek 1982, W4)."""
    t = complex(y, -x)
    s = abs(x) + y
    if s >= 15.0:
        w = t * 0.5641896 / (0.5 + t * t)
    elif s >= 5.5:
        u = t * t
        w = t * (1.410474 + u * 0.5641896) / (0.75 + u * (3.0 + u))
    elif y >= 0.195 * abs(x) - 0.176:
        w = (16.4955 + t * (20.20933 + t * (11.96482 + t * (3.778987 + t * 0.5642236)))) / (
            16.4955 + t * (38.82363 + t * (39.27121 + t * (21.69274 + t * (6.699398 + t)))))
    else:
        u = t * t
        w = np.exp(u) - t * (36183.31 - u * (3321.9905 - u * (1540.787 - u * (
            219.0313 - u * (35.76683 - u * (1.320522 - u * 0.56419)))))) / (
            32066.6 - u * (24322.84 - u * (9022.228 - u * (2186.181 - u * (
                364.2191 - u * (61.57037 - u * (1.841439 - u)))))))
    return w.real


@nb.njit(cache=True, nogil=True, parallel=True)
def voigt_sum(nu: np.ndarray, nu0: np.ndarray, s: np.ndarray, gamma_l: np.ndarray,
              alpha_d: np.ndarray, wing: float, anchor: np.ndarray,
              out: np.ndarray) -> None:
    """Add ``sum_i s_i V(nu - nu0_i)`` to ``out`` on the ascending uniform grid ``nu``.

    Parallel over chunks of the grid, so that no two threads write one element.

    Parameters
    ----------
    nu : ndarray
        Ascending uniform wavenumber grid (cm-1).
    nu0, s : ndarray, shape (lines,)
        Pressure-shifted line centres (cm-1) and intensities.
    gamma_l, alpha_d : ndarray, shape (lines,)
        Lorentz and Doppler half widths at half maximum (cm-1).
    wing : float
        Each line is summed within ``wing`` (cm-1) of its ``anchor``.
    anchor : ndarray, shape (lines,)
        Unshifted centres, so that which grid points a line reaches does not change
        with pressure.
    out : ndarray, shape of ``nu``
        Added into.
    """
    n = nu.size
    d = nu[1] - nu[0]
    n_chunk = 64
    size = (n + n_chunk - 1) // n_chunk
    for c in nb.prange(n_chunk):
        lo_i, hi_i = c * size, min(n, (c + 1) * size)
        if lo_i >= hi_i:
            continue
        lo_nu, hi_nu = nu[lo_i], nu[hi_i - 1]
        for k in range(nu0.size):
            if anchor[k] + wing < lo_nu or anchor[k] - wing > hi_nu:
                continue
            inv_a = SQRT_LN2 / alpha_d[k]
            y = gamma_l[k] * inv_a
            amp = s[k] * inv_a / SQRT_PI
            i0 = max(lo_i, int(np.ceil((anchor[k] - wing - nu[0]) / d)))
            i1 = min(hi_i, int(np.floor((anchor[k] + wing - nu[0]) / d)) + 1)
            for i in range(i0, i1):
                out[i] += amp * humlicek_w4((nu[i] - nu0[k]) * inv_a, y)


def line_parameters(lines: np.ndarray, molecule: int, p_atm: float, t_k: float,
                    vmr: float = 0.0) -> tuple[np.ndarray, ...]:
    """Centres, intensities (cm-1 / (molecule cm-2)), Lorentz and Doppler half widths.

    ``vmr`` is the mole fraction of the gas itself, which takes ``gamma_self`` (module
    doc: water vapour only).
    """
    nu = lines["nu"]
    stim = (1 - np.exp(-C2_CM_K * nu / t_k)) / (1 - np.exp(-C2_CM_K * nu / T_REF))
    s = (lines["sw"] * intensity_ratio_q(molecule, lines["isotopologue"], t_k)
         * np.exp(-C2_CM_K * lines["elower"] * (1 / t_k - 1 / T_REF)) * stim)
    gam = ((1 - vmr) * lines["gamma_air"] + vmr * lines["gamma_self"]) * p_atm * (
        T_REF / t_k) ** lines["n_air"]
    centre = nu + lines["delta_air"] * p_atm
    mass = isotopologue_mass(molecule, lines["isotopologue"]) * AMU_KG
    alpha = centre / C_LIGHT_M_S * np.sqrt(2 * K_BOLTZMANN_J_K * t_k * np.log(2) / mass)
    return centre, s, gam, alpha


def line_by_line(nu: np.ndarray, band_group: str, gas: str, p_hpa: float, t_k: float,
                 vmr: float = 0.0, wing_cm: float = 25.0,
                 line_lists: LineLists = ()) -> np.ndarray:
    """Cross-section (cm2 per molecule) of one gas on the ascending grid ``nu`` (cm-1).

    Parameters
    ----------
    nu : numpy.ndarray
        Ascending vacuum wavenumbers (cm-1).
    band_group : str
        Wavelength group (:data:`ghgsif.bands.GROUPS`) whose line lists serve.
    gas : str
        Gas name of the group.
    p_hpa, t_k : float
        Pressure (hPa) and temperature (K).
    vmr : float
        The gas's own mole fraction (self-broadening, module doc).
    wing_cm : float
        Every line is summed within this distance of its centre (cm-1).
    line_lists : tuple
        User ``.par`` files that replace the packaged line lists.
    """
    mol = GROUPS[band_group].gases[gas]
    lines = line_list(band_group, mol, float(nu[0] - wing_cm), float(nu[-1] + wing_cm),
                      line_lists)
    out = np.zeros(nu.size)
    if lines.size == 0:
        return out
    c, s, g, a = line_parameters(lines, mol, p_hpa / 1013.25, t_k, vmr)
    voigt_sum(np.ascontiguousarray(nu, np.float64), c, s, g, a, float(wing_cm),
              np.ascontiguousarray(lines["nu"], np.float64), out)
    return out


def standard_h2o_vmr(p_hpa: float) -> float:
    """H2O mole fraction of the US Standard atmosphere at ``p_hpa`` (log-pressure interp)."""
    a = us_standard_atmosphere()
    return float(np.interp(np.log(p_hpa), np.log(a["p_hpa"])[::-1], a["H2O"][::-1]))


def _lagrange3(nodes: np.ndarray, x: float) -> list[tuple[int, float]]:
    """The three nodes nearest ``x`` and their quadratic Lagrange weights.

    Clamped to the grid's ends: values just outside are extrapolated from the end nodes.
    """
    i = int(np.clip(np.searchsorted(nodes, x) - 1, 1, nodes.size - 2))
    idx = (i - 1, i, i + 1)
    out = []
    for a in idx:
        w = 1.0
        for b in idx:
            if b != a:
                w *= (x - nodes[b]) / (nodes[a] - nodes[b])
        out.append((a, w))
    return out


@dataclass(frozen=True)
class XsecTable:
    """Log cross-sections ``ln(sigma + TINY)`` [gas][ln p node, T node, nu].

    On an ascending wavenumber grid.
    """

    band_group: str
    nu: np.ndarray
    ln_p: np.ndarray
    t_offsets: np.ndarray
    xsec: dict[str, np.ndarray]

    def t_standard(self, p_hpa: np.ndarray) -> np.ndarray:
        """Temperature of the standard profile at ``p_hpa``."""
        a = us_standard_atmosphere()
        lp = np.log(a["p_hpa"])[::-1]
        return np.interp(np.log(p_hpa), lp, a["t_k"][::-1])

    def column(self, gas: str, layers: Layers,
               below: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Vertical optical depths of a gas through all ``layers`` and through some.

        The second sums the layers where ``below`` is true (none when omitted). Summed
        layer by layer (the order numpy sums a stack's rows in, so the same bits), not
        stacked: a stack of the O2-A band's layers is 70 MB.
        """
        down = np.zeros(self.nu.size)
        up = np.zeros(self.nu.size)
        for k in range(layers.p_hpa.size):
            tau = layers.air_column_cm2[k] * layers.vmr[gas][k] * self.at(
                gas, float(layers.p_hpa[k]), float(layers.t_k[k]))
            down += tau
            if below is not None and below[k]:
                up += tau
        return down, up

    def at(self, gas: str, p_hpa: float, t_k: float) -> np.ndarray:
        """Cross-section at one layer's pressure and temperature.

        The logarithm of the cross-section is interpolated, quadratically (three-node
        Lagrange) in ``ln p`` and in the temperature offset. Between lines the Lorentz wings grow
        as ``p`` and at line centres the peak falls as ``1 / p``: both are straight lines
        in ``ln sigma`` against ``ln p``.
        """
        out = np.zeros(self.nu.size)
        for ii, wp in _lagrange3(self.ln_p, float(np.log(p_hpa))):
            dt = t_k - float(self.t_standard(np.array(np.exp(self.ln_p[ii]))))
            for kk, wt in _lagrange3(self.t_offsets, dt):
                out += (wp * wt) * self.xsec[gas][ii, kk].astype(np.float64)
        return np.exp(out) - TINY


#: A table's pressure nodes (in ln p, 0.05 to 1100 hPa) and temperature offsets (K).
N_PRESSURE_NODES, T_OFFSETS_K = 36, (-30.0, -15.0, 0.0, 15.0, 30.0)


def _table_nodes(n_p: int, t_offsets: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The ``ln p`` nodes and the temperature offsets of a table."""
    return np.linspace(np.log(0.05), np.log(1100.0), n_p), np.asarray(t_offsets, np.float64)


def gas_table(band_group: str, nu: np.ndarray, gas: str, ln_p: np.ndarray,
              t_offsets: np.ndarray, dtype: type = np.float64,
              line_lists: LineLists = ()) -> np.ndarray:
    """One gas's log cross-sections [ln p node, T node, nu] (module doc), in ``dtype``.

    Filled one line-by-line spectrum at a time, so building takes the table's own size
    in memory and a spectrum more.

    Parameters
    ----------
    band_group : str
        Wavelength group whose line data are used (:data:`ghgsif.bands.GROUPS`).
    nu : ndarray
        Wavenumber grid (cm-1).
    gas : str
        Molecule.
    ln_p : ndarray
        Log-pressure nodes (ln hPa).
    t_offsets : ndarray
        Temperature nodes as offsets from the standard profile at each pressure (K).
    dtype : type
        Table dtype.
    line_lists : LineLists
        User line lists replacing the packaged ones.
    """
    t_std = XsecTable(band_group, nu, ln_p, t_offsets, {}).t_standard(np.exp(ln_p))
    arr: np.ndarray = np.empty((ln_p.size, t_offsets.size, nu.size), dtype)
    for i, lp in enumerate(ln_p):
        p = float(np.exp(lp))
        vmr = standard_h2o_vmr(p) if gas in SELF_BROADENED else 0.0
        for k, dt in enumerate(t_offsets):
            arr[i, k] = np.log(line_by_line(nu, band_group, gas, p, float(t_std[i] + dt),
                                            vmr, line_lists=line_lists) + TINY)
    return arr


def build_table(band_group: str, nu: np.ndarray, n_p: int = N_PRESSURE_NODES,
                t_offsets: tuple[float, ...] = T_OFFSETS_K,
                line_lists: LineLists = ()) -> XsecTable:
    """Cross-section tables of a band group's gases on ``nu`` (module doc)."""
    ln_p, t_off = _table_nodes(n_p, t_offsets)
    nu = np.asarray(nu, np.float64)
    return XsecTable(band_group, nu, ln_p, t_off,
                     {gas: gas_table(band_group, nu, gas, ln_p, t_off,
                                     line_lists=line_lists)
                      for gas in GROUPS[band_group].gases})


def cache_dir() -> Path | None:
    """Folder of the on-disk table cache: ``$PISAR_L3_CACHE``, else ``~/.cache/pisar-l3``.

    ``PISAR_L3_CACHE=off`` disables it.
    """
    env = os.environ.get("PISAR_L3_CACHE")
    if env is not None:
        return None if env.lower() in ("", "0", "off", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pisar-l3"


def _table_key(band_group: str, nu: np.ndarray, line_lists: LineLists = ()) -> str:
    """Cache key of a table: the grid and the content of every line list used."""
    h = hashlib.sha256(f"{_TABLE_SCHEMA}:{band_group}:{nu.size}:{nu[0]!r}:{nu[-1]!r}".encode())
    for mol in sorted(GROUPS[band_group].gases.values()):
        with open(line_file(band_group, mol, line_lists), "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:24]


#: Bump when the line-by-line physics or the table layout changes (invalidates caches).
_TABLE_SCHEMA = 2  # 2: TIPS partition sums, isotopologue masses, 25 cm-1 wings, H2O self


class _CachedGases(dict):  # type: ignore[type-arg]
    """The gases of a cached table, read from its file one at a time when used.

    Only the gas last asked for stays in memory (the forward model takes one gas at a
    time), which keeps a band's table to a single gas's share of memory.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def __missing__(self, gas: str) -> np.ndarray:
        self.clear()
        arr = npz_member(self.path, gas)
        self[gas] = arr
        return arr


def npz_member(path: Path, name: str) -> np.ndarray:
    """One array of an ``.npz`` file: memory-mapped (read-only) when stored uncompressed.

    A table is read a few pressure and temperature nodes at a time, so mapping it keeps
    in memory only the pages used; a compressed member is read whole. Offsets and sizes
    from the zip and ``.npy`` headers are checked against the file's size.
    """
    with zipfile.ZipFile(path) as zf:
        try:
            info = zf.getinfo(f"{name}.npy")
        except KeyError:
            raise KeyError(f"{path}: no array {name!r}") from None
        if info.compress_type != zipfile.ZIP_STORED:
            with zf.open(info) as fh:
                return np.asarray(np.lib.format.read_array(fh, allow_pickle=False))
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise ValueError(f"{path}: member {name!r} at byte {info.header_offset}: "
                             "not a zip local header")
        n_name, n_extra = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + n_name + n_extra)
        version = np.lib.format.read_magic(fh)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(fh)
        offset = fh.tell()
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if dtype.hasobject or offset + nbytes > size or nbytes != info.file_size - (
            offset - info.header_offset - 30 - n_name - n_extra):
        raise ValueError(f"{path}: member {name!r}: header says {shape} {dtype} at byte "
                         f"{offset}, which the file ({size} bytes) does not hold")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                     order="F" if fortran else "C")


def band_table(band_group: str, lo_nm: float, hi_nm: float, step_cm: float = 0.004,
               margin_nm: float = 1.0, line_lists: LineLists = ()) -> XsecTable:
    """The table of a band: built once, then read from the on-disk cache (:func:`cache_dir`).

    The log cross-sections are kept in single precision (1e-7 relative), both when built
    and when read back, so a run gives the same numbers with a cold or a warm cache. The
    forward model (:class:`ghgsif.forward.BandForward`, cached) keeps only the optical
    depths it needs, so the table itself is not held in memory.
    """
    nu = np.arange(1e7 / (hi_nm + margin_nm), 1e7 / (lo_nm - margin_nm), step_cm)
    folder = cache_dir()
    path = (folder / f"xsec_{band_group}_{_table_key(band_group, nu, line_lists)}.npz"
            if folder else None)
    if path is not None and path.is_file():
        try:
            for gas in GROUPS[band_group].gases:  # every member present, whole, in place
                npz_member(path, gas)
            return XsecTable(band_group, nu, np.array(npz_member(path, "ln_p")),
                             np.array(npz_member(path, "t_offsets")), _CachedGases(path))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # unreadable cache entry: rebuild it
    ln_p, t_off = _table_nodes(N_PRESSURE_NODES, T_OFFSETS_K)

    def arrays() -> Iterator[tuple[str, np.ndarray]]:
        yield "ln_p", ln_p
        yield "t_offsets", t_off
        for gas in GROUPS[band_group].gases:
            yield gas, gas_table(band_group, nu, gas, ln_p, t_off, np.float32, line_lists)

    if path is not None:
        try:
            with atomic_output(path) as tmp:  # removed if the build or the write fails
                _save_npz(tmp, arrays())
            return XsecTable(band_group, nu, ln_p, t_off, _CachedGases(path))
        except OSError:
            pass  # a read-only home: tables are built per process and kept in memory
    return XsecTable(band_group, nu, ln_p, t_off,
                     {name: arr for name, arr in arrays() if name in GROUPS[band_group].gases})


def _save_npz(path: Path, arrays: Iterable[tuple[str, np.ndarray]]) -> None:
    """An uncompressed ``.npz`` written one array at a time as ``arrays`` yields them.

    ``numpy.savez`` needs every array at once; a table is built and written gas by gas,
    so building takes one gas's share of memory (reading maps it: :func:`npz_member`).
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays:
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(arr), allow_pickle=False)
            del arr  # before the next is built: one gas in memory at a time
