"""Global attributes of the netCDF products: CF-1.8 and ACDD-1.3 discovery metadata.

Every netCDF product of the toolkit (the polarimetric layers, the spectrometer's L1B and
L2) carries the attributes of :func:`discovery_attributes`: ACDD-1.3's highly
recommended and recommended ones that the toolkit can fill truthfully (title, summary,
keywords, institution, source, history, time and geospatial coverage, processing level,
product version), and CF's ``Conventions``, ``history``, ``institution``, ``source``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: ``Conventions`` of every netCDF product.
CONVENTIONS = "CF-1.8, ACDD-1.3"
#: CF units of a layer in decibels: UDUNITS has no decibel, so such a layer has units
#: "1" and says in its ``units_metadata``/``comment`` that the values are 10 log10.
DB_UNITS = "1"
DB_NOTE = "decibel: 10 log10 of the linear quantity (UDUNITS has no decibel unit)"
#: CF time units of the products: GPS time is a count of SI seconds from the GPS epoch,
#: without leap seconds; a CF calendar of "standard" reads them as UTC, which differs
#: from GPS time by the leap seconds since 1980 (18 s from 2017).
GPS_TIME_UNITS = "seconds since 1980-01-06 00:00:00"
GPS_TIME_NOTE = ("GPS time: SI seconds since the GPS epoch 1980-01-06T00:00:00 UTC, without "
                 "leap seconds; read as UTC by a CF calendar it is ahead of UTC by the leap "
                 "seconds since 1980 (18 s from 2017-01-01)")


#: ``coverage_content_type`` (ACDD-1.3, from ISO 19115-1 MD_CoverageContentTypeCode) of
#: the variables: what a variable is.
MEASUREMENT = "physicalMeasurement"
QUALITY = "qualityInformation"
COORDINATE = "coordinate"
AUXILIARY = "auxiliaryInformation"
#: The CF standard-name table the products' names were checked against (the one
#: compliance-checker 5.x/6.x ships).
STANDARD_NAME_VOCABULARY = "CF Standard Name Table v93"


def iso_utc_second(gps_time: float) -> str:
    """ISO-8601 UTC (to the second, ``Z``) of a GPS second."""
    from flightlog.timesys import gps_to_utc

    return str(gps_to_utc(float(gps_time)).strftime("%Y-%m-%dT%H:%M:%SZ"))


def cf_utc_seconds(gps_time: np.ndarray) -> np.ndarray:
    """GPS seconds as CF ``seconds since 1980-01-06 00:00:00`` in UTC (standard calendar).

    CF's standard calendar has no leap seconds: a UTC time is counted as days times 86400
    plus the time of day, which is POSIX time less 315964800 s (1980-01-06T00:00:00Z).
    The value is therefore the GPS second less the leap seconds between 1980 and then
    (18 s from 2017), and xarray, netCDF4's ``num2date`` and GDAL decode it to the UTC
    clock time of the measurement. (During a leap second it repeats the next second.)
    """
    from flightlog.timesys import gps_to_utc

    t = np.asarray(gps_time, np.float64)
    out = np.full(t.shape, np.nan)
    ok = np.isfinite(t)
    if ok.any():
        out[ok] = np.asarray(gps_to_utc(t[ok]).unix, np.float64) - 315964800.0
    return out


#: CF units and note of :func:`cf_utc_seconds`.
UTC_TIME_UNITS = "seconds since 1980-01-06 00:00:00"
UTC_TIME_NOTE = ("UTC, counted in the standard calendar (no leap seconds): the GPS time of "
                 "the measurement less the leap seconds since 1980 (18 s from 2017-01-01); "
                 "gps_time holds the GPS seconds themselves")


def iso_duration(seconds: float) -> str:
    """An ISO-8601 duration (``PT1234.5S``)."""
    return f"PT{max(0.0, float(seconds)):.3f}S"


def discovery_attributes(title: str, summary: str, keywords: Sequence[str],
                         provenance: dict[str, str], time_coverage_utc: tuple[str, str],
                         lat_deg: np.ndarray, lon_deg: np.ndarray, processing_level: str,
                         source: str, product_id: str = "",
                         duration_s: float | None = None) -> dict[str, Any]:
    """The global attributes of a product (module doc).

    Parameters
    ----------
    title, summary : str
        What the product is, in a line and in a paragraph.
    keywords : sequence of str
        Discovery keywords.
    provenance : dict
        :func:`flightlog.provenance.provenance` of the product (software version,
        creation time, inputs, configuration).
    time_coverage_utc : tuple of str
        First and last time the product covers, ISO-8601 UTC (:func:`iso_utc_second`).
    lat_deg, lon_deg : numpy.ndarray
        Latitudes and longitudes the product covers (NaN ignored).
    processing_level : str
        ``L1B``, ``L2``, ...
    source : str
        The instrument and flight.
    product_id : str
        ``id``: the product's file name.
    duration_s : float, optional
        ``time_coverage_duration``.

    Returns
    -------
    dict
        Attribute name -> value. The provenance attributes themselves (inputs,
        configuration) are not among them: the caller writes them too.
    """
    lat = np.asarray(lat_deg, np.float64)
    lon = np.asarray(lon_deg, np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    t0, t1 = time_coverage_utc
    version = provenance.get("software_version", "")
    created = provenance.get("created_utc", "")
    out: dict[str, Any] = {
        "Conventions": CONVENTIONS, "title": title, "summary": summary,
        "keywords": ", ".join(keywords), "institution": "JAXA Pi-SAR-L3 campaign",
        "project": "Pi-SAR-L3", "source": source,
        "history": f"{created} postflight (pisar-l3 {version}): produced from the raw dump "
                   "and its navigation",
        "processing_level": processing_level, "product_version": version,
        "date_created": created, "standard_name_vocabulary": STANDARD_NAME_VOCABULARY,
        "time_coverage_start": t0, "time_coverage_end": t1,
    }
    if product_id:
        out["id"] = product_id
    if duration_s is not None:
        out["time_coverage_duration"] = iso_duration(duration_s)
    if ok.any():
        la0, la1 = float(lat[ok].min()), float(lat[ok].max())
        lo0, lo1 = float(lon[ok].min()), float(lon[ok].max())
        out.update({
            "geospatial_lat_min": la0, "geospatial_lat_max": la1,
            "geospatial_lon_min": lo0, "geospatial_lon_max": lo1,
            "geospatial_lat_units": "degrees_north", "geospatial_lon_units": "degrees_east",
            "geospatial_bounds": f"POLYGON (({la0:.7f} {lo0:.7f}, {la0:.7f} {lo1:.7f}, "
                                 f"{la1:.7f} {lo1:.7f}, {la1:.7f} {lo0:.7f}, "
                                 f"{la0:.7f} {lo0:.7f}))",
            "geospatial_bounds_crs": "EPSG:4326"})
    return out
