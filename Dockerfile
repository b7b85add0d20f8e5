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
RUN pip install .

# Run as an unprivileged user.
RUN useradd --create-home --uid 10001 graphmatch
USER graphmatch

EXPOSE 8000
CMD ["graphmatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
