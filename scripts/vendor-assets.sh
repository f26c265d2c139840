#!/usr/bin/env bash
# Vendor the dashboard's third-party JavaScript into the package, so the dashboard works offline
# and needs no CDN and no build step. Run it by hand to upgrade; the result is committed.
#
#   scripts/vendor-assets.sh            # the pinned version below
#   ECHARTS_VERSION=6.1.0 scripts/vendor-assets.sh
#
# `npm pack` downloads the tarball from the npm registry and checks it against the registry's
# integrity hash; we copy only the minified browser build and its licence files.
set -euo pipefail

ECHARTS_VERSION="${ECHARTS_VERSION:-6.1.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/waymark/web/static/vendor/echarts"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "echarts@${ECHARTS_VERSION}" >/dev/null
tar -xzf "echarts-${ECHARTS_VERSION}.tgz"

mkdir -p "$DEST"
cp package/dist/echarts.min.js "$DEST/echarts.min.js"
cp package/LICENSE "$DEST/LICENSE"
if [ -f package/NOTICE ]; then cp package/NOTICE "$DEST/NOTICE"; fi
{
  echo "Apache ECharts ${ECHARTS_VERSION} (npm package echarts, dist/echarts.min.js)"
  echo "Licence: Apache-2.0 (LICENSE, NOTICE in this folder)"
  echo "sha256  $(sha256sum "$DEST/echarts.min.js" | cut -d' ' -f1)  echarts.min.js"
} >"$DEST/VERSION"
echo "vendored echarts ${ECHARTS_VERSION} into ${DEST#"$ROOT"/}"
