#!/bin/bash
# Starts PostgreSQL the way the official image does: as root it prepares the data
# directory and drops to the postgres user; on an empty data directory it creates the
# cluster, POSTGRES_USER with POSTGRES_PASSWORD (or the contents of POSTGRES_PASSWORD_FILE)
# and POSTGRES_DB, then serves on every address with scram-sha-256 passwords.
set -euo pipefail

if [ "${1:-postgres}" != "postgres" ]; then
    exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
    install --directory --owner postgres --group postgres --mode 0700 "$PGDATA"
    install --directory --owner postgres --group postgres --mode 2775 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(< "$POSTGRES_PASSWORD_FILE")
fi
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: the database is uninitialised and POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 > /dev/null
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # Set-up runs on a private socket and no TCP port, so nothing (a health check, the
    # migration) sees a server before its database exists.
    init_socket=$(mktemp -d)
    pg_ctl --wait --silent -o "-c listen_addresses='' -c unix_socket_directories=$init_socket" start
    if [ "$database" != postgres ]; then
        psql --host="$init_socket" --username="$user" --dbname=postgres --quiet \
            --set=ON_ERROR_STOP=1 --set=db="$database" <<< 'CREATE DATABASE :"db";'
    fi
    pg_ctl --wait --silent -m fast stop
    rmdir "$init_socket"
    echo "database $database and user $user created"
fi

exec "$@"
