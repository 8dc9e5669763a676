#!/usr/bin/env python3
"""`hallmark probe` side by side with the network anchors (nmap, testssl.sh, sslyze, ssh-audit)
on the shared insecure-device lab: wall time, and which of lab-weak's manifest weaknesses each
tool reports.

Needs root (network namespaces), the lab's packages and the anchors
(`bench/setup-tools.sh`), and a release build (`cargo build --release -p hallmark-cli`).

    sudo python3 bench/probe_bench.py [--runs 3] [--anchors DIR]

Steps:
1. brings the lab up (`../shared/corpus/lab/insecure-device-lab.sh up`) unless it is up;
2. times `hallmark probe` of lab-weak (every TCP port, and the lab's ports) and of lab-hard
   (the top ports), `--runs` times each (median), from the lab's scanner namespace;
3. times `nmap -n -Pn -sV -sC` alone on lab-weak (the lab's ports, and every port), once each;
4. runs `lab-anchor-scans.sh` into DIR (unless DIR already holds its `timings.tsv`);
5. scores every tool against lab-weak's weaknesses in the manifest and prints Markdown tables.

Scoring. Hallmark: a FAIL finding of the expected check, located at the weakness's port, whose
title has the expected words (the COVERED table of crates/hallmark-cli/tests/probe_lab.rs, read
from that file). Anchors: a rule per weakness reading
the tool's own output for lab-weak, generous on purpose: a weakness counts as reported when the
output shows it to a reader who knows what to look for (an algorithm listed without a verdict,
an open cleartext port, a past expiry date), not only when the tool calls it a problem. Each
matched line is printed with `--explain`, so every cell can be checked.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HALLMARK_SHARED", REPO.parent / "shared"))
LAB_DIR = SHARED / "corpus" / "lab"
LAB = LAB_DIR / "insecure-device-lab.sh"
MANIFEST = LAB_DIR / "insecure-device-lab.manifest.json"
HALLMARK = REPO / "target" / "release" / "hallmark"
TOOLS = Path(os.environ.get("TOOLS", "/work/tools"))
LAB_PORTS = "21,22,23,80,443,554,1883,5000,8443,8883,9100"

# Weakness -> (check, port, words of the finding's title) for Hallmark: read from the lab test's
# COVERED table, so the benchmark and the test score the same way.
LAB_TEST = REPO / "crates" / "hallmark-cli" / "tests" / "probe_lab.rs"


def hallmark_table():
    text = LAB_TEST.read_text()
    block = text[text.index("const COVERED"):]
    block = block[: block.index("];")]
    rows = re.findall(r'\(\s*"(WK-[^"]+)",\s*"([^"]+)",\s*(\d+),\s*"((?:[^"\\]|\\.)*)",?\s*\)', block)
    return {wid: (check, int(port), words.replace('\\"', '"')) for wid, check, port, words in rows}


# Anchor rules: tool -> weakness -> [(port section, regex)]; any match counts.
NMAP = {
    "WK-TELNET-EXPOSED": [(23, r"open\s+telnet")],
    "WK-TELNET-DEFAULT-CREDS": [(23, r"telnet-brute:[\s\S]*Valid credentials")],
    "WK-FTP-EXPOSED": [(21, r"open\s+ftp")],
    "WK-FTP-ANONYMOUS": [(21, r"Anonymous FTP login allowed")],
    "WK-SSH-LEGACY-KEX": [(22, r"diffie-hellman-group1-sha1")],
    "WK-SSH-LEGACY-HOSTKEY": [(22, r"1024 \S+ \((DSA|RSA)\)")],
    "WK-SSH-WEAK-CIPHERS": [(22, r"3des-cbc")],
    "WK-SSH-WEAK-MACS": [(22, r"hmac-md5")],
    "WK-SSH-DEFAULT-CREDS": [(22, r"ssh-brute:[\s\S]*Valid credentials")],
    "WK-HTTP-CLEARTEXT-ADMIN": [(80, r"http-auth:[\s\S]*Basic realm")],
    "WK-HTTP-DEFAULT-CREDS": [(80, r"http-brute:[\s\S]*Valid credentials"), (443, r"http-brute:[\s\S]*Valid credentials")],
    "WK-HTTP-NO-SECURITY-HEADERS": [(443, r"HSTS not configured")],
    "WK-HTTP-SERVER-BANNER": [(80, r"http-server-header: nginx/\d")],
    "WK-TLS443-OLD-PROTOCOLS": [(443, r"ssl-enum-ciphers:[\s\S]*TLSv1\.0:")],
    "WK-TLS443-NO-FORWARD-SECRECY": [(443, r"TLS_RSA_WITH_")],
    "WK-TLS443-CBC-SHA1": [(443, r"_CBC_SHA \(")],
    "WK-CERT-EXPIRED": [(443, r"Not valid after:\s+20(1\d|20)-")],
    "WK-CERT-SELF-SIGNED": [(443, r"ssl-cert: Subject: (\S+)\n\| Issuer: \1\n")],
    "WK-CERT-WEAK-KEY": [(443, r"Public Key bits: 1024")],
    "WK-CERT-SHA1-SIGNATURE": [(443, r"Signature Algorithm: sha1WithRSAEncryption")],
    "WK-TLS8443-TLS10-ONLY": [(8443, r"ssl-enum-ciphers: \n\|   TLSv1\.0: (?![\s\S]*TLSv1\.[123]:)")],
    "WK-TLS8443-ANON-SUITES": [(8443, r"Anonymous Diffie-Hellman Key Exchange MitM Vulnerability\n\|\s+State: VULNERABLE")],
    "WK-TLS8443-WEAK-DH": [(8443, r"Insufficient Group Strength\n\|\s+State: VULNERABLE")],
    "WK-TLS8443-CLIENT-ORDER": [(8443, r"cipher preference: client")],
    "WK-MQTT-ANONYMOUS": [(1883, r"mqtt-subscribe:[\s\S]*Topics")],
    "WK-MQTT-CLEARTEXT": [(1883, r"^1883/tcp\s+open")],
    "WK-SNMP-PUBLIC": [(161, r"snmp-brute:[\s\S]*public")],
    "WK-SNMP-V1V2C": [(161, r"snmp-(sysdescr|info|brute):")],
    "WK-UPNP-SSDP": [(1900, r"upnp-info:"), ("broadcast", r"broadcast-upnp-info:[\s\S]*{weak}")],
    "WK-PJL-RAW": [(9100, r"pjl-ready-message:")],
}
TESTSSL = {
    "WK-HTTP-NO-SECURITY-HEADERS": [(443, r"Strict Transport Security\s+not offered")],
    "WK-HTTP-SERVER-BANNER": [(443, r"Server banner\s+nginx/\d")],
    "WK-TLS443-OLD-PROTOCOLS": [(443, r"TLS 1\s+offered \(deprecated\)")],
    "WK-TLS443-NO-FORWARD-SECRECY": [(443, r"No FS")],
    "WK-TLS443-CBC-SHA1": [(443, r"Obsolete CBC ciphers \(AES, ARIA etc\.\)\s+offered")],
    "WK-CERT-EXPIRED": [(443, r"Certificate Validity \(UTC\)\s+expired")],
    "WK-CERT-SELF-SIGNED": [(443, r"NOT ok \(self signed\)")],
    "WK-CERT-WEAK-KEY": [(443, r"Server key size\s+RSA 1024")],
    "WK-CERT-SHA1-SIGNATURE": [(443, r"Signature Algorithm\s+SHA1 with RSA")],
    "WK-CERT-NAME-MISMATCH": [(443, r"certificate does not match supplied URI")],
    "WK-TLS8443-TLS10-ONLY": [(8443, r"TLS 1\s+offered[\s\S]*TLS 1\.2\s+not offered")],
    "WK-TLS8443-ANON-SUITES": [(8443, r"Anonymous NULL Ciphers \(no authentication\)\s+offered \(NOT ok\)")],
    "WK-TLS8443-WEAK-DH": [(8443, r"LOGJAM[^\n]*VULNERABLE")],
    "WK-TLS8443-CLIENT-ORDER": [(8443, r"Has server cipher order\?[^\n]*no \(NOT ok\)")],
}
SSLYZE = {
    "WK-TLS443-OLD-PROTOCOLS": [(443, r"tls_versions: TLS versions \{[^}]*'TLSv1'")],
    "WK-TLS443-NO-FORWARD-SECRECY": [(443, r"ciphers: Cipher suites \{[^}]*TLS_RSA_WITH")],
    "WK-TLS443-CBC-SHA1": [(443, r"ciphers: Cipher suites \{[^}]*_CBC_SHA'")],
    "WK-CERT-EXPIRED": [(443, r"Not After:\s+20(1\d|20)-")],
    "WK-CERT-SELF-SIGNED": [(443, r"Common Name:\s+(\S+)\n\s+Issuer:\s+\1\n")],
    "WK-CERT-WEAK-KEY": [(443, r"Key Size:\s+1024")],
    "WK-CERT-SHA1-SIGNATURE": [(443, r"certificate_signatures: [^\n]*sha1WithRSAEncryption")],
    "WK-CERT-X509V1": [(443, r"must be an X509v3 certificate")],
    "WK-TLS8443-TLS10-ONLY": [(8443, r"tls_versions: TLS versions \{'TLSv1'\} are supported")],
    "WK-TLS8443-ANON-SUITES": [(8443, r"_anon_WITH")],
    "WK-TLS8443-WEAK-DH": [(8443, r"dh_param_size: DH parameter size is 1024")],
}
SSH_AUDIT = {
    "WK-SSH-LEGACY-KEX": [(22, r"\(kex\) diffie-hellman-group1-sha1\s+-- \[fail\]")],
    "WK-SSH-LEGACY-HOSTKEY": [(22, r"\(key\) ssh-(dss|rsa)[^\n]*-- \[fail\]")],
    "WK-SSH-WEAK-CIPHERS": [(22, r"\(enc\) 3des-cbc\s+-- \[fail\]")],
    "WK-SSH-WEAK-MACS": [(22, r"\(mac\) hmac-md5\s+-- \[fail\]")],
}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def lab_exec(args):
    return [str(LAB), "exec", "--", *args]


def lab_is_up():
    return Path("/tmp/iotlab/mode").is_file()


def addresses():
    mode = Path("/tmp/iotlab/mode").read_text().strip()
    return ("127.77.0.10", "127.77.0.20") if mode == "loopback" else ("10.77.0.10", "10.77.0.20")


def timed(cmd):
    started = time.monotonic()
    out = run(cmd)
    return time.monotonic() - started, out


def nmap_sections(text, host):
    """Port -> the lines of `host`'s report under that port; 'broadcast' -> the whole text."""
    sections = {"broadcast": text}
    parts = re.split(r"(?m)^Nmap scan report for ", text)
    for part in parts:
        if not part.startswith(host + "\n") and not part.startswith(host + " "):
            continue
        current = None
        for line in part.splitlines():
            m = re.match(r"^(\d+)/(tcp|udp)\s", line)
            if m:
                current = int(m.group(1))
                sections[current] = sections.get(current, "") + line + "\n"
            elif current is not None:
                sections[current] += line + "\n"
    return sections


