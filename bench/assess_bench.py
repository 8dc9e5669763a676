#!/usr/bin/env python3
"""Time `hallmark assess` against `hallmark unpack` on the same images.

For each image: median wall time (and peak RSS, from GNU time) over --runs runs of
  unpack --list      the layer tree only, in memory
  unpack -o DIR      extraction to disk (what `hallmark unpack` is for people)
  assess             the default assessment (likely password candidates)
  assess full        `--crack full` (the whole password dictionary)
and the ratio of assess to each unpack. Markdown on stdout (and in --output).

    python3 bench/assess_bench.py --runs 5 --output /tmp/assess-bench.md [IMAGES...]

Images default to the five largest of ../shared/corpus/{real,synthetic} plus the bundled
example.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SKIP = {".md", ".json", ".txt", ".csv", ".py", ".sh"}


def default_images():
    files = [p for g in ("real", "synthetic") for p in (CORPUS / g).rglob("*")
             if p.is_file() and p.suffix.lower() not in SKIP] if CORPUS.is_dir() else []
    files.sort(key=lambda p: p.stat().st_size, reverse=True)
    return files[:5] + [ROOT / "examples" / "demo-router.tar.gz"]


def measure(cmd, runs):
    walls, rss = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="hallmark-assess-bench-") as tmp:
            argv = [a.replace("{out}", str(Path(tmp) / "out")) for a in cmd]
            rss_file = Path(tmp) / "rss"
            start = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] + argv,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            walls.append(time.perf_counter() - start)
            if proc.returncode != 0:
                sys.exit(f"{' '.join(argv)} failed: {proc.stderr.decode(errors='replace')[-500:]}")
            try:
                rss.append(int(rss_file.read_text().split()[-1]))
            except (ValueError, IndexError):
                pass
    return statistics.median(walls), (max(rss) / 1024 if rss else float("nan"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--hallmark", default=str(ROOT / "target" / "release" / "hallmark"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if not Path(args.hallmark).exists():
        sys.exit(f"build it first: cargo build --release -p hallmark-cli ({args.hallmark})")
    images = args.images or default_images()
    h = args.hallmark
    lines = [
        f"Command: `python3 bench/assess_bench.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}. Cells: median wall time of "
        f"{args.runs} runs / peak RSS.",
        "",
        "| image | MB | unpack --list | unpack -o | assess | assess --crack full | assess / unpack --list | assess / unpack -o |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for image in images:
        cells = {}
        for name, cmd in [
            ("list", [h, "unpack", "--list", str(image)]),
            ("out", [h, "unpack", str(image), "-o", "{out}"]),
            ("assess", [h, "assess", "-q", "--format", "json", "-o", "/dev/null", str(image)]),
            ("full", [h, "assess", "-q", "--crack", "full", "--format", "json", "-o", "/dev/null", str(image)]),
        ]:
            cells[name] = measure(cmd, args.runs)
            print(f"{image.name:50} {name:8} {cells[name][0]:.3f} s {cells[name][1]:.0f} MB", file=sys.stderr)
        fmt = lambda c: f"{c[0]:.2f} s / {c[1]:.0f} MB"
        lines.append(
            f"| {image.name} | {image.stat().st_size / 1e6:.1f} | {fmt(cells['list'])} | {fmt(cells['out'])} "
            f"| {fmt(cells['assess'])} | {fmt(cells['full'])} | {cells['assess'][0] / cells['list'][0]:.1f}x "
            f"| {cells['assess'][0] / cells['out'][0]:.1f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
