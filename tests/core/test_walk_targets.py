"""The formulas of a recommendation's numbers (core.walk.targets)."""

from __future__ import annotations

from sagemaker_sizing.core.walk.targets import aws_formula_target, instances_for, perfsize_target


def test_targets_and_instance_counts():
    assert perfsize_target(100, 3) == 1000  # int(100 / 3 * 60 * 0.5) = int(1000.0)
    assert perfsize_target(70, 3) == 700
    assert aws_formula_target(38.5, 0.5) == 1155
    assert instances_for(60, 60 / 7) == 7  # no float noise pushing it to 8
    assert instances_for(100, 30) == 4
