#!/usr/bin/env python3
"""Component and vulnerability scans side by side: Hallmark, cve-bin-tool and syft.

Every image is unpacked once with `hallmark unpack IMAGE -o TREE`; cve-bin-tool and syft scan
that tree, Hallmark reads the image itself (so its times include its own unpacking, which the
other tools are spared). Per image and tool: median wall time over --runs runs, peak RSS (GNU
time, the largest single process), the components found with a version and, for the tools that
match vulnerabilities, the CVEs found. The result is Markdown on stdout (and in --output), with
the command line that produced it; --json adds the raw runs and, per image, the name@version
list of every tool so their findings can be compared.

    bench/setup-tools.sh    # once: cve-bin-tool and syft under /work/tools/sbom-venv
    python3 bench/sbom_bench.py --bench-image ../bench-out/bench-rootfs.squashfs --runs 5 \
        --output /tmp/sbom-bench.md --json /tmp/sbom-bench.json

What runs (everything offline; no tool may reach the network):
  hallmark sbom     `hallmark sbom IMAGE --format cyclonedx -o FILE -q`: components
  hallmark vuln     `hallmark assess IMAGE --vuln-db STORE --format json -o FILE -q`: the whole
                    assessment, components and their vulnerabilities; only when this Hallmark
                    has `hallmark db` (the store gets `hallmark db import` of --nvd first)
  cve-bin-tool      `cve-bin-tool --offline ... -f json --sbom-output FILE TREE`: binary
                    checkers and CVE matching against its SQLite database
  syft              `syft scan dir:TREE -q -o cyclonedx-json=FILE`: components only

The vulnerability data is the same for both matchers: --nvd (default
../shared/corpus/vulndata/nvd-embedded-subset.json, condensed NVD CVE API 2.0 records) is
imported into a scratch Hallmark store and translated into cve-bin-tool's `cve_severity` and
`cve_range` rows the way its NVD source would write them, in a scratch HOME. cve-bin-tool
cannot be given data any other way offline; the scratch HOME also gets a pre-filled `sqlite`
version map, because its SQLite checker otherwise fetches https://www.sqlite.org/changes.html
at import time (even with --offline) and crashes without network. A self-test scans a tiny
tree with a BusyBox 1.30.1 version string and requires CVE-2022-28391 from the seeded rows.

Inputs default to the shared-corpus images that hold a root file system (list below). A tool
that is missing, fails or times out (--timeout) says so in its cell; nothing is dropped.
"""

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
TOOLS = ("hallmark-sbom", "hallmark-vuln", "cve-bin-tool", "syft")
TITLES = {"hallmark-sbom": "Hallmark sbom", "hallmark-vuln": "Hallmark assess --vuln-db",
          "cve-bin-tool": "cve-bin-tool", "syft": "syft"}
# The shared-corpus images with a root file system (synthetic first, then real).
DEFAULT_INPUTS = [
    "synthetic/router-armhf/firmware.bin",
    "synthetic/router-armhf-ubi/rootfs.ubi",
    "synthetic/nas-arm64-ext4/rootfs.ext4",
    "synthetic/initramfs-mipsel/initramfs.cpio.gz",
    "real/openwrt-librarybox-tl-wr703n/*.bin",
    "real/tplink-tl-wr940n-v4-stock/*.bin",
    "real/dlink-dir615c-rootfs/squashfs-root.tar.bz2",
    "real/emux-damn-vulnerable-arm-router/rootfs-arm.tar.bz2",
    "real/rpi5-alpine-initramfs-cpio/rootfs.cpio.gz",
    "real/lichee-pi-nano-buildroot-jffs2/rootfs.jffs2",
]
CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def default_inputs():
    found = []
    for pattern in DEFAULT_INPUTS:
        matches = sorted(CORPUS.glob(pattern))
        if not matches:
            print(f"warning: no corpus image matches {pattern}", file=sys.stderr)
        found.extend(matches)
    return found


# ---------------------------------------------------------------------------------------------
# Running a tool


