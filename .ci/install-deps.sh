#!/usr/bin/env bash
# Installs what the tests need. Idempotent; safe to run on a developer machine.
set -euo pipefail

need_component() {
    rustup component list --installed 2>/dev/null | grep -q "^$1" || rustup component add "$1"
}
need_component rustfmt
need_component clippy
