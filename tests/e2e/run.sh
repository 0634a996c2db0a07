#!/usr/bin/env bash
# Runs the browser end-to-end tests against a running stack (HUB_URL, default http://127.0.0.1:8088,
# with DEV_LOGIN on). Installs playwright-core (npm ci) on first use; drives Debian's Chromium
# (apt-get install chromium), never a downloaded browser. Screenshots go to .artifacts/e2e/.
# catalogue.test.js needs no browser; the other files each start their own Chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"
cd "$here"
export HUB_URL="${HUB_URL:-http://127.0.0.1:8088}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || apt_install chromium
command -v ffmpeg >/dev/null || apt_install ffmpeg
# A font with Chinese glyphs, for the page in Simplified Chinese (its screenshots show boxes without one).
fc-list :lang=zh-cn | grep -q . || apt_install fonts-droid-fallback
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing playwright-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
wait_for_url "$HUB_URL/readyz" 60 || die "the hub at $HUB_URL is not ready"
# Screenshots of this run only (their names carry the test file and the step).
rm -f ../../.artifacts/e2e/*.png
node --test --test-concurrency=1 --test-reporter=spec "$@" ./*.test.js
