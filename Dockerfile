# The graphmatch HTTP API (production WSGI server via `graphmatch serve`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package needs (see .dockerignore); tests and data stay out of the image.
COPY pyproject.toml README.md ./
COPY graphmatch ./graphmatch
COPY api ./api
COPY seed_data ./seed_data
# The extras `graphmatch serve --store neo4j` needs: Flask + waitress, and the Neo4j driver.
RUN pip install ".[api,neo4j]"

# Run as an unprivileged user.
RUN useradd --create-home --uid 10001 graphmatch
USER graphmatch

EXPOSE 8000
# Beyond loopback the server needs GRAPHMATCH_API_KEYS (or GRAPHMATCH_OPEN=1); it uses Neo4j
# when NEO4J_URI is set (docker-compose.yml names the store explicitly).
CMD ["graphmatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
