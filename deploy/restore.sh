#!/bin/sh
# Restore a backup made by deploy/backup.sh into a NEW, empty database, then check it.
#
#   TARGET_URL=postgres://hotline@db:5432/hotline_restored deploy/restore.sh /backups/hotline-2026-12-01
#
# Creates the target database (it must not exist: restoring over live data is never what
# you want by accident), restores <prefix>.dump with pg_restore, unpacks
# <prefix>.media.tar.gz into $HOTLINE_VAR_DIR/media when both exist, and finally runs
# `manage.py replay_check` against the restored copy: every order's status, units and
# version must follow from its event log. Point DATABASE_URL at the restored database
# (or rename it) once the check passes.
set -eu

prefix=${1:?usage: restore.sh BACKUP_PREFIX   (TARGET_URL names the new database)}
url=${TARGET_URL:?TARGET_URL must be set to the postgres://… URL of the database to create}
case $url in
    postgres://* | postgresql://*) ;;
    *) echo "restore.sh: TARGET_URL is not a postgres:// URL" >&2; exit 2 ;;
esac
[ -f "$prefix.dump" ] || { echo "restore.sh: $prefix.dump not found" >&2; exit 2; }
PG_BIN=${PG_BIN:-}
pg() { cmd=$1; shift; "${PG_BIN:+$PG_BIN/}$cmd" "$@"; }

base=${url%%\?*}
db=${base##*/}
server=${base%/*}/postgres
pg psql --quiet --no-psqlrc --set=ON_ERROR_STOP=1 "$server" -c "CREATE DATABASE \"$db\""
pg pg_restore --exit-on-error --no-owner --dbname="$url" "$prefix.dump"
echo "database restored into $db"

if [ -f "$prefix.media.tar.gz" ] && [ -n "${HOTLINE_VAR_DIR:-}" ]; then
    mkdir -p "$HOTLINE_VAR_DIR/media"
    tar -xzf "$prefix.media.tar.gz" -C "$HOTLINE_VAR_DIR/media"
    echo "media restored into $HOTLINE_VAR_DIR/media"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
DATABASE_URL=$url "$python" "$root/manage.py" replay_check
