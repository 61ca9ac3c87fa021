"""Copies packed onto instances, and the table of what an instance offers."""

from __future__ import annotations

import importlib.util
import json

from sagemaker_sizing.core.components.placement import (
    INSTANCE_RESOURCES_PATH,
    Resources,
    instance_resources,
    pack,
    requirements,
    shortfall,
)
from sagemaker_sizing.paths import PROJECT_ROOT, RESOURCES_DIR

G5_12XL = Resources(vcpus=48, memory_mb=196608, accelerators=4)


def test_copies_per_instance_is_the_scarcest_resource() -> None:
    need = Resources(vcpus=8, memory_mb=16384, accelerators=1)
    assert need.copies_per_instance(G5_12XL) == 4  # 4 GPUs; 6 by vCPUs, 12 by memory
    assert Resources(vcpus=20, memory_mb=1024).copies_per_instance(G5_12XL) == 2
    assert Resources(accelerators=0.5).copies_per_instance(G5_12XL) == 8
    assert Resources(accelerators=5).copies_per_instance(G5_12XL) == 0


def test_float_requirements_fit_exactly() -> None:
    tenth = Resources(accelerators=0.1)
    assert tenth.copies_per_instance(Resources(accelerators=0.3)) == 3
    assert pack([("a", tenth, 3)], Resources(accelerators=0.3), 1).placed == {"a": 3}


def test_pack_is_first_fit_in_order_and_opens_instances_up_to_the_limit() -> None:
    big, small = Resources(accelerators=3), Resources(accelerators=1)
    packing = pack([("big", big, 2), ("small", small, 3)], G5_12XL, 3)
    assert packing.placed == {"big": 2, "small": 3}
    assert packing.instances == (("big", "small"), ("big", "small"), ("small",))
    limited = pack([("big", big, 2), ("small", small, 3)], G5_12XL, 2)
    assert limited.placed == {"big": 2, "small": 2} and limited.instance_count == 2


def test_a_name_given_twice_accumulates_its_copies() -> None:
    need = Resources(accelerators=1)
    packing = pack([("a", need, 2), ("b", need, 1), ("a", need, 3)], G5_12XL, 2)
    assert packing.placed == {"a": 5, "b": 1}
    assert packing.instances == (("a", "a", "b", "a"), ("a", "a"))


def test_a_copy_larger_than_the_instance_never_opens_one() -> None:
    packing = pack([("huge", Resources(accelerators=8), 1)], G5_12XL, 5)
    assert packing.placed == {"huge": 0} and packing.instance_count == 0
    assert shortfall(Resources(accelerators=8, vcpus=2), G5_12XL) == [
        ("NumberOfAcceleratorDevicesRequired", 8, 4)
    ]


def test_requirements_read_the_api_fields() -> None:
    need = requirements(
        {
            "NumberOfAcceleratorDevicesRequired": 2,
            "NumberOfCpuCoresRequired": 1.5,
            "MinMemoryRequiredInMb": 2048,
        }
    )
    assert need == Resources(vcpus=1.5, memory_mb=2048, accelerators=2)
    assert requirements({"MinMemoryRequiredInMb": 128}) == Resources(memory_mb=128)


def test_every_priced_type_has_its_resources() -> None:
    priced: set[str] = set()
    for table in (RESOURCES_DIR / "cost").glob("*.json"):
        priced |= {name for name in json.loads(table.read_text()) if name.startswith("ml.")}
    assert priced and not [t for t in priced if instance_resources(t) is None]
    assert instance_resources("ml.g5.12xlarge") == G5_12XL
    assert instance_resources("ml.p4d.24xlarge") == Resources(vcpus=96, memory_mb=1179648, accelerators=8)
    assert instance_resources("ml.m5.large") == Resources(vcpus=2, memory_mb=8192, accelerators=0)
    assert instance_resources("ml.nothing.xlarge") is None


def test_the_table_is_what_its_script_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen", PROJECT_ROOT / "scripts" / "gen_instance_resources.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--check"]) == 0
    assert json.loads(INSTANCE_RESOURCES_PATH.read_text())["_source"].startswith("EC2 DescribeInstanceTypes")
