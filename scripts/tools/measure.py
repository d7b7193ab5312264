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
def stacks(label):
    return label.split(", ")[1]

print()
for label, (wall, rss) in rows.items():
    if label.startswith("CDK"):
        continue
    cdk = next(l for l in rows if l.startswith("CDK") and stacks(l) == stacks(label))
    print(f"- {label}: CDK / infra-gen = {rows[cdk][0] / wall:.0f}x wall time, {rows[cdk][1] / rss:.0f}x peak memory")
sizes = sorted({stacks(l) for l in rows}, key=lambda s: int(s.split()[0]))
for kind in sorted({l.split(", ", 2)[2] for l in rows if not l.startswith("CDK")}):
    small, large = (f"infra-gen synth, {s}, {kind}" for s in (sizes[0], sizes[-1]))
    print(f"- infra-gen {kind}: {sizes[-1]} take {rows[large][0] / rows[small][0]:.1f}x the wall time of {sizes[0]}")
cdk_small, cdk_large = (f"CDK node app.js, {s}, CFN only" for s in (sizes[0], sizes[-1]))
print(f"- CDK: {sizes[-1]} take {rows[cdk_large][0] / rows[cdk_small][0]:.1f}x the wall time of {sizes[0]}")
