"""Runs commands N times each, interleaved, and prints a Markdown table of the median wall
time and peak RSS, with the ratio of each infra-gen row to the CDK row of the same size.

Each argument is `LABEL::COMMAND`; `@TMP@` in a command becomes a fresh empty directory per
run. Peak RSS is the child's ru_maxrss, read with os.wait4 (no external `time` needed).
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("commands", nargs="+")
args = parser.parse_args()

cases = [c.split("::", 1) for c in args.commands]
samples = {label: [] for label, _ in cases}
for _ in range(args.runs):
    for label, command in cases:
        scratch = tempfile.mkdtemp()
        argv = [a.replace("@TMP@", scratch) for a in shlex.split(command)]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read().decode(errors="replace")
        shutil.rmtree(scratch, ignore_errors=True)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{label} failed:\n{stderr}")
        samples[label].append((wall, usage.ru_maxrss / 1024))

rows = {label: (statistics.median(w for w, _ in s), statistics.median(m for _, m in s)) for label, s in samples.items()}
print(f"| command | median wall (ms) | median peak RSS (MiB) | runs |")
print("|---|---:|---:|---:|")
for label, (wall, rss) in rows.items():
    print(f"| {label} | {wall * 1000:.1f} | {rss:.1f} | {args.runs} |")
labels = list(rows)
print()
for ours, theirs in zip(labels[0::2], labels[1::2]):
    (w1, m1), (w2, m2) = rows[ours], rows[theirs]
    print(f"- {ours.split(',')[1].strip()}: CDK / infra-gen = {w2 / w1:.0f}x wall time, {m2 / m1:.0f}x peak memory")
if len(labels) >= 4:
    growth_ours = rows[labels[2]][0] / rows[labels[0]][0]
    growth_cdk = rows[labels[3]][0] / rows[labels[1]][0]
    print(f"- 10x the stacks costs infra-gen {growth_ours:.1f}x the wall time (CDK: {growth_cdk:.1f}x)")
