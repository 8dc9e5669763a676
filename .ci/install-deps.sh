#!/usr/bin/env bash
# Installs what the tests need. Idempotent; safe to run on a developer machine.
set -euo pipefail

need_component() {
    rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
need_component rustfmt
need_component clippy

# Debian packages whose tools build test fixtures (only what is missing is installed).
need_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
need_packages squashfs-tools
