"""Benchmark: how long a sign-in takes to answer, by outcome (issue 12: timing must not tell).

With the real argon2 parameters (argon2-cffi defaults), times ``authenticate`` for an unknown
name, a wrong password, a disabled account, a locked account and the right password, on a
fresh two-village dataset. Before the fix a disabled or locked account answered in about 5 ms
and the others in about 250 ms, so the time told whether an account existed. Prints a table
and appends it to ``bench/results/signin.md``.

    .venv/bin/python bench/bench_signin.py --runs 9
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]  # the engine first: tests/ has a geo/ folder of its own
sys.path.append(str(ROOT / "tests"))
OUT = ROOT / "bench" / "results" / "signin.md"
PW = "amber river crossing 42"


def main() -> None:
    from privacy_data import two_villages

    from geo.privacy.accounts import SignInFailed, add_user, authenticate, disable_user
    from geo.store import settings
    from geo.store.dataset import write_dataset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.gpkg"
        write_dataset(two_villages(), path)
        for name in ("alive", "gone", "locked"):
            add_user(path, name, PW, role="admin")
        disable_user(path, "gone")
        settings.max_failed_logins = 1
        with contextlib.suppress(SignInFailed):
            authenticate(path, "locked", "not it at all")
        settings.max_failed_logins = 10**9  # the measured wrong passwords lock nobody
        cases = {"unknown name": ("nobody", PW), "wrong password": ("alive", "not it at all"),
                 "disabled account": ("gone", PW), "locked account": ("locked", PW),
                 "right password": ("alive", PW)}
        rows = []
        for label, (name, password) in cases.items():
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                with contextlib.suppress(SignInFailed):
                    authenticate(path, name, password)
                times.append((time.perf_counter() - t0) * 1000)
            rows.append((label, statistics.median(times), min(times), max(times)))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = [f"\n## {time.strftime('%Y-%m-%d %H:%M')} UTC, commit {commit}, {args.runs} runs each\n",
             "| outcome | median ms | min ms | max ms |", "|---|---|---|---|"]
    lines += [f"| {label} | {med:.0f} | {lo:.0f} | {hi:.0f} |" for label, med, lo, hi in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not OUT.exists():
        OUT.write_text("# Sign-in answer time by outcome (bench/bench_signin.py)\n\n"
                       "Every refusal costs one argon2 verification, so the time does not tell "
                       "whether an account exists, is disabled or is locked.\n")
    with OUT.open("a") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
