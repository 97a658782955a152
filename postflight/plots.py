"""Figures of the flight report (matplotlib, Agg): PNG bytes to embed in the HTML.

Each figure function takes what the report knows (the dump, the products) and returns a
:class:`matplotlib.figure.Figure`, or ``None`` when the flight has nothing to show for it;
:data:`FIGURES` lists them in the report's order, so a new figure is one function and one
entry. Long series are thinned to at most :data:`MAX_POINTS` points for drawing; nothing
is computed from the thinned series.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Points drawn per series at most (thinned evenly).
MAX_POINTS = 4000


def _thin(n: int) -> slice:
    return slice(None, None, max(1, -(-n // MAX_POINTS)))


def _figure(rows: int = 1, height: float = 3.0, **kw: Any) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, height * rows), layout="constrained")
    return fig, fig.subplots(rows, 1, squeeze=False, **kw)[:, 0]


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes (100 dpi)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def navigation(dump: str | os.PathLike[str]) -> dict[str, np.ndarray] | None:
    """The dump's trajectory, thinned, in geodetic terms and Euler angles (degrees).

    Keys ``t`` (GPS s), ``lat``, ``lon``, ``height`` (m), ``roll``, ``pitch``,
    ``heading``, ``speed`` (ground, m/s); None when the dump has no usable navigation.
    """
    from scipy.spatial.transform import Rotation

    from flightlog.align import load_trajectory
    from flightlog.descriptor import load_descriptor
    from flightlog.geodesy import ecef_to_geodetic, ned_to_ecef_matrix

    try:
        traj, _ = load_trajectory(load_descriptor(Path(dump)))
    except (OSError, ValueError) as exc:  # the report still shows the rest
        log.warning("no navigation for the report's figures: %s", exc)
        return None
    k = _thin(traj.gps_time.size)
    t, pos, vel = traj.gps_time[k], traj.position[k], traj.velocity[k]
    lat, lon, h = ecef_to_geodetic(pos)
    r_ned = ned_to_ecef_matrix(lat, lon)
    body_ned = np.swapaxes(r_ned, -1, -2) @ Rotation.from_quat(traj.quaternion[k]).as_matrix()
    heading, pitch, roll = np.rad2deg(Rotation.from_matrix(body_ned).as_euler("ZYX")).T
    v_ned = np.einsum("nji,nj->ni", r_ned, vel)
    return {"t": t, "lat": np.rad2deg(lat), "lon": np.rad2deg(lon), "height": h,
            "roll": roll, "pitch": pitch, "heading": np.mod(heading, 360),
            "speed": np.hypot(v_ned[:, 0], v_ned[:, 1])}


def track_map(rep: dict[str, Any], nav: dict[str, np.ndarray] | None) -> Any:
    """The flight track, the SAR swath and the spectrometer soundings, on a map.

    In longitude and latitude; the soundings coloured by SIF at 757 nm.
    """
    if nav is None:
        return None
    fig, (ax,) = _figure(height=6.0)
    ax.plot(nav["lon"], nav["lat"], "k-", lw=1, label="aircraft track")
    ax.plot(nav["lon"][:1], nav["lat"][:1], "ko", ms=6, label="track start")
    sar = rep.get("sar") or {}
    if sar.get("gslc"):
        from postflight.export import swath_ring

        ring = swath_ring(sar["gslc"])
        if ring is not None:
            ax.fill(ring[:, 0], ring[:, 1], fc="tab:blue", alpha=0.25, ec="tab:blue",
                    label="SAR swath (GSLC boundingPolygon)")
    spec = rep.get("spectrometer") or {}
    if spec.get("l2"):
        import netCDF4

        with netCDF4.Dataset(spec["l2"]) as nc:
            lon = np.ma.filled(nc["longitude"][:], np.nan)
            lat = np.ma.filled(nc["latitude"][:], np.nan)
            sif = np.ma.filled(nc["sif_757"][:].astype(np.float64), np.nan)
        k = _thin(lon.size)
        sc = ax.scatter(lon[k], lat[k], c=sif[k], s=8, cmap="viridis",
                        label="spectrometer soundings")
        fig.colorbar(sc, ax=ax, label="SIF 757 nm (mW m-2 sr-1 nm-1)")
    ax.set_xlabel("longitude (degree east)")
    ax.set_ylabel("latitude (degree north)")
    ax.set_aspect(1 / np.cos(np.deg2rad(np.nanmean(nav["lat"]))), adjustable="datalim")
    ax.ticklabel_format(useOffset=False)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Track, SAR swath and spectrometer footprints")
    return fig


def navigation_series(rep: dict[str, Any], nav: dict[str, np.ndarray] | None) -> Any:
    """Height, attitude, heading and ground speed against time."""
    if nav is None:
        return None
    fig, axes = _figure(4, 2.0, sharex=True)
    t = nav["t"] - nav["t"][0]
    axes[0].plot(t, nav["height"], "k-")
    axes[0].set_ylabel("height (m, WGS84)")
    axes[1].plot(t, nav["roll"], label="roll")
    axes[1].plot(t, nav["pitch"], label="pitch")
    axes[1].set_ylabel("degree")
    axes[1].legend(loc="upper right", fontsize=8)
    axes[2].plot(t, nav["heading"], "k-")
    axes[2].set_ylabel("heading (degree)")
    axes[3].plot(t, nav["speed"], "k-")
    axes[3].set_ylabel("ground speed (m/s)")
    axes[3].set_xlabel(f"seconds since GPS {nav['t'][0]:.3f}")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.ticklabel_format(useOffset=False, axis="y")
    axes[0].set_title("Navigation")
    return fig


def retrievals_along_track(rep: dict[str, Any], nav: dict[str, np.ndarray] | None) -> Any:
    """SIF (757 nm), XCO2 and XCH4 of every sounding against time.

    With their 1-sigma uncertainties; cloudy soundings grey.
    """
    spec = rep.get("spectrometer") or {}
    if not spec.get("l2"):
        return None
    import netCDF4

    # the L2 holds XCO2 in units of 1e-6 (ppm) and XCH4 in 1e-9 (ppb): drawn as stored
    rows = [("sif_757", "SIF 757 nm\n(mW m-2 sr-1 nm-1)", 1.0), ("xco2", "XCO2 (ppm)", 1.0),
            ("xch4", "XCH4 (ppb)", 1.0)]
    with netCDF4.Dataset(spec["l2"]) as nc:
        rows = [r for r in rows if r[0] in nc.variables]
        if not rows or nc.dimensions["sounding"].size == 0:
            return None
        t = np.ma.filled(nc["gps_time"][:], np.nan)
        cloudy = np.ma.filled(nc["cloud_flag"][:], 0) != 0 if "cloud_flag" in nc.variables \
            else np.zeros(t.size, bool)
        data = {}
        for name, _, scale in rows:
            v = np.ma.filled(nc[name][:].astype(np.float64), np.nan) * scale
            u = (np.ma.filled(nc[f"{name}_uncertainty"][:].astype(np.float64), np.nan) * scale
                 if f"{name}_uncertainty" in nc.variables else None)
            data[name] = (v, u)
    fig, axes = _figure(len(rows), 2.2, sharex=True)
    t0 = t[np.isfinite(t)].min() if np.isfinite(t).any() else 0.0
    if np.nanmax(t, initial=t0) - t0 > 0:
        x, xlabel = t - t0, f"seconds since GPS {t0:.3f}"
    else:  # one frame: its pixels side by side
        x, xlabel = np.arange(t.size, dtype=float), "sounding (one frame, across track)"
    k = _thin(t.size)
    for ax, (name, label, _) in zip(axes, rows, strict=True):
        v, u = data[name]
        for sel, colour, what in ((~cloudy, "tab:green", "clear"), (cloudy, "0.6", "cloudy")):
            s = np.flatnonzero(sel)[k]
            if s.size:
                ax.errorbar(x[s], v[s], yerr=None if u is None else u[s], fmt=".",
                            ms=3, color=colour, ecolor=colour, elinewidth=0.5, label=what)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(useOffset=False, axis="y")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel(xlabel)
    axes[0].set_title("Retrievals along track (error bars: 1-sigma posterior uncertainty)")
    return fig


#: The report's figures, in order: (title, function of (report, navigation)).
FIGURES: list[tuple[str, Callable[[dict[str, Any], dict[str, np.ndarray] | None], Any]]] = [
    ("Track map", track_map),
    ("Navigation", navigation_series),
    ("Retrievals along track", retrievals_along_track),
]


def report_figures(rep: dict[str, Any], nav: dict[str, np.ndarray] | None
                   ) -> list[tuple[str, bytes]]:
    """Every figure the flight has, as (title, PNG bytes); ``nav`` from :func:`navigation`."""
    out = []
    for title, make in FIGURES:
        fig = make(rep, nav)
        if fig is not None:
            out.append((title, png_bytes(fig)))
    return out