def run_bounded(argv, timeout, env=None, cwd=None, log=None):
    """Run argv under GNU time with a wall-clock limit; kill its whole process group on
    timeout. Returns wall, peak RSS (KiB), exit code, timed_out, and the tail of its output."""
    rss_file = Path(tempfile.mkstemp(prefix="sbom-bench-rss-")[1])
    cmd = ([GNU_TIME, "-f", "%M", "-o", str(rss_file)] if GNU_TIME else []) + [str(a) for a in argv]
    out = open(log, "wb") if log else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    timed_out = False
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    if log:
        out.close()
        err = Path(log).read_bytes()[-2000:]
    rss_kib = None
    try:
        rss_kib = int(rss_file.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError, OSError):
        pass
    rss_file.unlink(missing_ok=True)
    return {"wall": round(wall, 4), "rss_kib": rss_kib, "rc": proc.returncode, "timed_out": timed_out,
            "tail": (err or b"").decode(errors="replace")[-600:]}


# ---------------------------------------------------------------------------------------------
# cve-bin-tool's database, seeded from the condensed NVD records


def cpe_criteria(record):
    """Every vulnerable CPE criterion of a condensed record, with its range: `cpe_matches`,
    and `configurations` (device records; nodes nested as lists or as {"cpeMatch": [...]})."""
    out = []

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            if "criteria" in node:
                if node.get("vulnerable", True):
                    out.append(node)
                return
            for value in node.values():
                walk(value)

    walk(record.get("cpe_matches", []))
    walk(record.get("configurations", []))
    return out


def cve_bin_tool_rows(nvd_file):
    """(cve_severity rows, cve_range rows) as cve-bin-tool's NVD source (format_data_api2,
    parse_node_api2) writes them: the CVSS v3.1, else v3.0, else v2 metric; vendor, product and
    version split from the CPE; "" for an unset range end (its scanner tests `is not ""`)."""
    records = json.loads(Path(nvd_file).read_text())
    records = records.get("cves", records.get("vulnerabilities", [])) if isinstance(records, dict) else records
    severity, ranges = [], []
    for rec in records:
        rec = rec.get("cve", rec)
        cvss, version = None, "unknown"
        for key, ver in (("cvss_v31", 3), ("cvss_v30", 3), ("cvss_v2", 2)):
            if rec.get(key):
                cvss, version = rec[key], ver
                break
        sev = (cvss or {}).get("severity")
        if not sev and cvss and cvss.get("score") is not None:  # v2: NVD's bands
            sev = "LOW" if cvss["score"] < 4 else "MEDIUM" if cvss["score"] < 7 else "HIGH"
        desc = rec.get("description")
        if isinstance(rec.get("descriptions"), list) and rec["descriptions"]:
            desc = rec["descriptions"][0].get("value")
        severity.append((rec["id"], (sev or "unknown").upper(), desc or "unknown",
                         float(cvss["score"]) if cvss and cvss.get("score") is not None else "unknown",
                         version, re.sub(r"[^A-Za-z0-9:/]", "", (cvss or {}).get("vector", "")) or "unknown",
                         "NVD", rec.get("lastModified") or rec.get("published")))
        for match in cpe_criteria(rec):
            parts = re.split(r"(?<!\\):", match["criteria"])
            ranges.append((rec["id"], parts[3], parts[4], parts[5],
                           match.get("versionStartIncluding", ""), match.get("versionStartExcluding", ""),
                           match.get("versionEndIncluding", ""), match.get("versionEndExcluding", ""), "NVD"))
    return severity, ranges


