#!/bin/sh
# Back up Hotline: the PostgreSQL database (pg_dump custom format, compressed, restorable
# table by table with pg_restore) and the uploaded photos under $HOTLINE_VAR_DIR/media.
#
#   DATABASE_URL=postgres://hotline@db:5432/hotline deploy/backup.sh /backups/hotline-$(date +%F)
#
# writes <prefix>.dump and, when the media directory exists, <prefix>.media.tar.gz.
# pg_dump takes a consistent snapshot without stopping the application; run it from cron
# or a systemd timer daily and keep the copies on another machine (see README "Backups").
set -eu

prefix=${1:?usage: backup.sh OUTPUT_PREFIX   (DATABASE_URL must name the PostgreSQL database)}
url=${DATABASE_URL:?DATABASE_URL must be set to the postgres://… URL of the database to back up}
case $url in
    postgres://* | postgresql://*) ;;
    *) echo "backup.sh: DATABASE_URL is not a postgres:// URL (SQLite: copy the file with sqlite3 .backup)" >&2; exit 2 ;;
esac
PG_BIN=${PG_BIN:-}
dump() { "${PG_BIN:+$PG_BIN/}pg_dump" "$@"; }

mkdir -p "$(dirname "$prefix")"
# Write to a temporary name first: a half-written dump never looks like a good backup.
dump --format=custom --compress=6 --no-owner --file="$prefix.dump.partial" "$url"
mv "$prefix.dump.partial" "$prefix.dump"
echo "database: $prefix.dump ($(wc -c <"$prefix.dump") bytes)"

media=${HOTLINE_VAR_DIR:-$(dirname "$0")/../var}/media
if [ -d "$media" ]; then
    tar -czf "$prefix.media.tar.gz.partial" -C "$media" .
    mv "$prefix.media.tar.gz.partial" "$prefix.media.tar.gz"
    echo "media: $prefix.media.tar.gz"
fi
