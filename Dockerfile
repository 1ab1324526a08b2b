# facerec: the API with the bundled buffalo_s model, run as the unprivileged user `facerec`. Without
# DATABASE_URL it runs its embedded Postgres in /data; compose.yaml runs it against a pgvector server.
# PYTHON_IMAGE: a Debian-based Python 3.11 with venv and pip (scripts/docker-check.sh builds a stand-in
# from Debian's archive where python:3.11-slim cannot be pulled).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# requirements.lock pins every dependency (scripts/docker/lock.sh writes it) and is installed as it is,
# without resolving: it carries opencv-python-headless where insightface asks for opencv-python, whose
# libGL would add Mesa and LLVM to the image. The venv has no pip of its own: the base's pip fills it.
RUN python3 -m venv --without-pip /opt/venv
COPY requirements.lock /tmp/
RUN python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --no-deps -r /tmp/requirements.lock
COPY pyproject.toml setup.py README.md /tmp/facerec/
COPY src /tmp/facerec/src
COPY migrations /tmp/facerec/migrations
# A plain install, as from a wheel: the migrations ship inside the package
RUN python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /tmp/facerec
# The lock is complete: pip finds nothing missing but the package swapped on purpose
RUN ! python3 -m pip --python /opt/venv/bin/python check | grep -v "requires opencv-python, which is not installed"
# The dependencies' own test suites (scipy's, scikit-image's, networkx's...) are a ninth of the image
RUN find /opt/venv -type d -name tests -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
RUN useradd --user-group --uid 10001 --create-home facerec \
    && mkdir /data /models && chown facerec:facerec /data /models
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 DATA_DIR=/data MODEL_CACHE_DIR=/models PORT=8000
USER facerec
# A volume mounted here starts with the image's owner (facerec, uid 10001) when it is a new named
# volume; a host directory must be writable by uid 10001.
VOLUME ["/data", "/models"]
# The container listens on 0.0.0.0 so that a published port reaches it. With access control off that
# would hand every face to anyone who can reach the port, so the service refuses to start until you
# choose: API_KEYS / JWT_SECRET_KEY, or ALLOW_OPEN_NETWORK=true when the port is published on loopback
# only (`docker run -p 127.0.0.1:8000:8000 -e ALLOW_OPEN_NETWORK=true ...`). See README "Docker".
# PORT moves the service and its health check together.
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c 'import os, urllib.request; urllib.request.urlopen("http://127.0.0.1:" + os.environ["PORT"] + "/readyz", timeout=2)'
CMD exec facerec serve --host 0.0.0.0 --port "$PORT"
