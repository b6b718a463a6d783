#!/usr/bin/env bash
# Build Spinebot's container image here, without any container registry, and smoke-test it.
#
#   1. installs podman and debootstrap (Debian packages) when missing;
#   2. builds a Debian base image with debootstrap from the mirror this machine's own apt
#      sources name, and caches it (SPINEBOT_IMAGE_CACHE, default /var/tmp/spinebot-image);
#   3. `podman build`s the Dockerfile on that base (pip inside reaches PyPI);
#   4. checks the image's config (non-root user, HEALTHCHECK, CMD, EXPOSE), then — since
#      containers cannot be run in this sandbox — mounts the image and chroots into it as
#      the image's user: `spinebot --help`, every subcommand compose and k8s use, the
#      embedding model with no network, `spinebot db upgrade` and `db status`, a `chroma
#      run` server, and `spinebot serve` (a stand-in Slack API on 127.0.0.1 answers its
#      Web API calls) answering GET /healthz with 200 from the host.
#
# Prints PASS or FAIL last; exits non-zero on failure. Needs root (apt, podman, chroot).
# Usage: scripts/image.sh            (IMAGE=spinebot:local, BASE_IMAGE=spinebot-base:local)
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "FAIL: scripts/image.sh (unexpected error at line $LINENO)" >&2' ERR

IMAGE="${IMAGE:-spinebot:local}"
BASE_IMAGE="${BASE_IMAGE:-spinebot-base:local}"
CACHE="${SPINEBOT_IMAGE_CACHE:-/var/tmp/spinebot-image}"
PACKAGES="python3,python3-venv,python3-pip,ca-certificates"
START=$SECONDS