def seed_cve_bin_tool(python, home, nvd_file):
    """Create cve-bin-tool's database under HOME/.cache/cve-bin-tool with its own schema
    (CVEDB().init_database()), insert the NVD rows, and pre-fill the SQLite checker's version map
    so importing the checkers does not fetch it from the web. Returns (severity, range) counts."""
    cache = home / ".cache" / "cve-bin-tool"
    cache.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home))
    proc = subprocess.run([*python, "-c", "from cve_bin_tool.cvedb import CVEDB; CVEDB().init_database()"],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"cve-bin-tool init_database failed: {proc.stderr[-500:]}")
    severity, ranges = cve_bin_tool_rows(nvd_file)
    with sqlite3.connect(cache / "cve.db") as db:
        db.executemany("INSERT OR REPLACE INTO cve_severity (cve_number, severity, description, score, "
                       "cvss_version, cvss_vector, data_source, last_modified) VALUES (?,?,?,?,?,?,?,?)", severity)
        db.executemany("INSERT INTO cve_range (cve_number, vendor, product, version, versionStartIncluding, "
                       "versionStartExcluding, versionEndIncluding, versionEndExcluding, data_source) "
                       "VALUES (?,?,?,?,?,?,?,?,?)", ranges)
        db.executemany("INSERT OR REPLACE INTO metrics (metrics_id, metrics_name) VALUES (?, ?)",
                       [(1, "EPSS"), (2, "CVSS-2"), (3, "CVSS-3")])
    # The SQLite checker's source-id map (checkers/sqlite.py, version_signature.py): a fresh
    # datestamp means "no refresh for 30 days". The map itself stays empty (no network to build
    # it from), so that checker finds SQLite only by its version-string pattern.
    with sqlite3.connect(cache / "version_map.db") as db:
        db.execute("CREATE TABLE IF NOT EXISTS sqlite(version TEXT , sourceId TEXT PRIMARY KEY)")
        db.execute("CREATE TABLE IF NOT EXISTS latest_update_sqlite (datestamp DATETIME PRIMARY KEY)")
        db.execute("DELETE FROM latest_update_sqlite")
        db.execute("INSERT INTO latest_update_sqlite VALUES (?)", (time.time(),))
    return len(severity), len(ranges)


def cve_bin_tool_argv(exe, tree, out):
    return [exe, "--offline", "-u", "never", "--disable-version-check", "--disable-validation-check",
            "-f", "json", "-o", out / "report.json",
            "--sbom-type", "cyclonedx", "--sbom-format", "json", "--sbom-output", out / "sbom.cdx.json",
            tree]


def self_test_cve_bin_tool(exe, env, work, timeout):
    """A tree with one 'binary' holding BusyBox 1.30.1's version string must give
    CVE-2022-28391 (busybox <= 1.35.0) from the seeded rows."""
    tree = work / "selftest-tree"
    (tree / "bin").mkdir(parents=True, exist_ok=True)
    # An ELF header (cve-bin-tool only reads files `file` calls ELF, PE, Mach-O or data).
    (tree / "bin" / "busybox").write_bytes(
        b"\x7fELF\x01\x01\x01" + bytes(57) + b"BusyBox v1.30.1 (2019-02-14 18:11:39 UTC) multi-call binary.\0"
        b"BusyBox is a multi-call binary that combines many common Unix\0" + bytes(64))
    out = work / "selftest-out"
    out.mkdir(exist_ok=True)
    result = run_bounded(cve_bin_tool_argv(exe, tree, out), timeout, env=env, cwd=work, log=out / "log")
    found = parse_cve_bin_tool(out)
    ok = "CVE-2022-28391" in found["cves"] and "busybox@1.30.1" in found["components"]
    return ok, result, found


# ---------------------------------------------------------------------------------------------
# Reading what each tool found


def cdx_components(path, skip_types=("file",), skip_name=None):
    """name@version of every CycloneDX component (nested ones too) with a version, except
    the given types and names; and the count of those without a version."""
    doc = json.loads(Path(path).read_text())
    with_version, without = set(), 0
    stack = list(doc.get("components", []))
    while stack:
        c = stack.pop()
        stack.extend(c.get("components", []))
        if c.get("type") in skip_types or (skip_name and skip_name.match(c.get("name") or "")):
            continue
        version = (c.get("version") or "").strip()
        if version and version.upper() not in ("UNKNOWN", "NOASSERTION"):
            with_version.add(f"{c.get('name')}@{version}")
        else:
            without += 1
    return with_version, without


def parse_hallmark_sbom(out):
    comps, without = cdx_components(out / "sbom.cdx.json")
    return {"components": sorted(comps), "without_version": without}


def find_vuln_scans(node):
    """Every `vulnerabilities` object holding `matches` in a Hallmark report."""
    if isinstance(node, dict):
        v = node.get("vulnerabilities")
        if isinstance(v, dict) and ("matches" in v or "components_examined" in v):
            yield v
        for value in node.values():
            yield from find_vuln_scans(value)
    elif isinstance(node, list):
        for value in node:
            yield from find_vuln_scans(value)


