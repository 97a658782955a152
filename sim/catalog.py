"""Names of the simulated scenarios (kept light: the CLI reads it for ``--help``)."""

SCENARIOS: tuple[str, ...] = ("demo", "calibration", "forest", "nominal")
