#!/usr/bin/env bash
# Installs what the tests need. Idempotent; safe to run on a developer machine.
set -euo pipefail

need_component() {
    rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
need_component rustfmt
need_component clippy

# Debian tools that make test fixtures at test time (the tests skip without them outside CI).
need_apt() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
# e2fsprogs: mke2fs -d and e2fsck -D; genext2fs: ext2 without filetype; libsparse: img2simg.
need_apt e2fsprogs genext2fs android-sdk-libsparse-utils
