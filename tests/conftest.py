"""Shared test fixtures."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened (plots never call ``plt.show``)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
