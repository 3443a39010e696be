#!/bin/sh
# Redis with Sentinel for docker/compose.sentinel.yaml: one script, four modes.
#   node            a data server (master or replica), with the ACL
#   sentinel        a sentinel, with the same admin and the controller's
#                   discovery-only user
#   health-node     exit 0 if this data server is a master, or a replica in
#                   sync with its master
#   health-sentinel exit 0 if this sentinel sees enough sentinels to fail over
#   check-controller  exit 0 if the controller's settings name exactly the
#                   sentinels of this deployment (run before `datadesk run`)
# Secrets come from the environment and are written at each start to files
# only Redis reads ($TMPDIR, default /tmp, inside the container): the ACL
# holds SHA-256 digests; sentinel.conf also holds the admin password, which
# Sentinel needs to log in to the data servers and to the other sentinels.
# Nothing here is left to argv, where any process could read it.
#
# Where the master is comes from the sentinels when one answers (a server
# or a sentinel restarted after a failover rejoins the current master, as
# an operator would restart it), else from DATADESK_REDIS_FIRST_MASTER (the
# very first start, or all of the set restarted at once).
set -eu

admin() { printf '%s' "$DATADESK_REDIS_ADMIN_PASSWORD"; }
digest() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
run_dir() { printf '%s' "${TMPDIR:-/tmp}"; }

check_secrets() {
    : "${DATADESK_REDIS_PASSWORD:?set the controller's Redis password}"
    : "${DATADESK_REDIS_ADMIN_PASSWORD:?set the Redis admin password}"
    case "$DATADESK_REDIS_PASSWORD $DATADESK_REDIS_ADMIN_PASSWORD" in
        *[[:space:]]*[[:space:]]*)
            echo "Redis passwords must not contain spaces" >&2; exit 1;;
    esac
}

# A file for Redis only: 0600 (umask), owned by redis when we run as root
# (the image's entrypoint then drops to that user).
own() {
    if [ "$(id -u)" = 0 ]; then chown redis:redis "$1"; fi
}

# "host:port" of the master by the first sentinel that knows it, or nothing.
current_master() {
    for s in $DATADESK_SENTINELS; do
        answer=$(REDISCLI_AUTH="$(admin)" timeout 3 redis-cli --no-auth-warning \
            --user default -h "${s%:*}" -p "${s##*:}" \
            sentinel get-master-addr-by-name "$DATADESK_REDIS_MASTER_NAME" 2>/dev/null) \
            || continue
        host=$(printf '%s\n' "$answer" | sed -n 1p)
        port=$(printf '%s\n' "$answer" | sed -n 2p)
        case "$port" in ''|*[!0-9]*) continue;; esac
        printf '%s:%s' "$host" "$port"
        return 0
    done
    return 1
}

master_now() {
    if m=$(current_master); then
        echo "the sentinels name $m as master of $DATADESK_REDIS_MASTER_NAME" >&2
    else
        m=$DATADESK_REDIS_FIRST_MASTER
        echo "no sentinel answers: $m is master of $DATADESK_REDIS_MASTER_NAME (first start)" >&2
    fi
    printf '%s' "$m"
}

node() {
    check_secrets
    me="$DATADESK_REDIS_BIND:$DATADESK_REDIS_PORT"
    conf="$(run_dir)/redis.conf"
    acl="$(run_dir)/users.acl"
    printf 'user default on #%s ~* &* +@all\nuser datadesk on #%s resetkeys ~datadesk:* resetchannels -@all %s\n' \
        "$(digest "$DATADESK_REDIS_ADMIN_PASSWORD")" "$(digest "$DATADESK_REDIS_PASSWORD")" \
        "$DATADESK_REDIS_COMMANDS" > "$acl"
    master=$(master_now)
    # The replica, and an old master once Sentinel has made it a replica, log
    # in to the master as the admin. Without a replica a master refuses
    # writes (NOREPLICAS) rather than take one no replica can confirm.
    # protected-mode in the file: the image's entrypoint then adds no
    # "--protected-mode no" of its own (the same server as outside a container).
    {
        echo "bind $DATADESK_REDIS_BIND"
        echo "protected-mode yes"
        echo "port $DATADESK_REDIS_PORT"
        echo "aclfile $acl"
        echo "masteruser default"
        echo "masterauth $(admin)"
        echo "min-replicas-to-write 1"
        echo "min-replicas-max-lag 10"
        if [ "$master" != "$me" ]; then echo "replicaof ${master%:*} ${master##*:}"; fi
    } > "$conf"
    own "$acl"; own "$conf"   # Sentinel's REPLICAOF rewrites redis.conf
    exec docker-entrypoint.sh redis-server "$conf" "$@"
}

