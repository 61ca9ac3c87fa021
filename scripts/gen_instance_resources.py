"""Write resources/instance_resources.json: what one instance of each priced type offers to
inference components (vCPUs, memory, accelerators).

Source: moto's copy of EC2's DescribeInstanceTypes answers (``moto/ec2/resources/instance_types.json.gz``,
the ``[local]`` extra installs it); a SageMaker ``ml.<type>`` runs on EC2's ``<type>``. The retired
p2/p3 generation is missing there: its figures come from AWS's instance-type pages (``_RETIRED``).

Types: every type of the bundled price tables (resources/cost/*.json), plus the GPU and accelerator
families an LLM endpoint runs on (``_GPU_FAMILIES``). Run ``python scripts/gen_instance_resources.py``
after adding a type; ``--check`` exits 1 when the file differs from what it would write.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "instance_resources.json"
_GPU_FAMILIES = {
    "g5": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "g6": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "g6e": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "inf2": ("xlarge", "8xlarge", "24xlarge", "48xlarge"),
    "p4d": ("24xlarge",),
}
# (vCPUs, memory MiB, GPUs, GPU name, GPU memory MiB) from AWS's pages for the retired generation.
_RETIRED = {
    "p2.xlarge": (4, 62464, 1, "K80", 12288),
    "p2.8xlarge": (32, 499712, 8, "K80", 12288),
    "p2.16xlarge": (64, 749568, 16, "K80", 12288),
    "p3.2xlarge": (8, 62464, 1, "V100", 16384),
    "p3.8xlarge": (32, 249856, 4, "V100", 16384),
    "p3.16xlarge": (64, 499712, 8, "V100", 16384),
}
_NOTES = {
    "_source": "EC2 DescribeInstanceTypes as moto 5.2.5 ships it (p2/p3: AWS instance-type pages); "
    "written by scripts/gen_instance_resources.py",
    "_units": "vcpus: vCPUs (NumberOfCpuCoresRequired is counted against them); memory_mb: MiB "
    "(MinMemoryRequiredInMb); accelerators: GPUs, or NeuronCores on Inferentia/Trainium "
    "(NumberOfAcceleratorDevicesRequired); accelerator_memory_mb: per accelerator",
    "_assumptions": "the whole instance is offered to components (AWS keeps some memory and CPU for "
    "its own agents, so a copy using nearly all of an instance may fit here and not on AWS); "
    "Inferentia is counted in NeuronCores: check both against AWS before relying on them",
}


def _ec2_table() -> dict[str, Any]:
    import moto.ec2

    path = Path(moto.ec2.__file__).parent / "resources" / "instance_types.json.gz"
    table: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return table


def _priced_types() -> set[str]:
    types: set[str] = set()
    for table in (ROOT / "resources" / "cost").glob("*.json"):
        types |= {name for name in json.loads(table.read_text()) if name.startswith("ml.")}
    return types


def _entry(ec2_type: str, described: dict[str, Any] | None) -> dict[str, Any]:
    if described is None:
        vcpus, memory, count, name, per_device = _RETIRED[ec2_type]
        return _resources(vcpus, memory, count, f"NVIDIA {name}", per_device)
    vcpus = int(described["VCpuInfo"]["DefaultVCpus"])
    memory = int(described["MemoryInfo"]["SizeInMiB"])
    gpus = (described.get("GpuInfo") or {}).get("Gpus") or []
    neuron = (described.get("NeuronInfo") or {}).get("NeuronDevices") or []
    if gpus:
        gpu = gpus[0]
        return _resources(
            vcpus,
            memory,
            int(gpu["Count"]),
            f"{gpu['Manufacturer']} {gpu['Name']}",
            gpu["MemoryInfo"]["SizeInMiB"],
        )
    if neuron:
        device = neuron[0]
        cores = int(device["CoreInfo"]["Count"])
        return _resources(
            vcpus,
            memory,
            int(device["Count"]) * cores,
            f"AWS {device['Name']} NeuronCore",
            int(device["MemoryInfo"]["SizeInMiB"]) // cores,
        )
    return _resources(vcpus, memory, 0, None, None)


def _resources(
    vcpus: int, memory: int, accelerators: int, accelerator: str | None, per_device: int | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"vcpus": vcpus, "memory_mb": memory, "accelerators": accelerators}
    if accelerator is not None:
        entry |= {"accelerator": accelerator, "accelerator_memory_mb": per_device}
    return entry


def build() -> dict[str, Any]:
    ec2 = _ec2_table()
    types = _priced_types() | {
        f"ml.{family}.{size}" for family, sizes in _GPU_FAMILIES.items() for size in sizes
    }
    return _NOTES | {name: _entry(name[3:], ec2.get(name[3:])) for name in sorted(types)}


def render(table: dict[str, Any]) -> str:
    """One type per line, so a diff shows which types changed."""
    lines = [f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in table.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is not up to date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is not what scripts/gen_instance_resources.py writes", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
