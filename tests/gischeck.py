"""Checks of exported vectors: GeoJSON against an RFC 7946 schema, KML 2.2 parsed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

SCHEMA = Path(__file__).parent / "data" / "geojson-featurecollection.schema.json"
KML = "{http://www.opengis.net/kml/2.2}"


def check_geojson(path: Path) -> dict:
    """Valid against the schema; every ring closed and anticlockwise (RFC 7946 3.1.6)."""
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(path.read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    for feat in doc["features"]:
        if feat["geometry"]["type"] == "Polygon":
            ring = np.array(feat["geometry"]["coordinates"][0])
            assert np.array_equal(ring[0], ring[-1])
            x, y = (ring - ring[:-1].mean(axis=0)).T  # centred: no cancellation
            # written to 1e-8 degree: a degenerate (zero-area) ring may come out with an
            # area of either sign within what that rounding moves
            tol = 4 * np.ptp(ring) * 1e-8 * len(ring)
            assert np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > -tol
    return doc


def check_kml(path: Path, n_features: int) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == f"{KML}kml"
    marks = root.findall(f".//{KML}Placemark")
    assert len(marks) == n_features
    for m in marks:
        text = m.find(f".//{KML}coordinates").text.split()
        lonlat = np.array([[float(v) for v in t.split(",")[:2]] for t in text])
        assert np.all(np.abs(lonlat[:, 0]) <= 180) and np.all(np.abs(lonlat[:, 1]) <= 90)
