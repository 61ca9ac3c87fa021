"""Write a synthetic Gatling 3.2.0 simulation.log (the layout of perfsizesagemaker's jar).

Each request gets a USER START, a REQUEST and a USER END line, as in the real fixtures; arrivals
are uniform at ``--tps``, latencies log-normal with a slow tail, ``--fail`` percent of them KO.

    .venv/bin/python bench/parse_make_log.py /tmp/sim-1m.log --requests 1000000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

NAMES = ("SageMaker-LEARNING-model-simulator-1", "SageMaker-LEARNING-model-simulator-2")
KO_MESSAGE = "status.find.in(200,304,201,202,203,204,205,206,207,208,209), but actually found 503"


def write_log(path: Path, requests: int, tps: float = 1000.0, fail: float = 0.5, seed: int = 7) -> None:
    rng = random.Random(seed)
    run_start = 1628679882156
    with path.open("w", newline="\n") as out:
        out.write(f"RUN\tGenericSageMakerScenario\tbench-{requests}\t{run_start}\t \t3.2.0\n")
        lines: list[str] = []
        for user in range(1, requests + 1):
            start = run_start + 2000 + int((user - 1) * 1000 / tps)
            slow_tail = rng.randint(200, 1000) if rng.random() < 0.005 else 0
            latency = int(rng.lognormvariate(2.4, 0.35)) + slow_tail
            end = start + latency
            ko = rng.random() * 100 < fail
            name = NAMES[user % 7 == 0]
            lines.append(f"USER\tSageMaker\t{user}\tSTART\t{start}\t{start}\n")
            status, message = ("KO", KO_MESSAGE) if ko else ("OK", " ")
            lines.append(f"REQUEST\t{user}\t\t{name}\t{start}\t{end}\t{status}\t{message}\n")
            lines.append(f"USER\tSageMaker\t{user}\tEND\t{start}\t{end + 1}\n")
            if len(lines) >= 30000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--tps", type=float, default=1000.0)
    parser.add_argument("--fail", type=float, default=0.5, help="percent of KO requests")
    args = parser.parse_args()
    write_log(args.path, args.requests, args.tps, args.fail)


if __name__ == "__main__":
    main()
