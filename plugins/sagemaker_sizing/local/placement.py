"""Where the copies of inference components go: the core's placement (``core.components.placement``),
which the sizing walk and the local SageMaker share, so the walk packs copies as the emulator does."""

from sagemaker_sizing.core.components.placement import (
    INSTANCE_RESOURCES_PATH,
    Packing,
    Resources,
    instance_resources,
    pack,
    requirements,
    shortfall,
)

__all__ = [
    "INSTANCE_RESOURCES_PATH",
    "Packing",
    "Resources",
    "instance_resources",
    "pack",
    "requirements",
    "shortfall",
]