def sslyze_sections(text, host):
    sections = {}
    for m in re.finditer(r"(?m)^ SCAN RESULTS FOR (\S+):(\d+) - [^\n]*\n([\s\S]*?)(?=^ SCAN RESULTS FOR|^ COMPLIANCE|\Z)", text):
        if m.group(1) == host:
            sections[int(m.group(2))] = sections.get(int(m.group(2)), "") + m.group(3)
    for m in re.finditer(r"(?m)^\s+(\S+):(\d+): (?:FAILED|OK)[^\n]*\n((?:\s+\*[^\n]*\n)*)", text):
        if m.group(1) == host:
            sections[int(m.group(2))] = sections.get(int(m.group(2)), "") + m.group(3)
    return sections


def score(rules, sections, weak):
    found = {}
    for wid, alternatives in rules.items():
        for port, pattern in alternatives:
            text = sections.get(port, "")
            m = re.search(pattern.replace("{weak}", re.escape(weak)), text, re.M)
            if m:
                found[wid] = m.group(0).strip().splitlines()[0][:100]
                break
    return found


def hallmark_found(report, weak):
    found = {}
    outcomes = {o["check"]: o for o in report["outcomes"]}
    for wid, (check, port, words) in hallmark_table().items():
        o = outcomes.get(check, {})
        if o.get("verdict") != "FAIL":
            continue
        for f in o.get("findings", []):
            at = {e["location"].get("port") for e in f["evidence"] if e["location"].get("host") == weak}
            if port in at and words in f["title"]:
                found[wid] = f["title"][:100]
                break
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--anchors", default="/tmp/hallmark-probe-anchors")
    ap.add_argument("--explain", action="store_true", help="print the evidence of every cell")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    if not HALLMARK.is_file():
        sys.exit(f"build first: cargo build --release -p hallmark-cli ({HALLMARK} missing)")
    brought_up = False
    if not lab_is_up():
        out = run([str(LAB), "up"])
        if out.returncode != 0:
            sys.exit(f"lab up failed:\n{out.stdout}{out.stderr}")
        brought_up = True
    try:
        weak, hard = addresses()
        manifest = json.loads(MANIFEST.read_text())
        device = next(d for d in manifest["devices"] if d["id"] == "lab-weak")
        weaknesses = [w["id"] for w in device["weaknesses"]]

        probe = lambda host, p: lab_exec([str(HALLMARK), "--color", "never", "probe", host, "--ports", p, "--format", "json", "-q"])
        times = {}
        report = None
        for label, host, p in [("weak, all ports", weak, "all"), ("weak, lab ports", weak, LAB_PORTS), ("hard, top ports", hard, "top")]:
            samples = []
            for _ in range(args.runs):
                took, out = timed(probe(host, p))
                if out.returncode not in (0, 1):
                    sys.exit(f"hallmark probe failed: {out.stderr}")
                samples.append(took)
                if label == "weak, all ports":
                    report = json.loads(out.stdout)
            times[f"hallmark probe ({label})"] = statistics.median(samples)
        for label, p in [("lab ports", LAB_PORTS), ("all ports", "-")]:
            took, _ = timed(lab_exec(["nmap", "-n", "-Pn", "-sV", "-sC", "-p", p, weak]))
            times[f"nmap -sV -sC (weak, {label})"] = took

        anchors = Path(args.anchors)
        if not (anchors / "timings.tsv").is_file():
            env = dict(os.environ, SSLYZE=str(TOOLS / "probe-venv/bin/sslyze"), SSH_AUDIT=str(TOOLS / "probe-venv/bin/ssh-audit"))
            subprocess.run([str(LAB_DIR / "lab-anchor-scans.sh"), str(anchors)], env=env, check=False)
        anchor_times = {}
        for line in (anchors / "timings.tsv").read_text().splitlines()[1:]:
            name, seconds, rc, _ = line.split("\t", 3)
            anchor_times[name] = (float(seconds), rc)

        def read(name):
            path = anchors / f"{name}.out"
            return path.read_text(errors="replace") if path.is_file() else ""

        nmap_secs = {}
        for n in ["nmap-sV-sC", "nmap-crypto", "nmap-creds", "nmap-udp-scripts", "nmap-iot-scripts", "nmap-bcast-upnp"]:
            for k, v in nmap_sections(read(n), weak).items():
                nmap_secs[k] = nmap_secs.get(k, "") + v
        nmap_secs["broadcast"] = read("nmap-bcast-upnp")
        found = {
            "Hallmark": hallmark_found(report, weak),
            "nmap (all NSE runs)": score(NMAP, nmap_secs, weak),
            "testssl.sh": score(TESTSSL, {443: read("testssl-weak-443"), 8443: read("testssl-weak-8443")}, weak),
            "sslyze": score(SSLYZE, sslyze_sections(read("sslyze-all") + read("sslyze-weak-443"), weak), weak),
            "ssh-audit": score(SSH_AUDIT, {22: read("ssh-audit-weak")}, weak),
        }

        print("## Time (s)\n")
        print("| run | seconds |\n|---|---:|")
        for k, v in times.items():
            print(f"| {k} | {v:.2f} |")
        for k, (s, rc) in anchor_times.items():
            print(f"| anchor script: {k} (both devices) | {s:.2f} (rc {rc}) |")
        print("\n## lab-weak weaknesses reported\n")
        tools = list(found)
        print("| weakness | " + " | ".join(tools) + " |")
        print("|---|" + "---|" * len(tools))
        for wid in weaknesses:
            print(f"| {wid} | " + " | ".join("yes" if wid in found[t] else "-" for t in tools) + " |")
        print("| **total** | " + " | ".join(f"**{len(found[t])}/{len(weaknesses)}**" for t in tools) + " |")
        union = set().union(*(set(found[t]) for t in tools if t != "Hallmark"))
        print(f"\nAll anchors together: {len(union)}/{len(weaknesses)}.")
        if args.explain:
            for t in tools:
                print(f"\n### {t}\n")
                for wid in weaknesses:
                    if wid in found[t]:
                        print(f"- {wid}: `{found[t][wid]}`")
    finally:
        if brought_up:
            run([str(LAB), "down"])


if __name__ == "__main__":
    main()
