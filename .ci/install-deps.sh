#!/usr/bin/env bash
# Installs what the tests need. Idempotent; safe to run on a developer machine.
set -euo pipefail

need_component() {
    rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
need_component rustfmt
need_component clippy

# Debian packages whose tools build test fixtures (skipped when already installed).
need_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}
# mtd-utils: mkfs.ubifs and ubinize (UBI/UBIFS fixtures).
need_packages mtd-utils
# lz4, lzop: compressed streams; genromfs: romfs images; zip, python3 (zipfile), binutils (ar),
# dpkg (dpkg-deb): archives.
need_packages lz4 lzop genromfs zip python3 binutils dpkg
# u-boot-tools (mkimage), device-tree-compiler: uImage and FIT fixtures.
need_packages u-boot-tools device-tree-compiler
# mtd-utils (mkfs.jffs2, sumtool), util-linux-extra (mkfs.cramfs): jffs2 and cramfs fixtures.
need_packages mtd-utils util-linux util-linux-extra
# e2fsprogs, genext2fs: ext fixtures; android-sdk-libsparse-utils (img2simg): sparse images.
need_packages e2fsprogs genext2fs android-sdk-libsparse-utils
# squashfs-tools (mksquashfs, unsquashfs): squashfs fixtures.
need_packages squashfs-tools

# The official SBOM validators the tests run (crates/hallmark-cli/tests/sbom.rs): CycloneDX JSON
# schema validation (cyclonedx-python-lib) and SPDX 2.3 validation (spdx-tools), in a venv.
need_packages python3-venv
validators="${HALLMARK_VALIDATORS_VENV:-$HOME/.cache/hallmark/validators}"
if ! "$validators/bin/python" -c 'import cyclonedx.validation.json, spdx_tools' 2>/dev/null; then
    python3 -m venv "$validators"
    "$validators/bin/pip" install --quiet 'cyclonedx-python-lib[json-validation]==11.12.0' \
        'spdx-tools==0.8.5'
fi

# The SARIF validator of the format's owners (crates/hallmark-cli/tests/report_formats.rs).
sarif_tool="${HALLMARK_SARIF_TOOL_DIR:-$HOME/.cache/hallmark/sarif-multitool}"
if [ ! -x "$sarif_tool/node_modules/.bin/sarif-multitool" ]; then
    command -v npm >/dev/null || need_packages nodejs npm
    mkdir -p "$sarif_tool"
    npm install --silent --prefix "$sarif_tool" @microsoft/sarif-multitool@5.7.0 >/dev/null
fi

# The network lab the probe tests bring up (crates/hallmark-cli/tests/probe_lab.rs): the Debian
# packages of ../shared/corpus/lab/insecure-device-lab.sh, read from its PACKAGES list and
# installed by its own `install`, which keeps the packaged daemons from starting outside the lab.
lab_script="${HALLMARK_SHARED:-$(dirname "$0")/../../shared}/corpus/lab/insecure-device-lab.sh"
if [ -f "$lab_script" ]; then
    lab_missing=()
    for pkg in $(sed -n '/^PACKAGES=(/,/)/p' "$lab_script" | tr -d '()' | sed 's/^PACKAGES=//'); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || lab_missing+=("$pkg")
    done
    if [ ${#lab_missing[@]} -gt 0 ]; then
        lab_sudo=()
        [ "$(id -u)" -eq 0 ] || lab_sudo=(sudo)
        "${lab_sudo[@]}" bash "$lab_script" install >/dev/null
    fi
fi

# Headless Chromium opens the HTML report in crates/hallmark-cli/tests/html_report.rs.
need_packages chromium
