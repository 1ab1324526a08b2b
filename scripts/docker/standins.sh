#!/usr/bin/env bash
# Builds, from Debian's archive, the two images facerec's Docker files start from, for a machine whose
# Docker engine cannot pull images:
#   PYTHON_IMAGE    Debian bookworm with Debian's Python 3.11, venv and pip: stands in for python:3.11-slim
#   PGVECTOR_IMAGE  Debian trixie's postgresql-17-pgvector, with an entrypoint that reads POSTGRES_USER,
#                   POSTGRES_PASSWORD and POSTGRES_DB: stands in for pgvector/pgvector:pg17
# An image already present, or that can be pulled, is kept (REBUILD_STANDINS=1 builds it again). Needs
# root, debootstrap and the Debian mirror (DEBIAN_MIRROR, default http://deb.debian.org/debian). Where
# HTTPS goes through a proxy with its own certificate authority, CA_BUNDLE (default: pip's PIP_CERT)
# replaces the Python image's CA bundle, so that pip reaches PyPI from `docker build` as it does here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${PYTHON_IMAGE:?}" "${PGVECTOR_IMAGE:?}"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d /var/tmp/facerec-standins.XXXXXX)
trap 'rm -rf "$work"' EXIT

# debootstrap SUITE PACKAGES: a minimal root file system in $work/root, without apt's caches
bootstrap() {
    rm -rf "$work/root"
    debootstrap --variant=minbase --include="$2" "$1" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log" >&2; return 1; }
    rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/*
}

# import TAG CHANGE...: the root file system as an image, with Dockerfile instructions applied
import() {
    local tag=$1 change=()
    shift
    for instruction in "$@"; do change+=(--change "$instruction"); done
    tar -C "$work/root" -c . | docker import "${change[@]}" - "$tag" >/dev/null
}

# needed IMAGE: whether to build it: asked to, or neither present nor to be pulled
needed() {
    [[ ${REBUILD_STANDINS:-0} == 1 ]] && return 0
    docker image inspect "$1" >/dev/null 2>&1 && return 1
    ! docker pull --quiet "$1" >/dev/null 2>&1
}

if needed "$PYTHON_IMAGE"; then
    echo "standins: building $PYTHON_IMAGE (debootstrap bookworm)"
    bootstrap bookworm python3,python3-venv,python3-pip,ca-certificates
    # As in python:3.11-slim: `python` is Python 3 and pip may install into the system's Python
    ln -s python3 "$work/root/usr/bin/python"
    rm -f "$work"/root/usr/lib/python3.*/EXTERNALLY-MANAGED
    ca_bundle=${CA_BUNDLE:-${PIP_CERT:-}}
    if [[ -n $ca_bundle ]]; then cp "$ca_bundle" "$work/root/etc/ssl/certs/ca-certificates.crt"; fi
    import "$PYTHON_IMAGE" 'ENV LANG=C.UTF-8' 'CMD ["python3"]'
fi

if needed "$PGVECTOR_IMAGE"; then
    echo "standins: building $PGVECTOR_IMAGE (debootstrap trixie)"
    bootstrap trixie postgresql-17-pgvector
    # the package's own cluster is not used: the entrypoint initialises PGDATA
    rm -rf "$work"/root/var/lib/postgresql/17 "$work"/root/etc/postgresql/17
    install -m 755 "$here/pgvector-entrypoint.sh" "$work/root/usr/local/bin/docker-entrypoint.sh"
    import "$PGVECTOR_IMAGE" \
        'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        'ENV PGDATA=/var/lib/postgresql/data' 'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' \
        'ENTRYPOINT ["docker-entrypoint.sh"]'
fi
