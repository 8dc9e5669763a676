#!/usr/bin/env python3
"""Time `hallmark unpack` side by side with unsquashfs, binwalk v3 and unblob.

Every tool extracts the same inputs into a fresh temporary directory; the page cache is
flushed with `sync` between runs. Wall time is the median of --runs runs (slow tools run
--slow-runs times); peak RSS is the largest seen, from GNU time. The result is a Markdown
table on stdout (and in --output), with the command line that produced it.

    bench/setup-tools.sh    # once: binwalk v3, unblob and their extractors under /work/tools
    python3 bench/unpack_bench.py --bench-image ../bench-out/bench-rootfs.squashfs --bombs \
        --runs 5 --slow-runs 3 --output /tmp/unpack-bench.md

Inputs default to every image in ../shared/corpus/{real,synthetic}. `--bombs` adds 1 GiB
decompression bombs (gzip, xz, zstd and bzip2 of zeros, and a gzip bomb inside a tar), made in
a temporary directory. `--bench-tar` adds the standard image's files as a gzip-compressed tar
(unpacked with unsquashfs, packed with GNU tar), the large case for archives read as they are
decoded; the `tar` tool (GNU tar) is its baseline as unsquashfs is the squashfs one.
`--hallmark-before PATH` adds a column for another hallmark build (an earlier commit). A tool that is not installed is reported as such, never silently
dropped. Install recipes for the other tools are in ../shared/reference/anchors-firmware.md
(section d); bench/setup-tools.sh follows them.
"""

import argparse
import json
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
SKIP_SUFFIXES = {".md", ".json", ".txt", ".csv", ".py", ".sh"}
GNU_TIME = shutil.which("time") and "/usr/bin/time"


def corpus_inputs():
    images = []
    for group in ("real", "synthetic"):
        base = CORPUS / group
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix.lower() not in SKIP_SUFFIXES:
                images.append(path)
    return images


def is_squashfs(path):
    with open(path, "rb") as f:
        return f.read(4) in (b"hsqs", b"sqsh")


