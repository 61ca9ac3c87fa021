"""An open-model load loop for tests: evenly spaced arrivals at a fixed rate, like Gatling's
constantUsersPerSec, with the latency and status of every request."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import aiohttp

PAYLOAD = b'{"message": "hello world"}'  # the bundled example payload (fixtures/sample.input.json)


@dataclass(frozen=True)
class LoadResult:
    rate: float
    latencies_ms: list[float]
    statuses: list[int]

    @property
    def errors(self) -> int:
        return sum(1 for status in self.statuses if status != 200)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]

    def passes(self, p99_limit_ms: float) -> bool:
        return self.errors == 0 and self.p99_ms <= p99_limit_ms


async def _one(session: aiohttp.ClientSession, url: str, out: list[tuple[float, int]]) -> None:
    started = time.perf_counter()
    async with session.post(url, data=PAYLOAD, headers={"Content-Type": "application/json"}) as response:
        await response.read()
        out.append(((time.perf_counter() - started) * 1000.0, response.status))


async def _run(url: str, rate: float, seconds: float) -> LoadResult:
    out: list[tuple[float, int]] = []
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
        await asyncio.gather(*tasks)
    return LoadResult(rate, [latency for latency, _ in out], [status for _, status in out])


def run_load(runtime_url: str, endpoint: str, rate: float, seconds: float) -> LoadResult:
    """Send ``rate`` requests per second to ``endpoint`` for ``seconds``; blocks until all answered."""
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

    return dict(zip(rates, asyncio.run(all_of_them()), strict=True))
