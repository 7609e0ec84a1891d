#!/usr/bin/env bash
# `npm run test:e2e`: the extension tested in a real VS Code workbench (code-server + headless Chromium), offline
# once the tools are cached: the .vsix is built and installed, a playwright UI test drives the workbench, then the
# mocha suite runs inside the real extension host against the real `vscode` API.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E=$ROOT/test/e2e
t0=$SECONDS; step() { echo "== e2e [$((SECONDS - t0))s] $*"; }

step "tools (cached in \${E2E_HOME:-~/.cache/dmabuf-e2e})"
source "$E2E/install-tools.sh"
source "$E2E/code-server.sh"
STATE=$E2E_HOME/state; rm -rf "$STATE"; mkdir -p "$STATE"

step "package the .vsix and compile the in-host tests"
cd "$ROOT"
npm run --silent package >"$STATE/package.log" 2>&1 || { cat "$STATE/package.log"; exit 1; }
npx tsc -p "$E2E/tsconfig.json"

step "workspace: the fixtures, the bundled examples and a real capture (twice: as *.trace.txt and as trace.txt)"
cp -r "$E2E/fixture/ws" "$STATE/ws" && mkdir -p "$STATE/ws/examples" && cp examples/*.dmabuf "$STATE/ws/examples/"
cp "$ROOT/../shared/traces/udmabuf-noiommu.trace.txt" "$STATE/ws/"
cp "$ROOT/../shared/traces/udmabuf-noiommu.trace.txt" "$STATE/ws/trace.txt"   # as `cat .../trace > trace.txt` names one
trap cs_stop EXIT
cs_start "$ROOT/dmabuf-debugger.vsix" "$STATE/ws"

step "UI test (playwright-core + Chromium) on $CS_URL"
mkdir -p "$STATE/shots"
failed=()   # both suites run whatever the other's outcome
WS=$STATE/ws CS_URL=$CS_URL SHOT=$ROOT/docs/screenshot.png SHOTS=$STATE/shots node "$E2E/ui.js" || failed+=(ui)

step "extension tests in the real extension host"
EXT=$ROOT TESTS=$ROOT/out/test/e2e/host/index.js WS=$STATE/ws CS_URL=$CS_URL node "$E2E/host-runner.js" || failed+=(extension)
[ ${#failed[@]} -eq 0 ] || { step "FAILED: ${failed[*]} (code-server log: $STATE/code-server.log)"; exit 1; }
step "passed"