def is_tar(path):
    name = path.name.lower()
    return any(name.endswith(s) for s in (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst"))


def make_bench_tar(image, directory):
    """The files of the standard squashfs image as a gzip tar, sorted, with numeric owners."""
    root = directory / "root"
    subprocess.run(["unsquashfs", "-no-progress", "-q", "-d", str(root), str(image)], check=True,
                   stdout=subprocess.DEVNULL)
    path = directory / "bench-rootfs.tar.gz"
    subprocess.run(f"tar --sort=name --numeric-owner -C {root} -cf - . | gzip -6 > {path}",
                   shell=True, check=True)
    shutil.rmtree(root)
    return path


def tools(hallmark, tools_dir, before=None):
    """name -> (argv builder or None when not installed, slow?)"""
    def local(rel, name):
        path = tools_dir / rel
        return str(path) if path.exists() else shutil.which(name)

    found = {
        "hallmark": hallmark if Path(hallmark).exists() else None,
        "unsquashfs": shutil.which("unsquashfs"),
        "binwalk": local("bin/binwalk", "binwalk"),
        "unblob": local("venv/bin/unblob", "unblob"),
        "tar": shutil.which("tar"),
        "hallmark-before": before if before and Path(before).exists() else None,
    }
    # unblob runs its extractors (jefferson, ubireader, sasquatch) from PATH.
    os.environ["PATH"] = os.pathsep.join(
        [str(tools_dir / "venv" / "bin"), str(tools_dir / "shim"), os.environ.get("PATH", "")])
    return {
        "hallmark": (found["hallmark"] and (lambda i, o: [found["hallmark"], "unpack", str(i), "-o", str(o)]), False),
        "unsquashfs": (found["unsquashfs"] and (lambda i, o: [found["unsquashfs"], "-no-progress", "-d", str(o), str(i)]), False),
        "binwalk": (found["binwalk"] and (lambda i, o: [found["binwalk"], "-Me", "-q", "-C", str(o), str(i)]), True),
        "unblob": (found["unblob"] and (lambda i, o: [found["unblob"], "-e", str(o), str(i)]), True),
        "tar": (found["tar"] and (lambda i, o: ["sh", "-c", f"mkdir -p '{o}' && exec tar -xf '{i}' -C '{o}'"]), False),
        "hallmark-before": (found["hallmark-before"] and (lambda i, o: [found["hallmark-before"], "unpack", str(i), "-o", str(o)]), False),
    }


def make_bombs(directory):
    """1 GiB of zeros compressed every way the engine must stop early on."""
    import bz2
    import io
    import lzma
    import tarfile
    import zlib

    gib, chunk = 1 << 30, b"\0" * (1 << 20)
    bombs = []

    def stream(name, compressor):
        path = directory / name
        with open(path, "wb") as f:
            for _ in range(gib // len(chunk)):
                f.write(compressor.compress(chunk))
            f.write(compressor.flush())
        bombs.append(path)
        return path

    gz = stream("bomb-1gib.gz", zlib.compressobj(9, zlib.DEFLATED, 31))
    stream("bomb-1gib.xz", lzma.LZMACompressor(preset=6))
    stream("bomb-1gib.bz2", bz2.BZ2Compressor(9))
    zstd = shutil.which("zstd")
    if zstd:
        path = directory / "bomb-1gib.zst"
        subprocess.run(f"head -c {gib} /dev/zero | {zstd} -q -19 -o {path}", shell=True, check=True)
        bombs.append(path)
    nested = directory / "bomb-nested.tar"
    with tarfile.open(nested, "w") as tar:
        data = gz.read_bytes()
        for n in range(4):
            info = tarfile.TarInfo(f"layer{n}.gz")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bombs.append(nested)
    return bombs


def run_once(argv, workdir):
    out = workdir / "out"
    if out.exists():
        shutil.rmtree(out, ignore_errors=True)
    if argv is None:
        return None
    subprocess.run(["sync"], check=False)
    cmd = argv(Path(workdir / "in"), out)
    rss_file = workdir / "rss"
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file)] + cmd
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir)
    wall = time.perf_counter() - start
    rss_kib = None
    if GNU_TIME and rss_file.exists():
        try:
            rss_kib = int(rss_file.read_text().strip().splitlines()[-1])
        except ValueError:
            pass
    files = sum(len(f) for _, _, f in os.walk(out)) if out.exists() else 0
    shutil.rmtree(out, ignore_errors=True)
    return {"wall": wall, "rss_kib": rss_kib, "ok": proc.returncode == 0, "files": files,
            "stderr": proc.stderr.decode(errors="replace")[-300:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="images (default: the shared corpus)")
    parser.add_argument("--bench-image", type=Path, help="the standard ~80 MB squashfs (../shared/bench)")
    parser.add_argument("--hallmark", default=str(ROOT / "target" / "release" / "hallmark"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=3)
    parser.add_argument("--bombs", action="store_true", help="add 1 GiB decompression bombs")
    parser.add_argument("--bench-tar", action="store_true",
                        help="add the standard image's files as a .tar.gz (needs --bench-image)")
    parser.add_argument("--hallmark-before", help="another hallmark binary, as column hallmark-before")
    parser.add_argument("--tools-dir", type=Path, default=Path(os.environ.get("TOOLS", "/work/tools")),
                        help="where bench/setup-tools.sh installed binwalk and unblob")
    parser.add_argument("--tools", default="hallmark,unsquashfs,binwalk,unblob")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--json", type=Path, help="also write raw results as JSON")
    args = parser.parse_args()

    inputs = list(args.inputs) or corpus_inputs()
    if args.bench_image:
        inputs.append(args.bench_image)
    tar_dir = None
    if args.bench_tar:
        if not args.bench_image:
            sys.exit("--bench-tar needs --bench-image")
        tar_dir = tempfile.TemporaryDirectory(prefix="hallmark-benchtar-")
        inputs.append(make_bench_tar(args.bench_image, Path(tar_dir.name)))
    bomb_dir = None
    if args.bombs:
        bomb_dir = tempfile.TemporaryDirectory(prefix="hallmark-bombs-")
        inputs.extend(make_bombs(Path(bomb_dir.name)))
    if not inputs:
        sys.exit("no inputs: pass images or put ../shared/corpus beside the repository")
    available = tools(args.hallmark, args.tools_dir, args.hallmark_before)
    chosen = [t.strip() for t in args.tools.split(",") if t.strip()]

    rows, raw = [], []
    for image in inputs:
        row = {"input": image.name, "size_mb": image.stat().st_size / 1e6}
        with tempfile.TemporaryDirectory(prefix="hallmark-bench-") as tmp:
            work = Path(tmp)
            os.symlink(image.resolve(), work / "in")
            for name in chosen:
                argv, slow = available.get(name, (None, False))
                if (name == "unsquashfs" and not is_squashfs(image)) or (name == "tar" and not is_tar(image)):
                    row[name] = "n/a"
                    continue
                if argv is None:
                    row[name] = "not installed"
                    continue
                runs = [run_once(argv, work) for _ in range(args.slow_runs if slow else args.runs)]
                walls = [r["wall"] for r in runs]
                rss = [r["rss_kib"] for r in runs if r["rss_kib"] is not None]
                ok = all(r["ok"] for r in runs)
                cell = f"{statistics.median(walls):.2f} s"
                if rss:
                    cell += f" / {max(rss) / 1024:.0f} MB"
                cell += f" / {runs[-1]['files']} files"
                if not ok:
                    cell += " (exit!=0)"
                row[name] = cell
                raw.append({"input": str(image), "tool": name, "runs": runs})
                print(f"{image.name:50} {name:10} {cell}", file=sys.stderr)
        rows.append(row)

    command = "python3 bench/unpack_bench.py " + " ".join(sys.argv[1:])
    lines = [
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}. "
        "Cells: median wall time / peak RSS / files extracted (last run).",
        "",
        "| input | MB | " + " | ".join(chosen) + " |",
        "|---|---:|" + "---|" * len(chosen),
    ]
    for row in rows:
        lines.append(f"| {row['input']} | {row['size_mb']:.1f} | " + " | ".join(str(row.get(t, "")) for t in chosen) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
