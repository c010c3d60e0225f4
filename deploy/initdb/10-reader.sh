#!/bin/sh
# Run once by the postgres image on a new data volume (/docker-entrypoint-initdb.d): the
# read-only role `gongkai serve` logs in as. Default privileges make every table the archive's
# migrations create later readable by it too, and nothing writable.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE gongkai_reader LOGIN PASSWORD '${READER_PASSWORD}';
ALTER ROLE gongkai_reader SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE "${POSTGRES_DB}" TO gongkai_reader;
GRANT USAGE ON SCHEMA public TO gongkai_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO gongkai_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE "${POSTGRES_USER}" IN SCHEMA public
  GRANT SELECT ON TABLES TO gongkai_reader;
SQL
