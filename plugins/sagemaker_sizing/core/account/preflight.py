"""Preflight's verdict: every problem the account has with a conf, before anything is deployed.

The adapters gather the facts (quotas, what the account runs, the caller's permissions, the
model); this module turns them into findings, each naming what to change. A ``blocking`` finding
stops the run before any spend; a ``warning`` is logged and reported; a ``note`` records what
preflight changed (a type dropped from the walk under ``on_quota: "skip"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sagemaker_sizing.core.account.quota import QuotaVerdict
    from sagemaker_sizing.core.conf.model import SizingConf


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"
    NOTE = "note"


class Check(StrEnum):
    QUOTA = "quota"
    PERMISSIONS = "permissions"
    MODEL = "model"
    PAYLOAD = "payload"
    PRICES = "prices"
    NAMES = "names"


@dataclass(frozen=True)
class Finding:
    check: Check
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.check}: {self.message}"


@dataclass(frozen=True)
class PreflightResult:
    findings: tuple[Finding, ...]
    dropped_types: tuple[str, ...] = ()

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCKING]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def report_notes(self) -> list[str]:
        """What the report says about preflight: dropped types and warnings."""
        return [f"preflight: {f.message}" for f in self.findings if f.severity is not Severity.BLOCKING]


def quota_findings(conf: SizingConf, verdicts: Sequence[QuotaVerdict]) -> tuple[list[Finding], list[str]]:
    """Findings of the quota check, and the types ``on_quota: "skip"`` drops from the walk."""
    findings: list[Finding] = []
    dropped: list[str] = []
    for verdict in verdicts:
        if verdict.blocks_first_step and verdict.instance_type is not None and conf.on_quota == "skip":
            dropped.append(verdict.instance_type)
            findings.append(
                Finding(
                    Check.QUOTA,
                    Severity.NOTE,
                    f"{verdict.instance_type} dropped from the walk (on_quota skip): {verdict.describe()}",
                )
            )
        elif verdict.blocks_first_step:
            findings.append(Finding(Check.QUOTA, Severity.BLOCKING, verdict.describe()))
        elif verdict.may_be_hit:
            findings.append(Finding(Check.QUOTA, Severity.WARNING, verdict.describe()))
        elif verdict.applied is None:
            findings.append(
                Finding(
                    Check.QUOTA,
                    Severity.WARNING,
                    f"'{verdict.quota_name}' is not listed by Service Quotas: not checked",
                )
            )
    if dropped and set(dropped) >= set(conf.type_walk):
        findings.append(
            Finding(
                Check.QUOTA,
                Severity.BLOCKING,
                "on_quota skip dropped every type of type_walk: nothing is left to size; request a "
                "quota increase or add a type with quota to type_walk",
            )
        )
    return findings, dropped


def without_types(conf: SizingConf, dropped: Iterable[str]) -> SizingConf:
    """The conf with ``dropped`` types taken out of ``type_walk`` (and its prices)."""
    gone = set(dropped)
    return conf.model_copy(
        update={
            "type_walk": tuple(t for t in conf.type_walk if t not in gone),
            "prices": tuple((t, p) for t, p in conf.prices if t not in gone),
        }
    )


__all__ = ["Check", "Finding", "PreflightResult", "Severity", "quota_findings", "without_types"]
