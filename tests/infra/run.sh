#!/usr/bin/env bash
# Checks of infra/ and terraform/ (Docker and Terraform cannot run here, so the files are parsed and
# cross-checked instead). Installs its tools on first use into .tools/ (git-ignored), then runs
# tests/infra/test_infra.py with pytest. Extra arguments go to pytest (e.g. -k compose).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/tests/infra"
tools="$repo/.tools"
venv="$tools/infra-venv"
checkov_venv="$tools/checkov-venv"
python="${PYTHON:-python3}"

# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

# Debian ships venv (ensurepip) separately from python3.
if ! command -v "$python" >/dev/null || ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3 python3-venv
fi

mkdir -p "$tools"
# The folder ignores itself, so a fresh clone stays clean even without a root .gitignore entry.
[ -f "$tools/.gitignore" ] || printf '*\n' >"$tools/.gitignore"

# Creates venv $1 and installs requirements file $2 into it, unless the same file was installed before.
ensure_venv() {
    local dir="$1" requirements="$2" stamp="$1/.requirements"
    if [ -x "$dir/bin/python" ] && cmp -s "$requirements" "$stamp"; then
        return
    fi
    step "infra checks: installing $(basename "$requirements") into ${dir#"$repo"/}"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
}

ensure_venv "$venv" "$here/requirements.txt"
ensure_venv "$checkov_venv" "$here/requirements-checkov.txt"

export CHECKOV_BIN="$checkov_venv/bin/checkov"
cd "$repo"
exec "$venv/bin/python" -m pytest "$here/test_infra.py" -p no:cacheprovider -q "$@"
