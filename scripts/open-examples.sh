#!/usr/bin/env bash
# Opens the bundled examples in VS Code with the extension loaded: desktop VS Code (`code`) when it is installed,
# otherwise code-server on 127.0.0.1 (installed and cached like the e2e tests), printing the URL to open.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -d node_modules ] || npm ci

if command -v code >/dev/null && [ -z "${DMABUF_CODE_SERVER:-}" ]; then
  npm run --silent build
  exec code --extensionDevelopmentPath="$ROOT" "$ROOT/examples"
fi

source "$ROOT/test/e2e/install-tools.sh"
source "$ROOT/test/e2e/code-server.sh"
STATE=$E2E_HOME/open-examples; mkdir -p "$STATE"
echo "Packaging the extension..."
npm run --silent package >"$STATE/package.log" 2>&1 || { cat "$STATE/package.log"; exit 1; }
trap cs_stop EXIT INT TERM
cs_start "$ROOT/dmabuf-debugger.vsix" "$ROOT/examples"
echo
echo "VS Code (code-server) with the dma-buf extension is running. Open in a browser:"
echo "    $CS_URL/?folder=$ROOT/examples"
echo "Press Ctrl+C to stop it."
wait "$CS_PID"
