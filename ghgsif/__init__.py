"""ghgsif: spectrometer L1B, cloud screening, SIF and XCO2/XCH4 retrievals (issue 7)."""

__all__: list[str] = []
