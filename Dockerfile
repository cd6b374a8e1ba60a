# The pileon HTTP API (and CLI) as an image; docker-compose.yml runs it beside Neo4j.
#   docker build -t pileon .
#   KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(32))")
#   docker run --rm -e PILEON_STORE=bolt://HOST:7687 -e NEO4J_PASSWORD=... \
#              -e PILEON_API_KEYS="$KEY:admin" -p 127.0.0.1:8000:8000 pileon
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pileon ./pileon
COPY graph ./graph
COPY ingest ./ingest
COPY detectors ./detectors
COPY api ./api
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PILEON_HOST=0.0.0.0 PILEON_PORT=8000
# LightGBM's wheel needs the GNU OpenMP runtime
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 pileon
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER pileon
WORKDIR /home/pileon
EXPOSE 8000
CMD ["pileon", "serve"]
