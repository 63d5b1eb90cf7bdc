# Shortcuts for the README's two commands (python3 scripts/lab.py, python3 scripts/test.py),
# which need nothing but python3; and for the benchmarks and the demo data.
PYTHON ?= python3

.PHONY: lab test constraints bench demo-data

lab:
	$(PYTHON) scripts/lab.py

test:
	$(PYTHON) scripts/test.py

# Pin what the tests pass with (after a dependency changed): commit constraints.txt if green.
constraints:
	$(PYTHON) scripts/_bootstrap.py --refresh-constraints
	$(PYTHON) scripts/test.py

bench:
	$(PYTHON) scripts/_bootstrap.py
	.venv/bin/python benchmarks/bench_frames.py
	.venv/bin/python benchmarks/bench_fetch.py
	.venv/bin/python benchmarks/bench_fetch_frames.py
	.venv/bin/python benchmarks/bench_startup.py
	.venv/bin/python benchmarks/bench_charts.py
	# 100,000 executions (about 40 s); the 1,000,000 of BENCHMARKS.md: --executions 1000000 --skip-sync
	.venv/bin/python benchmarks/bench_fleet.py

demo-data:
	.venv/bin/python scripts/make_demo_data.py
