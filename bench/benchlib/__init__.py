"""The benchmark driver behind bench/run: setup, servers, load, report."""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
