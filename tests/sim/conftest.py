"""Simulator fixtures: the shipped preset and one small population, shared by the tests."""

from __future__ import annotations

import pytest

from waymark.sim import api


@pytest.fixture(scope="session")
def preset() -> api.Preset:
    return api.load_preset("learning-kits")


@pytest.fixture(scope="session")
def population(preset: api.Preset) -> api.Population:
    return api.simulate(preset, customers=1500, products=3, days=60, seed=11)


@pytest.fixture(scope="session")
def messages(population: api.Population) -> list[api.Message]:
    return [m for chunk in population.messages() for m in chunk]
