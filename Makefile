.PHONY: run test setup bench lint

run:  ## set up, load demo data, start the service on http://127.0.0.1:8000
	scripts/run.sh

test:  ## set up and run the whole test suite on SQLite and PostgreSQL
	scripts/test.sh

setup:
	scripts/setup.sh --dev

bench:  ## benchmarks (need ../shared/data)
	.venv/bin/python bench/import_registry.py
