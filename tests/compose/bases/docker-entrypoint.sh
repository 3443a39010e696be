#!/bin/sh
# The stand-in redis image's entrypoint: what the official image's does for
# the compose files (written here, not copied).
#   - options or a .conf file first: run redis-server with them;
#   - redis-server started as root: own /data as redis, then run as redis;
#   - no protected-mode given: protected-mode no (the container's network
#     is its own), unless a config file sets it;
#   - the umask 0077 for the files Redis writes.
set -e
case "$1" in
    -*|*.conf) set -- redis-server "$@";;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    find . ! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
    shift
    conf=
    case "${1:-}" in *.conf) conf=$1; shift;; esac
    case " $* " in *" --protected-mode "*) protected=given;; *) protected=;; esac
    if [ -n "$conf" ] && grep -q '^protected-mode' "$conf"; then protected=given; fi
    [ -n "$protected" ] || set -- --protected-mode no "$@"
    [ -z "$conf" ] || set -- "$conf" "$@"
    set -- redis-server "$@"
fi
[ "$(umask)" != 0022 ] || umask 0077
exec "$@"
