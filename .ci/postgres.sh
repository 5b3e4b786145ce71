# Sourced by .ci/run before the tests (after apt-get update): install Debian's PostgreSQL, start a throw-away cluster on a free
# loopback port, export MLP_TEST_POSTGRES_URL for the store tests, and stop the cluster when the run ends.
# (Without it the tests start such a cluster themselves; with it, one server serves the whole run.)
apt-get install -y postgresql
(pg_ctlcluster --force "$(ls /usr/lib/postgresql | sort -n | tail -1)" main stop 2>/dev/null || true)  # the package's own, unused
MLP_PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
MLP_PG_DIR="$(mktemp -d /tmp/mlp-ci-pg.XXXXXX)" && chown postgres "$MLP_PG_DIR"
MLP_PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
runuser -u postgres -- "$MLP_PG_BIN/initdb" -D "$MLP_PG_DIR/data" -A trust -U mlp -E UTF8 --no-sync >/dev/null
runuser -u postgres -- "$MLP_PG_BIN/pg_ctl" -D "$MLP_PG_DIR/data" -l "$MLP_PG_DIR/log" -w start \
    -o "-p $MLP_PG_PORT -k $MLP_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off"
export MLP_TEST_POSTGRES_URL="postgresql://mlp@127.0.0.1:$MLP_PG_PORT/postgres"
ci_postgres_stop() {
    runuser -u postgres -- "$MLP_PG_BIN/pg_ctl" -D "$MLP_PG_DIR/data" -m fast -w stop >/dev/null || true
    rm -rf "$MLP_PG_DIR"
}
trap ci_postgres_stop EXIT
