"""The demo's field sensors: water levels at two riverside communities, a gas detector at a
chemical plant and a temperature sensor. `crisisgov demo` runs `sensors simulate` and `sensors
listen` beside the server when an MQTT broker answers, so the board at /earlywarning/sensors/
moves and the gas detector drifts over its threshold every few minutes (an alert in the inbox).
Idempotent: a second run registers nothing."""

from __future__ import annotations

from crisisgov.earlywarning.facade import SensorSpec, indicators_ensure, sensors_ensure
from crisisgov.geo.facade import Level, areas_at_level


def sensors_demo_ensure() -> list[str]:
    """Register the demo sensors when missing; returns lines for the console."""
    communities = areas_at_level(Level.COMMUNITY)
    if len(communities) < 2:
        return []
    indicators_ensure()  # water-level, gas-concentration, temperature
    river, plant = communities[0], communities[-1]
    specs = [
        SensorSpec("river-gauge-1", f"{river.name_zh}江滩水位", "water-level", river.id,
                   low_threshold=0.5, high_threshold=4.5),
        SensorSpec("river-gauge-2", f"{communities[1].name_zh}闸口水位", "water-level",
                   communities[1].id, low_threshold=0.5, high_threshold=4.5),
        SensorSpec("chem-plant-gas-1", f"{plant.name_zh}化工厂燃气浓度", "gas-concentration",
                   plant.id, high_threshold=50.0),
        SensorSpec("plant-temperature-1", f"{plant.name_zh}化工厂温度", "temperature", plant.id,
                   low_threshold=-5.0, high_threshold=45.0),
    ]  # fmt: skip
    created = sensors_ensure(specs)
    if not created:
        return []
    codes = ", ".join(created)
    return [f"Sensors: {len(created)} registered ({codes}), topics crisisgov/sensors/<code>"]
