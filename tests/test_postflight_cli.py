"""`postflight config`: the commented default configuration loads back as the defaults."""

from __future__ import annotations

import pytest

from postflight.cli import main
from postflight.process import ConfigError, RunConfig, load_config


def test_config_round_trips_to_the_defaults(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    assert main(["config", str(path)]) == 0
    text = path.read_text()
    assert "# frames between wavelength registrations" in text  # keys carry their meaning
    assert load_config(path) == RunConfig()
    assert main(["config"]) == 0
    assert capsys.readouterr().out == text


def test_edited_config_is_validated(tmp_path):
    path = tmp_path / "run.yaml"
    main(["config", str(path)])
    path.write_text(path.read_text().replace("spacing_m: 1.0", "spacing_m: 2.5"))
    assert load_config(path).sar.grid.spacing_m == 2.5
    path.write_text(path.read_text().replace("register_every: 5", "register_evry: 5"))
    with pytest.raises(ConfigError, match="ghgsif.register_evry"):
        load_config(path)
