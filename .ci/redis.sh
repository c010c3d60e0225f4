#!/usr/bin/env bash
# Install (if needed) Debian's redis-server for the distributed-crawl tests, which start their
# own servers on free ports; the package's system-wide server on 6379 is stopped. Runs as root.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >&2
fi
service redis-server stop >/dev/null 2>&1 || true