say() { printf '[image %4ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() {
  say "$*"
  echo "FAIL: scripts/image.sh ($*)"
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (apt-get, podman, chroot)"

# --- 1. tools ---------------------------------------------------------------------
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing podman and debootstrap (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap >/dev/null
fi

# --- 2. the Debian base, from this machine's apt sources ---------------------------
# The suite is this machine's release; the mirror is the first apt source that serves it.
# shellcheck source=/dev/null
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[ -n "$suite" ] || fail "no VERSION_CODENAME in /etc/os-release"
mirror="$(
  {
    # one-line format: deb [options] URI suite components…
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' \
      | awk -v s="$suite" '$1 == "deb" && $3 == s { print $2 }'
    # deb822 format: a stanza's URIs and Suites fields
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -e "$f" ] || continue
      awk -v s="$suite" '
        /^[[:space:]]*$/ { if (ok && uri) print uri; ok = 0; uri = ""; deb = 1; next }
        tolower($1) == "types:" { deb = 0; for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
        END { if (ok && uri) print uri }' "$f"
    done
  } | head -n 1 || true
)"
[ -n "$mirror" ] || fail "no apt source for '$suite' in /etc/apt/sources.list*"

key="$(printf '%s %s %s' "$suite" "$mirror" "$PACKAGES" | sha256sum | cut -c1-12)"
tarball="$CACHE/base-$suite-$key.tar"
mkdir -p "$CACHE"
if [ "$(podman image inspect --format '{{index .Labels "spinebot.base"}}' "$BASE_IMAGE" 2>/dev/null)" = "$key" ]; then
  say "base image $BASE_IMAGE is cached ($suite)"
else
  if [ ! -s "$tarball" ]; then
    say "debootstrap $suite from $mirror (first run only)"
    root="$(mktemp -d "$CACHE/root.XXXXXX")"
    debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$mirror" \
      >"$CACHE/debootstrap.log" 2>&1 || {
      tail -n 20 "$CACHE/debootstrap.log"
      for sub in proc sys dev/pts; do mountpoint -q "$root/$sub" && umount -l "$root/$sub"; done
      rm -rf --one-file-system "$root"
      fail "debootstrap failed"
    }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/*
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$root"
  fi
  say "importing the base image $BASE_IMAGE"
  podman import --quiet \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "LABEL spinebot.base=$key" \
    "$tarball" "$BASE_IMAGE" >/dev/null
fi

# --- 3. the image -----------------------------------------------------------------
say "podman build $IMAGE on $BASE_IMAGE"
build_start=$SECONDS
podman build --isolation=chroot --network host --pull=never --format docker \
  -v /etc/ssl/certs:/etc/ssl/certs:ro \
  --build-arg BASE="$BASE_IMAGE" -t "$IMAGE" . \
  || fail "podman build failed"
say "built in $((SECONDS - build_start)) s; size $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

# --- 4. smoke test ----------------------------------------------------------------
config() { podman image inspect --format "$1" "$IMAGE"; }
user="$(config '{{.Config.User}}')"
case "$user" in "" | 0 | 0:* | root | root:*) fail "the image runs as root (USER '$user')" ;; esac
config '{{json .Config.Healthcheck}}' | grep -q '/healthz' || fail "no HEALTHCHECK on /healthz"
[ "$(config '{{json .Config.Cmd}}')" = '["spinebot","serve"]' ] || fail "CMD is not spinebot serve"
config '{{json .Config.ExposedPorts}}' | grep -q '3000/tcp' || fail "port 3000 is not exposed"
say "image config: USER $user, HEALTHCHECK /healthz, CMD spinebot serve, EXPOSE 3000"

ctr=""
mnt=""
pids=()
cleanup() {
  set +e
  trap - ERR
  # SIGTERM, as `docker stop` and Kubernetes send it (background jobs ignore SIGINT).
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "SIGKILL to $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-70): no exit 20 s after SIGTERM"
      kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null
  done
  if [ -n "$mnt" ]; then
    # Anything still running inside the chroot was started by this script: stop it.
    for proc in /proc/[0-9]*; do
      [ "$(readlink "$proc/root" 2>/dev/null)" = "$mnt" ] && kill -KILL "${proc#/proc/}" 2>/dev/null
    done
    sleep 0.5
    mountpoint -q "$mnt/proc" && umount "$mnt/proc"
    mountpoint -q "$mnt/dev" && umount -R "$mnt/dev"
  fi
  if [ -n "$ctr" ]; then
    podman umount "$ctr" >/dev/null
    podman rm -f "$ctr" >/dev/null
  fi
  ctr=""
  mnt=""
}
trap cleanup EXIT

ctr="$(podman create --no-healthcheck "$IMAGE")" || fail "podman create failed"
mnt="$(podman mount "$ctr")" || fail "podman mount failed"
mount -t proc proc "$mnt/proc"
# A private /dev with the few device files Python needs (never the host's /dev tree).
mkdir -p "$mnt/dev"
mount -t tmpfs -o mode=755,nosuid devtmp "$mnt/dev"
for node in null zero full random urandom; do
  touch "$mnt/dev/$node"
  mount --bind "/dev/$node" "$mnt/dev/$node"
done
mkdir -p "$mnt/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$mnt/dev/shm"
smoke="$mnt/tmp/smoke"
mkdir -p "$smoke/data"
chown -R "$user" "$smoke"

# The image's own environment, plus the test's settings, for every command in the chroot.
mapfile -t image_env < <(config '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
in_image() {
  chroot --userspec="$user" "$mnt" /usr/bin/env -i "${image_env[@]}" HOME=/tmp/smoke \
    SPINEBOT_DATA_DIR=/tmp/smoke/data "$@"
}
start_in_image() { # log file, command…: in the background, its pid appended to pids
  local log="$1"
  shift
  chroot --userspec="$user" "$mnt" /usr/bin/env -i "${image_env[@]}" HOME=/tmp/smoke \
    SPINEBOT_DATA_DIR=/tmp/smoke/data "$@" >"$log" 2>&1 &
  pids+=($!)
}
free_port() { in_image python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # url, seconds, pid: until the URL answers 200 (or the process dies)
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if in_image python3 -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('$1', timeout=3).status != 200)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$3" 2>/dev/null || return 1
    sleep 2
  done
  return 1
}

in_image spinebot --help >"$smoke/help.txt" || fail "spinebot --help failed"
for sub in serve worker ingest; do
  grep -q " $sub " "$smoke/help.txt" || fail "spinebot --help lists no '$sub'"
  in_image spinebot "$sub" --help >/dev/null || fail "spinebot $sub --help failed"
done
in_image spinebot db upgrade --help >/dev/null || fail "spinebot db upgrade --help failed"
in_image chroma run --help >/dev/null || fail "chroma run --help failed"
say "spinebot --help and the subcommands compose and k8s run: ok"

unshare --net chroot --userspec="$user" "$mnt" /usr/bin/env -i "${image_env[@]}" python3 -c \
  "from knowledge.embeddings import MiniLMInt8; assert MiniLMInt8().embed(['ok']).shape == (1, 384)" \
  || fail "the embedding model does not load without a network"
say "embedding model loads with no network: ok"

in_image spinebot db upgrade >"$smoke/migrate.log" 2>&1 || { cat "$smoke/migrate.log"; fail "spinebot db upgrade failed"; }
say "spinebot db upgrade (SQLite): $(tail -n 1 "$smoke/migrate.log")"
# What the Kubernetes init containers and the compose worker check run.
in_image sh -c 'spinebot db status' >"$smoke/status.log" 2>&1 || { cat "$smoke/status.log"; fail "spinebot db status failed after the upgrade"; }
say "sh -c 'spinebot db status': $(tail -n 1 "$smoke/status.log")"

chroma_port="$(free_port)"
start_in_image "$smoke/chroma.log" chroma run --path /tmp/smoke/chroma --host 127.0.0.1 --port "$chroma_port"
wait_http "http://127.0.0.1:$chroma_port/api/v2/heartbeat" 60 "${pids[-1]}" \
  || { tail -n 20 "$smoke/chroma.log"; fail "chroma run did not answer its heartbeat"; }
say "chroma run (the compose chroma service): heartbeat ok"

# A stand-in for the Slack Web API, so start-up checks of the bot token pass offline.
cat >"$smoke/fake_slack.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Slack(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": True, "user_id": "USPINEBOT", "user": "spinebot",
                           "bot_id": "BSPINEBOT", "team_id": "TSMOKE", "team": "smoke",
                           "url": "https://smoke.slack.com/", "channels": [],
                           "messages": [], "members": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slack).serve_forever()
PY
slack_port="$(free_port)"
start_in_image "$smoke/slack.log" python3 /tmp/smoke/fake_slack.py "$slack_port"

port="$(free_port)"
say "spinebot serve on 127.0.0.1:$port (first start indexes the bundled corpus)"
start_in_image "$smoke/serve.log" PORT="$port" SLACK_BOT_TOKEN=xoxb-smoke-test \
  SLACK_SIGNING_SECRET=smoke-test-secret SLACK_API_URL="http://127.0.0.1:$slack_port/" \
  CHROMA_URL="http://127.0.0.1:$chroma_port" spinebot serve --host 127.0.0.1
serve_pid="${pids[-1]}"
host_get() { # GET a path on 127.0.0.1:$port from the host (bash's /dev/tcp, no tools needed)
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  cat <&3
  exec 3<&-
}
if ! wait_http "http://127.0.0.1:$port/healthz" 600 "$serve_pid"; then
  tail -n 30 "$smoke/serve.log"
  host_get /healthz | tail -n 1 || true
  fail "spinebot serve did not answer GET /healthz with 200"
fi
# And from the host, outside the chroot.
status="$(host_get /healthz | head -n 1 | tr -d '\r')" || status="no answer"
case "$status" in "HTTP/1."?" 200 "*) ;; *) fail "GET /healthz from the host answered '$status'" ;; esac
say "spinebot serve as $user: GET /healthz from the host answered 200"

cleanup
trap - EXIT
say "done in $((SECONDS - START)) s"
echo "PASS: scripts/image.sh ($IMAGE)"
