"""sarproc: quad-pol SAR focusing, calibration and polarimetric products (issues 5 and 6)."""

__all__: list[str] = []
