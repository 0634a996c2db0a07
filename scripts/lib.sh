# Shared helpers of the scripts in this folder. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# When the outermost script started; scripts they call inherit it, so every step line shows the
# seconds since the command the user typed.
export NATTER_STARTED="${NATTER_STARTED:-$(date +%s)}"

# step MESSAGE: a progress line, with the seconds elapsed.
step() { printf '\033[1;34m==>\033[0m [%4d s] %s\n' "$(($(date +%s) - NATTER_STARTED))" "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# apt_install PKG...: installs Debian packages that are missing (needs root or sudo).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    # Removed packages keep a status entry ("rc"): only "install ok installed" counts.
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing ${missing[*]} (apt)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# wait_for_url URL SECONDS: polls URL until it answers 2xx, or fails after SECONDS.
wait_for_url() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# stop_pidfile FILE: stops the process named in FILE (TERM, then KILL after 10 s) and removes FILE.
stop_pidfile() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
