# facerec: the API with the bundled buffalo_s model. Without DATABASE_URL it runs its embedded Postgres in
# /data; compose.yaml runs it against a pgvector server instead.
FROM python:3.11-slim

# opencv-python (an insightface dependency) needs these shared libraries
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY src ./src
COPY migrations ./migrations
# A plain install, as from a wheel: the migrations ship inside the package
RUN pip install --no-cache-dir . && rm -rf /app
WORKDIR /

ENV DATA_DIR=/data MODEL_CACHE_DIR=/models
# The container listens on 0.0.0.0 so that a published port reaches it. With access control off that
# would hand every face to anyone who can reach the port, so the service refuses to start until you
# choose: API_KEYS / JWT_SECRET_KEY, or ALLOW_OPEN_NETWORK=true when the port is published on loopback
# only (`docker run -p 127.0.0.1:8000:8000 -e ALLOW_OPEN_NETWORK=true ...`). See README "Docker".
VOLUME ["/data", "/models"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
CMD ["facerec", "serve", "--host", "0.0.0.0", "--port", "8000"]
