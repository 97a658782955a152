import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", deadline=None, max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "stress", deadline=None, max_examples=3000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def demo_dump(tmp_path_factory):
    """A clean simulated demo dump (read-only for tests)."""
    from sim import simulate

    return simulate("demo", tmp_path_factory.mktemp("dumps") / "demo", seed=11)


@pytest.fixture(scope="session")
def forest_dump(tmp_path_factory):
    """The `forest` scenario as the simulator flies it (seed 5; read-only for tests)."""
    from sim import simulate

    return simulate("forest", tmp_path_factory.mktemp("dumps") / "forest", seed=5)


@pytest.fixture(scope="session")
def demo_products(demo_dump, tmp_path_factory):
    """The demo dump focused at 2 m with 2 x 2 looks: GSLC, GCOV, netCDF, PNGs."""
    from postflight.process import load_config, process_sar

    cfg = load_config(None, ["sar.grid.spacing_m=2", "pol.looks=[2, 2]"])
    return process_sar(demo_dump, tmp_path_factory.mktemp("pol"), cfg)


#: Fixtures that simulate a whole flight: a test that uses one (directly or through
#: another fixture) is an end-to-end flight test, marked ``flight``.
FLIGHT_FIXTURES = {"demo_dump", "demo_products", "forest_dump", "clocky_dump", "faulted",
                   "faulty_dump", "cal_dump"}


def pytest_collection_modifyitems(config, items):
    """Mark the tests that fly a simulated flight (``pytest -m "not flight"`` skips them)."""
    for item in items:
        if FLIGHT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.flight)