sentinel() {
    check_secrets
    conf="$(run_dir)/sentinel.conf"
    name=$DATADESK_REDIS_MASTER_NAME
    master=$(master_now)
    {
        echo "bind $DATADESK_REDIS_BIND"
        echo "protected-mode yes"
        echo "port $DATADESK_SENTINEL_PORT"
        echo "dir $(run_dir)"
        echo "sentinel monitor $name ${master%:*} ${master##*:} $DATADESK_SENTINEL_QUORUM"
        echo "sentinel down-after-milliseconds $name $DATADESK_SENTINEL_DOWN_AFTER_MS"
        echo "sentinel failover-timeout $name $DATADESK_SENTINEL_FAILOVER_TIMEOUT_MS"
        echo "sentinel auth-user $name default"
        echo "sentinel auth-pass $name $(admin)"
        echo "sentinel sentinel-user default"
        echo "sentinel sentinel-pass $(admin)"
        echo "user default on #$(digest "$DATADESK_REDIS_ADMIN_PASSWORD") ~* &* +@all"
        echo "user datadesk on #$(digest "$DATADESK_REDIS_PASSWORD") -@all $DATADESK_SENTINEL_COMMANDS"
    } > "$conf"
    own "$conf"   # Sentinel rewrites its file with what it learns
    exec docker-entrypoint.sh redis-server "$conf" --sentinel "$@"
}

cli() {
    REDISCLI_AUTH="$(admin)" timeout 3 redis-cli --no-auth-warning --user default \
        -h "$DATADESK_REDIS_BIND" "$@"
}

health_node() {
    info=$(cli -p "$DATADESK_REDIS_PORT" info replication) || exit 1
    case "$info" in
        *role:master*) exit 0;;
        *master_link_status:up*) exit 0;;
    esac
    exit 1
}

health_sentinel() {
    answer=$(cli -p "$DATADESK_SENTINEL_PORT" sentinel ckquorum "$DATADESK_REDIS_MASTER_NAME") \
        || exit 1
    case "$answer" in OK*) exit 0;; esac
    echo "$answer" >&2
    exit 1
}

check_controller() {
    # The controller's settings must follow the master through the sentinels
    # and wait for a replica: a plain URL would reach one server, unchecked.
    python3 - <<'EOF'
import os, sys
from ari_app.settings import SettingsError, load_settings
try:
    s = load_settings(os.environ["DATADESK_CONFIG"], env=os.environ).redis
except SettingsError as exc:
    sys.exit(f"settings: {exc}")
want = os.environ["DATADESK_SENTINELS"].split()
name = os.environ["DATADESK_REDIS_MASTER_NAME"]
if sorted(s.sentinels) != sorted(want) or s.master_name != name:
    sys.exit(f"{os.environ['DATADESK_CONFIG']}: [redis] needs sentinels = {want!r} and "
             f"master_name = {name!r} with this compose file (see "
             "docker/datadesk.sentinel.toml); it has sentinels = "
             f"{list(s.sentinels)!r}, master_name = {s.master_name!r}")
EOF
}

mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
    node) umask 077; node "$@";;
    sentinel) umask 077; sentinel "$@";;
    health-node) health_node;;
    health-sentinel) health_sentinel;;
    check-controller) check_controller; [ $# -eq 0 ] || exec "$@";;
    *) echo "usage: $0 node|sentinel|health-node|health-sentinel|check-controller [command...]" >&2
       exit 2;;
esac
