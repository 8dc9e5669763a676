#!/usr/bin/env bash
# Installs what the tests need. Idempotent; safe to run on a developer machine.
set -euo pipefail

need_component() {
    rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
need_component rustfmt
need_component clippy

# Debian tools that make filesystem fixtures at test time, by the command each provides.
need_tool() {
    local tool=$1 package=$2 # package: one or more names
    if command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || [ -x "/sbin/$tool" ]; then
        return
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    if [ -z "${APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $package >/dev/null
}
need_tool mkfs.jffs2 mtd-utils
need_tool mkfs.cramfs "util-linux util-linux-extra"
