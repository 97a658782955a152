"""H2O self-broadening at a sounding's own humidity against the standard profile's (which
the cross-section tables use): the change of the SWIR retrievals' CO2 and CH4 scales for
humid soundings.

Run from the repository root: ``python benchmarks/h2o_self_broadening.py``. Each humid
sounding is simulated twice with the simulator's line-by-line physics, H2O lines
broadened by the standard H2O amount and by the sounding's own, convolved to the WCO2 and
CH4 bands' pixels (600, ISRF FWHM 2.5 pixels), given a noise of radiance / 330 and
retrieved with the toolkit's tables; the difference is the error of the tables' choice.
"""

from __future__ import annotations

import numpy as np

from ghgsif.forward import band_forward
from ghgsif.refdata import line_list
from ghgsif.retrieval import swir_sounding
from sim.radiative import BandModel, Sounding, lbl_two_grid, line_shape_parameters


def h2o_tau(model: BandModel, factor: float) -> np.ndarray:
    """H2O optical depths of the layers with self-broadening at ``factor`` x standard."""
    nu = (1e7 / model.wl)[::-1].copy()
    lines = line_list(model.group, 1, float(nu[0] - 25), float(nu[-1] + 25))
    lay = model.layers
    tau = np.zeros((lay.p_hpa.size, nu.size))
    for k in range(lay.p_hpa.size):
        x = np.zeros(nu.size)
        c, st, gl, sd = line_shape_parameters(lines, 1, lay.p_hpa[k] / 1013.25, lay.t_k[k],
                                              factor * float(lay.vmr["H2O"][k]))
        lbl_two_grid(nu, c, st, gl, sd, 25.0, x)
        tau[k] = (x * lay.air_column_cm2[k] * lay.vmr["H2O"][k])[::-1]
    return tau


def main() -> None:
    for name, lo, hi, gas, unit, total in (("WCO2", 1590.0, 1620.0, "CO2", "ppm", 420.0),
                                           ("CH4", 1630.0, 1680.0, "CH4", "ppb", 1900.0)):
        model = BandModel(name, lo, hi, 0.0, 3.0)
        pix = np.linspace(lo, hi, 600)
        fwhm = 2.5 * (hi - lo) / 599
        fw = band_forward(lo, hi, 3.0)
        i = fw.gases.index(gas)
        for humid in (2.0, 3.0):
            s = Sounding(0.25, 0.0, 0.0, 1.0, 1.0, humid, 30.0, 0.0)
            got = {}
            for label, factor in (("standard", 1.0), ("own", humid)):
                model.tau["H2O"] = h2o_tau(model, factor)
                y = model.convolve(model.radiance(s), fwhm, pix)
                r = swir_sounding(fw, y, y / 330.0, np.ones(y.size, bool), pix, fwhm, 30.0,
                                  0.0)
                got[label] = (r.x[i], r.uncertainty[i])
            d = got["own"][0] - got["standard"][0]
            print(f"{name}, H2O x{humid:g}: X{gas} changes by {d * total:+.3f} {unit} "
                  f"(one sounding's uncertainty {got['own'][1] * total:.2f} {unit})")


if __name__ == "__main__":
    main()