def parse_hallmark_report(out):
    report = json.loads((out / "report.json").read_text())
    scans = list(find_vuln_scans(report))
    matches, suppressed, comps = set(), set(), set()
    for scan in scans:
        for m in scan.get("matches", []):
            c = m.get("component", {})
            key = f"{c.get('name')}@{c.get('version')} {m.get('id')}"
            (suppressed if m.get("suppressed") else matches).add(key)
    # The report embeds the same component inventory as the SBOM.
    for node in find_key(report, "components"):
        for c in node if isinstance(node, list) else []:
            if isinstance(c, dict) and c.get("name") and c.get("version"):
                comps.add(f"{c['name']}@{c['version']}")
    return {"vuln_scan_found": bool(scans), "components": sorted(comps),
            "matches": sorted(matches), "suppressed": sorted(suppressed),
            "cves": sorted({k.split()[-1] for k in matches})}


def find_key(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from find_key(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from find_key(v, key)


def parse_cve_bin_tool(out):
    """Components from its CycloneDX SBOM (every product it identified), CVEs from its JSON
    report (rows whose cve_number is a CVE id; products without CVEs appear as UNKNOWN)."""
    result = {"components": [], "without_version": 0, "matches": [], "cves": []}
    sbom = out / "sbom.cdx.json"
    comps = set()
    if sbom.exists():
        # Its SBOM lists the scanned directory itself as an application "CVEBINTOOL-<dir>".
        with_version, without = cdx_components(sbom, skip_name=re.compile(r"^CVEBINTOOL-"))
        comps |= with_version
        result["without_version"] = without
    matches = set()
    report = out / "report.json"
    if report.exists() and report.stat().st_size:
        rows = json.loads(report.read_text())
        for row in rows if isinstance(rows, list) else []:
            name, version = row.get("product"), row.get("version")
            if name and version and version != "UNKNOWN":
                comps.add(f"{name}@{version}")
            if CVE_RE.match(row.get("cve_number", "")):
                matches.add(f"{name}@{version} {row['cve_number']}")
    result["components"] = sorted(comps)
    result["matches"] = sorted(matches)
    result["cves"] = sorted({m.split()[-1] for m in matches})
    return result


def parse_syft(out):
    comps, without = cdx_components(out / "sbom.cdx.json")
    return {"components": sorted(comps), "without_version": without}


# ---------------------------------------------------------------------------------------------


def tree_files(tree):
    return sum(len(f) for _, _, f in os.walk(tree))


def median_cell(runs, timeout):
    ok = [r for r in runs if r["ok"]]
    if not ok:
        last = runs[-1]
        if last["timed_out"]:
            return f"timeout ({timeout:.0f} s)", None
        return f"error (exit {last['rc']})", None
    wall = statistics.median(r["wall"] for r in ok)
    rss = [r["rss_kib"] for r in ok if r["rss_kib"] is not None]
    text = f"{wall:.2f} s"
    if rss:
        text += f" / {max(rss) / 1024:.0f} MB"
    if len(ok) < len(runs):
        text += f" ({len(runs) - len(ok)} failed)"
    return text, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="images (default: the corpus list above)")
    parser.add_argument("--bench-image", type=Path, help="add the standard ~80 MB squashfs (../bench-out/bench-rootfs.squashfs)")
    parser.add_argument("--hallmark", default=str(ROOT / "target" / "release" / "hallmark"))
    parser.add_argument("--tools-dir", type=Path, default=Path(os.environ.get("TOOLS", "/work/tools")),
                        help="where bench/setup-tools.sh installed cve-bin-tool and syft (sbom-venv/)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    parser.add_argument("--nvd", type=Path, default=CORPUS / "vulndata" / "nvd-embedded-subset.json",
                        help="NVD records both matchers get")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-runs", type=int, help="runs of cve-bin-tool, the slow one (default: --runs)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per tool run")
    parser.add_argument("--work", type=Path, help="keep trees, outputs and logs here (default: a temporary directory, removed)")
    parser.add_argument("--output", type=Path, help="also write the Markdown here")
    parser.add_argument("--json", type=Path, help="also write raw results and per-tool component lists as JSON")
    args = parser.parse_args()

    inputs = list(args.inputs) or default_inputs()
    if args.bench_image:
        inputs.append(args.bench_image)
    if not inputs:
        sys.exit("no inputs: pass images or put ../shared/corpus beside the repository")
    hallmark = args.hallmark
    if not Path(hallmark).exists():
        sys.exit(f"build it first: cargo build --release -p hallmark-cli ({hallmark})")
    chosen = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in chosen:
        if t not in TOOLS:
            sys.exit(f"unknown tool {t}: choose from {','.join(TOOLS)}")

    tmp = None
    if args.work:
        work = args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="hallmark-sbom-bench-")
        work = Path(tmp.name)
    notes = []  # what the legend must say about this run
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "runs": args.runs,
            "slow_runs": args.slow_runs,
            "timeout_s": args.timeout, "nvd": str(args.nvd), "versions": {}}

    # --- the tools
    venv = args.tools_dir / "sbom-venv" / "bin"
    cbt = str(venv / "cve-bin-tool") if (venv / "cve-bin-tool").exists() else shutil.which("cve-bin-tool")
    syft = str(venv / "syft") if (venv / "syft").exists() else shutil.which("syft")
    cbt_python = None  # the interpreter cve-bin-tool runs under, to create its database schema
    if cbt:
        first = Path(cbt).read_bytes()[:200].split(b"\n")[0]
        cbt_python = first[2:].decode().split() if first.startswith(b"#!/") else None
    status = {}  # tool -> None when usable, else the reason shown in its cells
    status["hallmark-sbom"] = None
    has_db = subprocess.run([hallmark, "db", "--help"], capture_output=True).returncode == 0
    status["hallmark-vuln"] = None if has_db else "no `hallmark db`"
    status["cve-bin-tool"] = None if cbt and cbt_python else "not installed"
    status["syft"] = None if syft else "not installed"
    meta["versions"]["hallmark"] = subprocess.run([hallmark, "--version"], capture_output=True, text=True).stdout.strip()
    if syft:
        v = subprocess.run([syft, "version"], capture_output=True, text=True,
                           env=dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false")).stdout
        meta["versions"]["syft"] = (re.findall(r"^Version:\s*(\S+)", v, re.M) or ["?"])[0]
    if cbt_python:
        v = subprocess.run([*cbt_python, "-c", "import cve_bin_tool.version as v; print(v.VERSION)"],
                           capture_output=True, text=True).stdout.strip()
        meta["versions"]["cve-bin-tool"] = v or "?"

    # --- vulnerability data for the matchers
    syft_env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false")
    cbt_home = work / "cve-bin-tool-home"
    cbt_env = dict(os.environ, HOME=str(cbt_home))
    vuln_db = work / "hallmark-vuln.sqlite3"
    hallmark_env = dict(os.environ, HALLMARK_VULN_DB=str(vuln_db))
    if "hallmark-vuln" in chosen and has_db:
        if vuln_db.exists():
            vuln_db.unlink()
        start = time.perf_counter()
        imp = subprocess.run([hallmark, "db", "import", str(args.nvd)], env=hallmark_env, capture_output=True, text=True)
        meta["hallmark_db_import_s"] = round(time.perf_counter() - start, 3)
        st = subprocess.run([hallmark, "db", "status"], env=hallmark_env, capture_output=True, text=True)
        meta["hallmark_db"] = {"import_rc": imp.returncode, "import": (imp.stdout + imp.stderr)[-1500:],
                               "status": (st.stdout + st.stderr)[-1500:]}
        print(f"hallmark db import: exit {imp.returncode}\n{st.stdout}{st.stderr}", file=sys.stderr)
        if imp.returncode != 0:
            status["hallmark-vuln"] = "db import failed"
        assess_help = subprocess.run([hallmark, "assess", "--help"], capture_output=True, text=True).stdout
        meta["assess_flag"] = "--vuln-db" in assess_help
    elif "hallmark-vuln" in chosen:
        print("notice: this hallmark has no `hallmark db` (vulnerability store): the Hallmark "
              "vulnerability step is skipped", file=sys.stderr)
        notes.append("Hallmark assess --vuln-db: skipped, this build has no `hallmark db`.")
    if "cve-bin-tool" in chosen and status["cve-bin-tool"] is None:
        if cbt_home.exists():
            shutil.rmtree(cbt_home)
        try:
            n_sev, n_range = seed_cve_bin_tool(cbt_python, cbt_home, args.nvd)
            meta["cve_bin_tool_db"] = {"cve_severity": n_sev, "cve_range": n_range, "home": str(cbt_home)}
            ok, result, found = self_test_cve_bin_tool(cbt, cbt_env, work, args.timeout)
            meta["cve_bin_tool_self_test"] = {"ok": ok, "found": found, "rc": result["rc"]}
            print(f"cve-bin-tool database: {n_sev} CVEs, {n_range} ranges; self-test "
                  f"(busybox 1.30.1 -> CVE-2022-28391): {'ok' if ok else 'FAILED'}", file=sys.stderr)
            if not ok:
                status["cve-bin-tool"] = "self-test failed"
                print(result["tail"], file=sys.stderr)
        except (RuntimeError, OSError, sqlite3.Error) as e:
            status["cve-bin-tool"] = "db seeding failed"
            print(f"cve-bin-tool: {e}", file=sys.stderr)

    def argv_for(tool, image, tree, out):
        if tool == "hallmark-sbom":
            return [hallmark, "sbom", image, "--format", "cyclonedx", "-o", out / "sbom.cdx.json", "-q"], hallmark_env
        if tool == "hallmark-vuln":
            flag = ["--vuln-db", vuln_db] if meta.get("assess_flag") else []
            return [hallmark, "assess", image, *flag, "--format", "json", "-o", out / "report.json", "-q"], hallmark_env
        if tool == "cve-bin-tool":
            return cve_bin_tool_argv(cbt, tree, out), cbt_env
        if tool == "syft":
            return [syft, "scan", f"dir:{tree}", "-q", "-o", f"cyclonedx-json={out / 'sbom.cdx.json'}"], syft_env

    parsers = {"hallmark-sbom": parse_hallmark_sbom, "hallmark-vuln": parse_hallmark_report,
               "cve-bin-tool": parse_cve_bin_tool, "syft": parse_syft}
    ok_codes = {"cve-bin-tool": (0, 1)}  # 1: CVEs found

    results = []
    for n, image in enumerate(inputs):
        image = image.resolve()
        entry = {"input": str(image), "name": image.name, "size_mb": round(image.stat().st_size / 1e6, 2), "tools": {}}
        tree = work / "trees" / f"{n:02d}-{image.name}"
        if tree.exists():
            shutil.rmtree(tree)
        tree.parent.mkdir(parents=True, exist_ok=True)
        unpack = run_bounded([hallmark, "unpack", image, "-o", tree], args.timeout)
        entry["unpack"] = {**unpack, "files": tree_files(tree) if tree.exists() else 0}
        print(f"{image.name:50} unpack       {unpack['wall']:.2f} s, {entry['unpack']['files']} files"
              + ("" if unpack["rc"] == 0 else f" (exit {unpack['rc']})"), file=sys.stderr)
        for tool in chosen:
            if status[tool]:
                entry["tools"][tool] = {"skipped": status[tool]}
                continue
            if tool in ("cve-bin-tool", "syft") and not tree.exists():
                entry["tools"][tool] = {"skipped": "no tree (unpack failed)"}
                continue
            runs, parsed = [], None
            n_runs = args.slow_runs if tool == "cve-bin-tool" and args.slow_runs else args.runs
            for r in range(n_runs):
                out = work / "out" / f"{n:02d}-{image.name}" / tool / f"run{r}"
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir(parents=True)
                subprocess.run(["sync"], check=False)
                argv, env = argv_for(tool, image, tree, out)
                run = run_bounded(argv, args.timeout, env=env, cwd=out, log=out / "log")
                run["ok"] = not run["timed_out"] and run["rc"] in ok_codes.get(tool, (0,))
                if run["ok"]:
                    try:
                        parsed = parsers[tool](out)
                    except (OSError, ValueError, KeyError) as e:
                        run["ok"] = False
                        run["tail"] += f"\nunreadable output: {e!r}"
                runs.append(run)
                if not args.work and r < n_runs - 1:
                    shutil.rmtree(out, ignore_errors=True)
            cell, wall = median_cell(runs, args.timeout)
            entry["tools"][tool] = {"cell": cell, "median_wall": wall, "runs": runs, "found": parsed,
                                    "argv": [str(a) for a in argv]}
            comps = len(parsed["components"]) if parsed else None
            cves = len(parsed["cves"]) if parsed and "cves" in parsed else None
            print(f"{image.name:50} {tool:12} {cell}" + (f", {comps} components" if comps is not None else "")
                  + (f", {cves} CVEs" if cves is not None else ""), file=sys.stderr)
        results.append(entry)
        if not args.work:
            shutil.rmtree(tree, ignore_errors=True)

    text = render(results, chosen, meta, notes, args)
    print(text)
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    if tmp:
        tmp.cleanup()


def render(results, chosen, meta, notes, args):
    command = "python3 bench/sbom_bench.py " + " ".join(sys.argv[1:])
    v = meta["versions"]
    matchers = [t for t in chosen if t in ("hallmark-vuln", "cve-bin-tool")]
    runs = f"{args.runs} runs" + (f" ({args.slow_runs} for cve-bin-tool)" if args.slow_runs else "")
    lines = [
        f"Command: `{command}`  ",
        f"Machine: {meta['cores']} cores; {meta['date']}. {v.get('hallmark', 'hallmark')}, cve-bin-tool "
        f"{v.get('cve-bin-tool', '-')}, syft {v.get('syft', '-')}. Vulnerability data: "
        f"`{Path(meta['nvd']).name}` for both matchers.",
        "",
        f"Time: median wall time of {runs} / peak RSS (largest single process). Hallmark reads the image, so its "
        "times include its own unpacking; cve-bin-tool and syft scan the tree `hallmark unpack` "
        "wrote (unpack time in its own column, not included in theirs).",
        "",
        "| input | MB | unpack (files) | " + " | ".join(TITLES[t] for t in chosen) + " |",
        "|---|---:|---:|" + "---:|" * len(chosen),
    ]
    totals = {t: 0.0 for t in chosen}
    counted = {t: 0 for t in chosen}  # inputs with a time (or a finding) for the tool
    unpack_total = 0.0
    for e in results:
        unpack_total += e["unpack"]["wall"]
        cells = []
        for t in chosen:
            info = e["tools"].get(t, {})
            if "skipped" in info:
                cells.append(info["skipped"])
                continue
            cells.append(info["cell"])
            if info["median_wall"] is not None:
                totals[t] += info["median_wall"]
                counted[t] += 1
        lines.append(f"| {e['name']} | {e['size_mb']:.1f} | {e['unpack']['wall']:.2f} s ({e['unpack']['files']}) | "
                     + " | ".join(cells) + " |")
    def total(value, n):
        if n == 0:
            return "-"
        return value + ("" if n == len(results) else f" ({n} of {len(results)} inputs)")

    lines.append(f"| **all {len(results)} inputs** | {sum(e['size_mb'] for e in results):.1f} | {unpack_total:.2f} s | "
                 + " | ".join(total(f"{totals[t]:.2f} s", counted[t]) for t in chosen) + " |")

    lines += [
        "",
        "Found: components with a version, as distinct name@version strings in each tool's own "
        "spelling (Hallmark and syft keep package revisions such as 1.23.2-1, cve-bin-tool gives "
        "upstream versions and its CPE product names; syft's `file` entries are left out; the "
        "lists are in --json). CVEs: distinct CVE ids matched (Hallmark: not suppressed by VEX).",
        "",
        "| input | " + " | ".join(f"{TITLES[t]} components" for t in chosen)
        + "".join(f" | {TITLES[t]} CVEs" for t in matchers) + " |",
        "|---|" + "---:|" * (len(chosen) + len(matchers)),
    ]
    comp_tot = {t: 0 for t in chosen}
    cve_tot = {t: 0 for t in matchers}
    counted = {t: 0 for t in chosen}

    def found(e, t):
        info = e["tools"].get(t, {})
        return info.get("found") if "found" in info else None

    for e in results:
        row = []
        for t in chosen:
            f = found(e, t)
            info = e["tools"].get(t, {})
            if f is None:
                row.append(info.get("skipped") or info.get("cell") or "-")
            else:
                comp_tot[t] += len(f["components"])
                counted[t] += 1
                row.append(str(len(f["components"])))
        for t in matchers:
            f = found(e, t)
            if f is None:
                row.append("-")
            else:
                cve_tot[t] += len(f["cves"])
                row.append(str(len(f["cves"])) + ("" if f.get("vuln_scan_found", True) else " (no scan in report)"))
        lines.append(f"| {e['name']} | " + " | ".join(row) + " |")
    lines.append(f"| **all {len(results)} inputs** | " + " | ".join(total(str(comp_tot[t]), counted[t]) for t in chosen)
                 + "".join(f" | {total(str(cve_tot[t]), counted[t])}" for t in matchers) + " |")
    if notes:
        lines += [""] + [f"Note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
