import copy
import json

import pytest

from flightlog.descriptor import DescriptorError, load_descriptor
from sim.scenarios import SCENARIO_CONFIGS, descriptor_dict

GOOD = descriptor_dict("L3-20250829-01", SCENARIO_CONFIGS["demo"])


def write(tmp_path, obj):
    (tmp_path / "flight.json").write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return tmp_path


def test_icd_example_loads(tmp_path):
    d = load_descriptor(write(tmp_path, GOOD))
    assert d.flight_id == "L3-20250829-01"
    assert d.sar.bands[0].bandwidth_hz == 85e6
    assert d.sar.antenna.channel_delay_s["VH"] == 0.0
    assert [b.name for b in d.ghgsif.bands] == ["O2A", "WCO2", "CH4"]
    folder, prefix = d.stream_location("sar")
    assert folder == (tmp_path / "sar").resolve() and prefix == "SAR_"


def _drop(obj, path):
    obj = copy.deepcopy(obj)
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    del cur[path[-1]]
    return obj


def _set(obj, path, value):
    obj = copy.deepcopy(obj)
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return obj


@pytest.mark.parametrize("path", [
    ("icd_version",), ("flight_id",), ("nav",), ("nav", "gps_week"), ("nav", "sbet"),
    ("sar", "stream"), ("sar", "adc_sampling_rate_hz"), ("sar", "tx_sequence"),
    ("sar", "prf_hz"), ("sar", "look_side"), ("sar", "bands"),
    ("sar", "bands", 0, "center_frequency_hz"), ("sar", "bands", 0, "chirp_rate_sign"),
    ("sar", "antenna", "lever_arm_m"), ("sar", "antenna", "depression_deg"),
    ("ghgsif", "calibration"), ("ghgsif", "bands", 1, "range_nm"),
    ("ghgsif", "across_track_fov_deg"),
])
def test_missing_key_is_named(tmp_path, path):
    with pytest.raises(DescriptorError) as exc:
        load_descriptor(write(tmp_path, _drop(GOOD, path)))
    dotted = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    assert f"'{dotted}'" in str(exc.value)
    assert "flight.json" in str(exc.value)


@pytest.mark.parametrize("path,value", [
    (("sar", "bands", 0, "bandwidth_hz"), -1.0),
    (("sar", "bands", 0, "chirp_rate_sign"), 2),
    (("sar", "prf_hz"), 0),
    (("sar", "look_side"), "up"),
    (("sar", "tx_sequence"), ["H", "X"]),
    (("sar", "antenna", "depression_deg"), 95.0),
    (("sar", "antenna", "lever_arm_m"), [1.0, 2.0]),
    (("nav", "gps_week"), -3),
    (("ghgsif", "bands", 0, "range_nm"), [775.0, 755.0]),
    (("icd_version",), "2"),
    (("sar", "bands", 0, "center_frequency_hz"), "NaN"),
])
def test_out_of_range_value_is_named(tmp_path, path, value):
    with pytest.raises(DescriptorError) as exc:
        load_descriptor(write(tmp_path, _set(GOOD, path, value)))
    assert path[-1] in str(exc.value) or str(path[-2]) in str(exc.value)


def test_bandwidth_above_sampling_rate(tmp_path):
    with pytest.raises(DescriptorError, match="adc_sampling_rate_hz"):
        load_descriptor(write(tmp_path, _set(GOOD, ("sar", "bands", 0, "bandwidth_hz"), 2e8)))


@pytest.mark.parametrize("key,value", [
    (("sar", "stream"), "../elsewhere/SAR_"),
    (("ghgsif", "calibration"), "/etc/passwd"),
    (("nav", "sbet"), "nav/../../x.out"),
])
def test_paths_stay_inside_dump(tmp_path, key, value):
    with pytest.raises(DescriptorError, match=".".join(key)):
        load_descriptor(write(tmp_path, _set(GOOD, key, value)))


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null", '{"icd_version": "1"}'])
def test_garbage_descriptor(tmp_path, text):
    with pytest.raises(DescriptorError):
        load_descriptor(write(tmp_path, text))


def test_no_descriptor(tmp_path):
    with pytest.raises(DescriptorError, match="flight.json: no flight descriptor"):
        load_descriptor(tmp_path)
    # a dump directory that is not there says so
    with pytest.raises(DescriptorError, match="gone: no such dump directory"):
        load_descriptor(tmp_path / "gone")


def test_unknown_keys_ignored(tmp_path):
    d = load_descriptor(write(tmp_path, {**GOOD, "future_key": 1}))
    assert d.flight_id == GOOD["flight_id"]
