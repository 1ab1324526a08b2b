#!/usr/bin/env bash
# Checks the Docker image end to end on a machine whose engine cannot pull images (README "Docker").
# Builds stand-ins for the base images from Debian's archive (scripts/docker/standins.sh), builds the
# image, then:
#   1. runs it alone with the embedded Postgres in a named /data volume, on PORT=9000: it runs as its
#      unprivileged user, turns healthy, encodes and registers a face, and still has it after a restart;
#   2. runs compose.yaml with a pgvector server: encode, register, `down` and `up` again, get the face
#      and its photo back; `down` must leave no volume behind but the named ones.
# Exits non-zero at the first failure and removes what it started. Slow (minutes): not in .ci/run.
# Needs root (debootstrap), an engine (DOCKER_HOST or the default socket) and docker compose or
# docker-compose. PHOTO: a photo with one face (default ../shared/data/faces-deepface/img1.jpg).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) stops the check too
cd "$(dirname "$0")/.."
export PYTHON_IMAGE=${PYTHON_IMAGE:-facerec-standin/python:3.11-bookworm}
export PGVECTOR_IMAGE=${PGVECTOR_IMAGE:-facerec-standin/pgvector:pg17-trixie}
export COMPOSE_PROJECT_NAME=facerec-check
image=facerec:check
container=facerec-check
volume=facerec-check-data
photo=${PHOTO:-../shared/data/faces-deepface/img1.jpg}
output=$(mktemp)
started=$SECONDS

say() { printf '[%4ds] %s\n' $((SECONDS - started)) "$*"; }
fail() {
    say "FAILED: $*" >&2
    exit 1
}
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null; then
    compose=(docker-compose)
else
    fail "neither docker compose nor docker-compose is installed"
fi
[[ -f $photo ]] || fail "no photo at $photo (set PHOTO)"

cleanup() {
    local status=$?
    if ((status != 0)); then
        docker logs --tail 40 "$container" 2>&1 | sed 's/^/  alone | /' >&2 || true
        "${compose[@]}" logs --no-color --tail 40 2>&1 | sed 's/^/  compose | /' >&2 || true
    fi
    docker rm -f -v "$container" >/dev/null 2>&1 || true
    docker volume rm "$volume" >/dev/null 2>&1 || true
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    rm -f "$output"
}
trap cleanup EXIT

# quietly COMMAND...: runs it, showing its output only when it fails
quietly() {
    "$@" >"$output" 2>&1 || {
        tail -30 "$output" >&2
        fail "$*"
    }
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_healthy CONTAINER: until Docker's health check (the image's HEALTHCHECK) passes
wait_healthy() {
    local since=$SECONDS state
    while ((SECONDS - since < 300)); do
        state=$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$1")
        case $state in
        "running healthy") return 0 ;;
        "running starting") sleep 2 ;;
        *) fail "container $1 is $state" ;;
        esac
    done
    fail "container $1 not healthy after 300 s"
}

# api PORT METHOD PATH [CURL ARGS...]: the body of a 2xx answer
api() {
    local port=$1 method=$2 path=$3
    shift 3
    curl -sS --fail-with-body -X "$method" "$@" "http://127.0.0.1:$port$path" || fail "$method $path"
}

# encode_and_register PORT NAME: prints the registered face's id
encode_and_register() {
    local dims
    dims=$(api "$1" POST /api/face/encode -F "image=@$photo" | jq '.embedding | length')
    [[ $dims == 512 ]] || fail "encode gave $dims numbers, not 512"
    api "$1" POST /api/face/register -F "image=@$photo" -F "displayName=$2" | jq -er .id
}

# expect_face PORT ID NAME: the face is stored under that name, with its photo
expect_face() {
    local name bytes
    name=$(api "$1" GET "/api/face/$2" | jq -r .displayName)
    [[ $name == "$3" ]] || fail "face $2 is named '$name', not '$3'"
    bytes=$(api "$1" GET "/api/face/$2/image" | wc -c)
    ((bytes > 1000)) || fail "face $2's photo has $bytes bytes"
}

say "stand-in base images"
scripts/docker/standins.sh
say "building $image from $PYTHON_IMAGE"
quietly docker build --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" -t "$image" .
say "built: $(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=si)B"

say "alone: embedded Postgres in volume $volume, PORT=9000"
docker volume create "$volume" >/dev/null
docker run -d --name "$container" -e PORT=9000 -e ALLOW_OPEN_NETWORK=true -p 127.0.0.1::9000 \
    -v "$volume:/data" "$image" >/dev/null
port=$(docker port "$container" 9000 | head -1 | cut -d: -f2)
wait_healthy "$container"
say "alone: healthy on port 9000 (published on $port)"
user=$(docker exec "$container" id -un)
[[ $user == facerec ]] || fail "the service runs as $user"
owner=$(docker exec "$container" stat -c %U /data/pgdata)
[[ $owner == facerec ]] || fail "/data/pgdata belongs to $owner"
root_processes=$(docker top "$container" -eo pid,uid,args | awk 'NR > 1 && $2 == 0' | wc -l)
((root_processes == 0)) || fail "$root_processes processes run as root"
say "alone: facerec and its Postgres run as uid $(docker exec "$container" id -u), owner of /data"
face=$(encode_and_register "$port" "Docker Alone")
say "alone: encoded and registered face $face"
docker restart "$container" >/dev/null
wait_healthy "$container"
port=$(docker port "$container" 9000 | head -1 | cut -d: -f2)
expect_face "$port" "$face" "Docker Alone"
say "alone: after a restart, face $face is still there"
docker rm -f -v "$container" >/dev/null
docker volume rm "$volume" >/dev/null

FACEREC_HOST_PORT=$(free_port)
export FACEREC_HOST_PORT
volumes_before=$(docker volume ls -q | sort)
say "compose (${compose[*]}): pgvector server from $PGVECTOR_IMAGE, API on port $FACEREC_HOST_PORT"
quietly "${compose[@]}" up -d --build
api_container=$("${compose[@]}" ps -q api)
wait_healthy "$api_container"
policy=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$api_container")
[[ $policy == unless-stopped ]] || fail "the API's restart policy is '$policy'"
say "compose: healthy, restart policy $policy"
face=$(encode_and_register "$FACEREC_HOST_PORT" "Docker Compose")
say "compose: encoded and registered face $face"
quietly "${compose[@]}" down
quietly "${compose[@]}" up -d
wait_healthy "$("${compose[@]}" ps -q api)"
expect_face "$FACEREC_HOST_PORT" "$face" "Docker Compose"
say "compose: after down and up, face $face and its photo are still there"
quietly "${compose[@]}" down
left=$(comm -13 <(echo "$volumes_before") <(docker volume ls -q | sort) | tr '\n' ' ')
[[ $left == "${COMPOSE_PROJECT_NAME}_data ${COMPOSE_PROJECT_NAME}_models ${COMPOSE_PROJECT_NAME}_pgdata " ]] ||
    fail "down left these volumes: $left"
say "compose: down left only the named volumes: $left"
say "passed"
