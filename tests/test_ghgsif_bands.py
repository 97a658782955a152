"""The band registry (ghgsif.bands): groups by wavelength, L1B-only bands, and a fourth
band with a retrieval added by one entry."""

from __future__ import annotations

import h5py
import netCDF4
import numpy as np
import pytest

from ghgsif import bands
from ghgsif.bands import BandSpec, band_spec, group_of, register_band, xgas_variables


def test_the_groups_hold_the_flight_bands_and_refuse_what_no_data_covers():
    assert group_of(755.0, 775.0).name == "O2A"
    assert group_of(1590.0, 1620.0).name == "SWIR"
    assert group_of(1630.0, 1680.0).name == "SWIR"
    # strong CO2 at 2.06 um: no packaged line list or solar spectrum reaches it
    with pytest.raises(ValueError, match=r"2050-2080 nm.*O2A 753\.3-776\.7 nm.*SWIR"):
        group_of(2050.0, 2080.0)


def test_a_band_not_in_the_table_gets_its_l1b_only():
    spec = band_spec("NIR-TEST", 760.0, 770.0)
    assert spec.group == "O2A" and spec.retrieval is None


def test_the_l2_variables_of_the_table_are_the_published_layout():
    assert xgas_variables() == (
        "xco2", "xco2_uncertainty", "xco2_averaging_kernel", "xch4", "xch4_uncertainty",
        "xch4_averaging_kernel", "xch4_proxy", "xch4_proxy_uncertainty", "wco2_chi2",
        "ch4_chi2", "wco2_iterations", "ch4_iterations", "wco2_converged", "ch4_converged",
        "cloud_co2_delta_pressure")


def test_a_band_entry_is_checked():
    with pytest.raises(ValueError, match="models no O2"):
        BandSpec("X", "SWIR", "swir", "O2", "xo2", "o2")
    with pytest.raises(ValueError, match="no wavelength group"):
        BandSpec("X", "TIR")
    with pytest.raises(ValueError, match="another band's"):
        register_band(BandSpec("X", "SWIR", "swir", "CO2", "xco2", "x"))


#: A fourth band: CO2 lines of 1598-1608 nm, inside the packaged SWIR lists.
FOURTH = BandSpec("SCO2", "SWIR", "swir", "CO2", "xco2_sco2", "sco2", 1e6, "ppm", "1e-6")


@pytest.fixture
def four_bands(monkeypatch):
    """The table with the fourth band, and a simulator whose flight.json flies it."""
    import sim.dump

    monkeypatch.setitem(bands.BANDS, FOURTH.name, FOURTH)
    real = sim.dump.descriptor_dict

    def with_fourth(flight_id, cfg):
        d = real(flight_id, cfg)
        d["ghgsif"]["bands"].append({"id": 3, "name": "SCO2", "range_nm": [1598.0, 1608.0]})
        return d

    monkeypatch.setattr(sim.dump, "descriptor_dict", with_fourth)


@pytest.mark.flight
def test_a_fourth_band_with_a_retrieval_is_one_entry(four_bands, tmp_path):
    """Acceptance of the registry: an added band reaches the L1B and L2 with its own
    XCO2, unbiased within the chain's 0.3 ppm acceptance plus three standard errors."""
    from flightlog.align import align
    from ghgsif.config import GhgsifConfig
    from ghgsif.pipeline import process_spectrometer
    from sim import simulate

    dump = simulate("forest", tmp_path / "dump", seed=5, duration_s=4.0)
    r = process_spectrometer(dump, tmp_path / "out", align(dump),
                             GhgsifConfig(register_every=4, xgas_every=2),
                             {"software_version": "test"})
    assert r["bands"]["SCO2"]["scene_frames"] == r["bands"]["WCO2"]["scene_frames"] > 0
    with netCDF4.Dataset(r["l1b"]) as nc:
        assert nc["SCO2"]["radiance"].shape[0] == r["bands"]["SCO2"]["scene_frames"]
    with netCDF4.Dataset(r["l2"]) as nc:
        v = {k: np.asarray(nc[k][:]) for k in ("frame_counter", "pixel", "xco2_sco2",
                                               "xco2_sco2_uncertainty", "sco2_chi2")}
        assert nc["xco2_sco2"].units == "1e-6"
        assert "CO2 (ppm)" in nc["xco2_sco2"].long_name
    with h5py.File(dump / "truth" / "truth.h5") as f:
        fc = f["ghgsif/SCO2/frame_counter"][()][:, 0]
        truth = f["ghgsif/SCO2/xco2_ppm"][()]
    ok = np.isfinite(v["xco2_sco2"])
    assert ok.sum() >= 50
    rows = np.array([int(np.flatnonzero(fc == c)[0]) for c in v["frame_counter"][ok]])
    err = v["xco2_sco2"][ok] - truth[rows, v["pixel"][ok]]
    assert abs(err.mean()) <= 0.3 + 3 * err.std() / np.sqrt(err.size)
    assert np.all(np.isfinite(v["sco2_chi2"][ok]))
