"""An open-model load loop for tests: evenly spaced arrivals at a fixed rate, like Gatling's
constantUsersPerSec, with the latency and status of every request."""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp

PAYLOAD = b'{"message": "hello world"}'  # the bundled example payload (fixtures/sample.input.json)


@dataclass(frozen=True)
class LoadResult:
    rate: float
    latencies_ms: list[float]  # as the client saw them
    statuses: list[int]
    model_latencies_ms: list[float]  # as the emulator's queueing model set them (successes only)
    sending_s: float = 0.0  # from the first request sent to the last

    @property
    def offered_rate(self) -> float:
        """Requests per second actually sent (below ``rate`` when the client fell behind)."""
        return (len(self.statuses) - 1) / self.sending_s if self.sending_s > 0 else 0.0

    @property
    def errors(self) -> int:
        return sum(1 for status in self.statuses if status != 200)

    @property
    def p99_ms(self) -> float:
        return _p99(self.latencies_ms)

    @property
    def model_p99_ms(self) -> float:
        return _p99(self.model_latencies_ms)

    def passes(self, p99_limit_ms: float) -> bool:
        """The step's verdict as Gatling gives it, on the latencies the client measured."""
        return self.errors == 0 and self.p99_ms <= p99_limit_ms

    def model_passes(self, p99_limit_ms: float) -> bool:
        """The verdict on the latencies the emulator's queueing model reports in its header."""
        return self.errors == 0 and self.model_p99_ms <= p99_limit_ms


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def _one(session: aiohttp.ClientSession, url: str, out: list[tuple[float, int, float | None]]) -> None:
    started = time.perf_counter()
    async with session.post(url, data=PAYLOAD, headers={"Content-Type": "application/json"}) as response:
        await response.read()
        model = response.headers.get("x-Local-Model-Latency-Ms")
        out.append(
            (
                (time.perf_counter() - started) * 1000.0,
                response.status,
                None if model is None else float(model),
            )
        )


async def _run(url: str, rate: float, seconds: float) -> LoadResult:
    out: list[tuple[float, int, float | None]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(_one(session, url, out)))
        sending_s = loop.time() - start
        await asyncio.gather(*tasks)
    return LoadResult(
        rate,
        [latency for latency, _, _ in out],
        [status for _, status, _ in out],
        [model for _, _, model in out if model is not None],
        sending_s,
    )


@contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """A full collection of the test process's heap (moto, boto3, pytest: ~180k objects) takes
    ~200 ms; in the middle of a load it holds the next requests back and sends them in a burst,
    which queues like an overload. Collect before, freeze what is left, and do not collect during."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def run_load(runtime_url: str, endpoint: str, rate: float, seconds: float) -> LoadResult:
    """Send ``rate`` requests per second to ``endpoint`` for ``seconds``; blocks until all answered."""
    with _no_collector_pauses():
        return asyncio.run(_run(f"{runtime_url}/endpoints/{endpoint}/invocations", rate, seconds))


def run_loads(runtime_url: str, rates: dict[str, float], seconds: float) -> dict[str, LoadResult]:
    """Load several endpoints at once from one event loop (threads would fight over the GIL)."""

    async def all_of_them() -> list[LoadResult]:
        return await asyncio.gather(
            *(
                _run(f"{runtime_url}/endpoints/{name}/invocations", rate, seconds)
                for name, rate in rates.items()
            )
        )

    with _no_collector_pauses():
        return dict(zip(rates, asyncio.run(all_of_them()), strict=True))
