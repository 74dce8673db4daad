"""Runs the shipped Flink job (flink-app/main.py, unchanged) on a local Flink 1.20 mini-cluster and waits for it.

Usage: run_local_job.py SQL_DIR PROPERTIES_JSON [SQL_DIR PROPERTIES_JSON ...]

Each SQL_DIR holds the job's statements with file connectors (analytics/flink-local.ts writes them); the runs
share one JVM, one after the other. Inputs are bounded, so each streaming job ends when its file is read (the
watermark then jumps to the end of time and every window and session closes). Prints each job's own wall time
as ``flink job SQL_DIR: N.N s``.
"""

import os
import sys
import time
from pathlib import Path

FLINK_APP = Path(__file__).resolve().parents[2] / "flink-app"


def run(cases):
    # The judge runs in Python worker processes the JVM starts: they import main and telemetry_contract from
    # flink-app through the environment they inherit (the service ships them as pyFiles instead).
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(FLINK_APP), os.environ.get("PYTHONPATH")) if p)
    sys.path.insert(0, str(FLINK_APP))
    import main  # the runner the application zip ships

    for sql_dir, properties_path in cases:
        os.environ["IOTPIPE_SQL_DIR"] = str(sql_dir)
        started = time.monotonic()
        main.main([str(properties_path)]).wait()
        print(f"flink job {sql_dir}: {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    run(list(zip(args[::2], args[1::2])))
