#!/usr/bin/env bash
# Install (if needed) and start a real PostgreSQL server on 127.0.0.1 for the archive tests,
# then print the SQLAlchemy URL of a fresh test database. Debian packages; runs as root in CI.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='gongkai') THEN CREATE ROLE gongkai LOGIN PASSWORD 'gongkai' CREATEDB CREATEROLE; END IF; ALTER ROLE gongkai CREATEROLE; END \\\$\\\$;\"" >&2
echo "postgresql+psycopg://gongkai:gongkai@127.0.0.1:5432/postgres"
