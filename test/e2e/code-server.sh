#!/usr/bin/env bash
# Starts and stops a code-server (the real VS Code workbench and Node extension host) with fresh state, for the
# tests and for scripts/open-examples.sh. Source it after install-tools.sh; needs $STATE (scratch directory).

# a free local TCP port, unless $PORT is set
cs_port() { echo "${PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"; }

# cs_start VSIX WORKSPACE: fresh user data, extensions and XDG dirs under $STATE, the .vsix installed, then the server
cs_start() {
  local vsix=$1 ws=$2
  rm -rf "$STATE/ud" "$STATE/ext" "$STATE/xdg" "$STATE/tmp"
  mkdir -p "$STATE/ud/User" "$STATE/ext" "$STATE/tmp"
  cp "$(dirname "${BASH_SOURCE[0]}")/fixture/settings.json" "$STATE/ud/User/settings.json"
  # keep code-server (~/.config, ~/.local/share), its device id (~/.cache) and chromium's profiles out of $HOME and /tmp
  export TMPDIR=$STATE/tmp XDG_CONFIG_HOME=$STATE/xdg/config XDG_DATA_HOME=$STATE/xdg/data XDG_CACHE_HOME=$STATE/xdg/cache
  CS_PORT=$(cs_port); CS_URL=http://127.0.0.1:$CS_PORT
  local cs=("$CODE_SERVER" --user-data-dir "$STATE/ud" --extensions-dir "$STATE/ext")
  PATH=$NODE24/bin:$PATH "${cs[@]}" --install-extension "$vsix" >"$STATE/install.log" 2>&1
  # its own process group, so that cs_stop also ends the extension hosts it leaves behind
  PATH=$NODE24/bin:$PATH setsid "${cs[@]}" --bind-addr "127.0.0.1:$CS_PORT" --auth none --disable-telemetry \
    --disable-update-check --disable-workspace-trust --disable-getting-started-override "$ws" >"$STATE/code-server.log" 2>&1 &
  CS_PID=$!
  for _ in $(seq 200); do curl -sf -o /dev/null "$CS_URL/healthz" && return 0; sleep 0.3; done
  echo "code-server did not start; see $STATE/code-server.log" >&2; return 1
}

cs_stop() {
  [ -n "${CS_PID:-}" ] || return 0
  kill "$CS_PID" 2>/dev/null || true
  sleep 2
  kill -- "-$CS_PID" 2>/dev/null || true
  CS_PID=
}
