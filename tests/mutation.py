"""Mutation testing of the modules whose tests need Postgres and the model (`db/faces`, `service`).

`mutmut run` runs each mutant's tests in a fresh pytest session, which would start Postgres again for each
of several hundred mutants. This runner takes the mutants mutmut generated (`mutants/`, after a
`mutmut run`), starts one Postgres for all of them (`FACEREC_TEST_DATABASE_URL`, which the tests' conftest
uses instead of a throwaway server; the API tests empty it around each test), and runs the module's tests
against each mutant in turn, stopping at the first failure. `--sample N` takes every k-th mutant in name
order, N in all: a deterministic sample of every function. Run from the project root:

    .venv/bin/mutmut run "facerec.matching*"     # generates every configured module's mutants
    .venv/bin/python -m tests.mutation --sample 40 db.faces service

The result per mutant is written to `mutants/slow-results.json`: killed (a test failed), timeout,
survived, or error (pytest could not run: counted apart).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from facerec.db.embedded import embedded_postgres_server
from facerec.db.migrate import upgrade_to_head

MUTANTS = Path("mutants")
RESULTS = MUTANTS / "slow-results.json"
# The tests that reach each module through the API and the store, cheapest first.
TESTS = {
    "db.faces": [
        "tests/db/test_face_store.py",
        "tests/db/test_face_search.py",
        "tests/api/test_store.py",
        "tests/api/test_persons.py",
        "tests/api/test_collections.py",
        "tests/api/test_curation.py",
        "tests/api/test_verify.py",
        "tests/api/test_batch.py",
    ],
    "service": [
        "tests/api/test_store.py",
        "tests/api/test_verify.py",
        "tests/api/test_persons.py",
        "tests/api/test_collections.py",
        "tests/api/test_threshold_effects.py",
        "tests/api/test_register_atomic.py",
        "tests/api/test_rejections.py",
        "tests/api/test_batch.py",
        "tests/api/test_curation.py",
        "tests/api/test_quality.py",
    ],
}
TIMEOUT_S = 600
OUTCOMES = {0: "survived", 1: "killed"}


def mutant_names(module: str) -> list[str]:
    meta = MUTANTS / "src" / "facerec" / (module.replace(".", "/") + ".py.meta")
    return sorted(json.loads(meta.read_text())["exit_code_by_key"])


def sample(names: list[str], size: int | None) -> list[str]:
    if size is None or size >= len(names):
        return names
    step = math.ceil(len(names) / size)
    return names[::step]


def run_mutant(name: str, tests: list[str], database_url: str) -> str:
    env = {
        **os.environ,
        "MUTANT_UNDER_TEST": name,
        "FACEREC_TEST_DATABASE_URL": database_url,
        "PYTHONPATH": "src",
    }
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-cov", *tests]
    try:
        completed = subprocess.run(command, cwd=MUTANTS, env=env, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "timeout"
    return OUTCOMES.get(completed.returncode, "error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", choices=sorted(TESTS))
    parser.add_argument("--sample", type=int, help="mutants per module, every k-th in name order")
    parser.add_argument("--again", nargs="*", default=[], help="of the sample, run only these mutants again")
    arguments = parser.parse_args()
    results: dict[str, str] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory() as data, embedded_postgres_server(Path(data)) as database_url:
        upgrade_to_head(database_url)
        for module in arguments.modules:
            chosen = sample(mutant_names(module), arguments.sample)
            for index, name in enumerate(chosen, 1):
                if arguments.again and name not in arguments.again:
                    continue
                started = time.monotonic()
                results[name] = run_mutant(name, TESTS[module], database_url)
                RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))
                took = time.monotonic() - started
                print(f"{module} {index}/{len(chosen)} {results[name]} {took:.0f}s {name}", flush=True)
            outcomes = [results[name] for name in chosen]
            counts = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))}
            print(f"{module}: {len(chosen)} mutants: {counts}", flush=True)


if __name__ == "__main__":
    main()
