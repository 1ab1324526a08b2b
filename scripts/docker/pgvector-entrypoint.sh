#!/bin/sh
# The stand-in pgvector server's entrypoint (scripts/docker-check.sh): what the pgvector/pgvector image
# does with POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB, reduced to what compose.yaml uses. The first
# start initialises PGDATA with that user and database; every start runs the server as `postgres`,
# listening on every address with password authentication.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /run/postgresql
    chown postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >"$password"
    initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$password" -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256
    rm "$password"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
        createdb -U "$POSTGRES_USER" "$POSTGRES_DB"
        pg_ctl -D "$PGDATA" -w -m fast stop
    fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
