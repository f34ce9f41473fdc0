# The two commands of README.md. Both set everything up on a fresh machine (system packages,
# .venv, control-plane binaries built into ~/.cache/wetest), then do their job.
.PHONY: run test setup

run:  ## the main job: conformance suites against the bundled controller, then the triage report
	bash scripts/run.sh

test:  ## the project's own tests (lint, types, import contracts, unit and real-stack tests)
	bash scripts/test.sh

setup:
	bash scripts/setup.sh
