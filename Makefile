# The two commands a newcomer types: `make demo` and `make test`. Both set up first (idempotent).
.PHONY: setup demo celery-demo test check lint ui ui-stop local-start local-stop local-status bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/sagemaker-sizing demo

# The distributed path without Docker: redis, PostgreSQL, two Celery workers, results on S3 (moto).
celery-demo: setup
	.venv/bin/python scripts/celery_demo.py

test: setup
	@bash scripts/test.sh

# The inner loop (under 2 minutes): lint, types and the fast tests (no JVM, emulator, DAG run or server).
check: setup
	@bash scripts/test.sh --fast

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

# Airflow with its UI and the local SageMaker, on loopback: the trigger form opens with the demo's conf.
# Stop it with Ctrl-C, or `make ui-stop` from another terminal (make passes no signal on to it).
ui: setup
	bash scripts/ui.sh
ui-stop:
	.venv/bin/sagemaker-sizing ui --stop

local-start: setup
	.venv/bin/sagemaker-sizing local start
local-stop:
	.venv/bin/sagemaker-sizing local stop
local-status:
	.venv/bin/sagemaker-sizing local status

bench: setup
	bash bench/run_all.sh

# Also this clone's PostgreSQL and Redis (their data may live outside the clone: scripts/postgres.sh).
clean:
	-.venv/bin/sagemaker-sizing local stop
	-bash scripts/postgres.sh clean
	-bash scripts/redis.sh clean
	rm -rf .setup airflow_home .local-sagemaker results .celery-demo
