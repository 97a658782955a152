"""User line lists (HITRAN ``.par``) in place of the packaged ones: the configuration key,
the forward model and the Fraunhofer windows taking them, and the table cache keyed by
their content."""

from __future__ import annotations

import numpy as np
import pytest

from ghgsif.config import GhgsifConfig
from ghgsif.hitran import HitranFormatError
from ghgsif.refdata import data_path

O2_PAR = data_path("lines", "07_O2_hit16_hapi_12875-13275.par")


def _scaled_copy(src, dst, decades: int = 1):
    """The list with every intensity ten times larger (exact: the exponent only)."""
    out = []
    for line in src.read_text().splitlines():
        mant, exp = line[15:25].split("E")
        out.append(line[:15] + f"{mant}E{int(exp) + decades:+03d}" + line[25:])
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_config_names_gas_and_file():
    with pytest.raises(ValueError, match="line_lists.N2O: unknown gas"):
        GhgsifConfig(line_lists={"N2O": str(O2_PAR)})
    with pytest.raises(ValueError, match="line_lists.O2: .*no such file"):
        GhgsifConfig(line_lists={"O2": "/nonexistent/o2.par"})
    cfg = GhgsifConfig(line_lists={"O2": str(O2_PAR)})
    assert cfg.line_list_overrides() == ((7, str(O2_PAR.resolve())),)


def test_cli_override_reaches_the_spectrometer_config():
    from postflight.process import ConfigError, load_config

    cfg = load_config(None, [f"ghgsif.line_lists.O2={O2_PAR}"])
    assert cfg.ghgsif.line_lists == {"O2": str(O2_PAR)}
    with pytest.raises(ConfigError, match="N2O"):
        load_config(None, [f"ghgsif.line_lists.N2O={O2_PAR}"])


def test_forward_model_and_windows_use_the_user_list(tmp_path, monkeypatch):
    """Ten times the O2 intensities: ten times the O2 optical depth in the forward model
    and in the Fraunhofer windows' telluric term; H2O untouched; its own cached table."""
    from ghgsif.forward import BandForward
    from ghgsif.windows import telluric_depth

    monkeypatch.setenv("PISAR_L3_CACHE", str(tmp_path / "cache"))
    user = ((7, str(_scaled_copy(O2_PAR, tmp_path / "o2x10.par"))),)
    lo, hi = 760.0, 760.4
    ref = BandForward(lo, hi, 3.0, 0.0)
    got = BandForward(lo, hi, 3.0, 0.0, user)
    assert len(list((tmp_path / "cache").glob("xsec_O2A_*.npz"))) == 2
    big = ref.tau_down["O2"] > 1e-6 * ref.tau_down["O2"].max()
    np.testing.assert_allclose(got.tau_down["O2"][big], 10 * ref.tau_down["O2"][big],
                               rtol=1e-4)  # single-precision tables
    np.testing.assert_array_equal(got.tau_down["H2O"], ref.tau_down["H2O"])
    wl = np.linspace(760.05, 760.35, 200)
    t_ref, t_got = telluric_depth(wl, 7, lo, hi), telluric_depth(wl, 7, lo, hi, user)
    np.testing.assert_allclose(t_got, 10 * t_ref, rtol=1e-4)


def test_a_malformed_user_list_names_file_and_line(tmp_path):
    from ghgsif.windows import telluric_depth

    bad = tmp_path / "o2.par"
    lines = O2_PAR.read_text().splitlines()[:5]
    lines[3] = lines[3][:100]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(HitranFormatError, match=r"o2\.par:4: record of 100 characters"):
        telluric_depth(np.linspace(757.0, 757.5, 50), 7, 757.0, 757.5, ((7, str(bad)),))


def test_a_user_list_with_an_unknown_isotopologue_names_file_and_line(tmp_path):
    """A line of an isotopologue the shipped TIPS sums and masses do not hold (O2
    isotopologue 5 here) is refused at reading, naming the file and the line."""
    from ghgsif.refdata import line_list

    odd = tmp_path / "o2.par"
    lines = O2_PAR.read_text().splitlines()[:5]
    lines[2] = lines[2][:2] + "5" + lines[2][3:]
    odd.write_text("\n".join(lines) + "\n")
    nu = float(lines[2][3:15])
    with pytest.raises(ValueError, match=rf"o2\.par: line at {nu:.6f} cm-1 .* isotopologue 5"):
        line_list("O2A", 7, 0.0, 1e5, ((7, str(odd)),))
