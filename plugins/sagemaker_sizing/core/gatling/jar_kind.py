"""Which kind of Gatling jar ``jar_file`` is, read from the jar itself (a zip: no JVM started).

- ``project``: the project's own jar (main class ``sagemakersizing.gatling.Launcher``). It takes
  ``http://127.0.0.1:PORT`` or a bare host, and signs with credentials from its environment.
- ``sagemaker-gatling``: a jar like intuit's sagemaker-gatling (perfsizesagemaker's): main class
  ``io.gatling.app.Gatling`` and a ``GenericSageMakerScenario`` class. It builds
  ``"https://" + host + "/endpoints/..."`` (so: a bare host, TLS) and signs with the Typesafe
  config keys ``auth.*`` only.

The Gatling version comes from ``gatling-version.properties`` (Gatling 3.x) or the Maven
``pom.properties`` of gatling-core; 3.13 and later write a binary ``simulation.log`` that the
parser cannot read (Gatling's LogFileDataWriter: text up to v3.12.0, binary from v3.13.0).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sagemaker_sizing.core.conf.choices import JAR_KINDS
from sagemaker_sizing.core.gatling.layouts import BINARY_LOG_RULE, BINARY_LOG_SINCE

__all__ = ["BINARY_LOG_SINCE", "JarInfo", "JarKindError", "inspect_jar", "jar_kind"]

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = "project"
SAGEMAKER_GATLING = "sagemaker-gatling"
AUTO = "auto"

PROJECT_MAIN = "sagemakersizing.gatling.Launcher"
GATLING_MAIN = "io.gatling.app.Gatling"
GATLING_CLASS = "io/gatling/app/Gatling.class"
SCENARIO_CLASS = "GenericSageMakerScenario.class"
_VERSION_FILES = ("gatling-version.properties", "META-INF/maven/io.gatling/gatling-core/pom.properties")


class JarKindError(ValueError):
    """The jar cannot be used: the message says why and what was expected."""


@dataclass(frozen=True)
class JarInfo:
    main_class: str | None
    has_scenario: bool
    gatling_version: str | None
    has_gatling: bool = True  # Gatling's own classes are inside (a fat jar)

    @property
    def detected_kind(self) -> str | None:
        if self.main_class == PROJECT_MAIN:
            return PROJECT
        if self.has_scenario:  # io.gatling.app.Gatling, or the launcher such a fat jar has
            return SAGEMAKER_GATLING
        return None

    @property
    def binary_log(self) -> bool:
        return self.gatling_version is not None and _version_tuple(self.gatling_version) >= BINARY_LOG_SINCE


def inspect_jar(path: str | Path) -> JarInfo:
    """Main class, presence of GenericSageMakerScenario, Gatling version; JarKindError if unreadable."""
    try:
        with zipfile.ZipFile(path) as jar:
            names = jar.namelist()
            manifest = jar.read("META-INF/MANIFEST.MF") if "META-INF/MANIFEST.MF" in names else b""
            main_class = _main_class(manifest.decode("utf-8", "replace"))
            has_scenario = any(n == SCENARIO_CLASS or n.endswith("/" + SCENARIO_CLASS) for n in names)
            has_gatling = GATLING_CLASS in names
            version = None
            for name in _VERSION_FILES:
                if name in names:
                    version = _property(jar.read(name).decode("utf-8", "replace"), "version")
                    if version:
                        break
    except (OSError, zipfile.BadZipFile) as exc:
        raise JarKindError(f"a readable jar file ({exc})") from exc
    return JarInfo(main_class, has_scenario, version, has_gatling)


def jar_kind(path: str | Path, override: str = AUTO) -> str:
    """``project`` or ``sagemaker-gatling``: the override when given, else what the jar shows.

    Raises JarKindError (its message: what was expected) for a jar of neither kind under ``auto``
    or a Gatling whose log is binary.
    """
    if override not in JAR_KINDS:
        raise JarKindError(f"one of {', '.join(JAR_KINDS)}")
    info = inspect_jar(path)
    if info.binary_log:
        raise JarKindError(
            f"a jar of a Gatling that writes a text simulation.log ({BINARY_LOG_RULE}); "
            f"this one is Gatling {info.gatling_version}"
        )
    if info.main_class is None:
        thin = (
            ": a thin jar? Maven's shade plugin leaves one beside the runnable jar (as original-*.jar, "
            "or, in intuit's sagemaker-gatling build, as sagemaker-gatling-<version>.jar beside the "
            "runnable sagemaker-gatling-<version>-fatjar.jar)"
            if info.has_scenario
            else ""
        )
        raise JarKindError(
            f"a runnable jar, with a Main-Class in META-INF/MANIFEST.MF (the load step runs java -jar); "
            f"this one has none{thin}"
        )
    kind = override if override != AUTO else info.detected_kind
    if kind == SAGEMAKER_GATLING and not info.has_gatling:
        raise JarKindError(
            f"a sagemaker-gatling jar holding Gatling itself ({GATLING_CLASS}, as its assembly jar does); "
            "this one does not"
        )
    if kind is None:
        raise JarKindError(
            f"a Gatling jar with main class {PROJECT_MAIN} or {GATLING_MAIN} and a GenericSageMakerScenario "
            f"class (found main class {info.main_class or 'none'}, "
            f"{'a' if info.has_scenario else 'no'} GenericSageMakerScenario); set jar_kind to say which it is"
        )
    return kind


def _main_class(manifest: str) -> str | None:
    # Manifest lines wrap at 72 bytes: a continuation line starts with one space.
    text = re.sub(r"\r?\n ", "", manifest)
    return _property(text, "Main-Class", sep=":")


def _property(text: str, key: str, sep: str = "=") -> str | None:
    for line in text.splitlines():
        name, found, value = line.partition(sep)
        if found and name.strip() == key:
            return value.strip() or None
    return None


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])
