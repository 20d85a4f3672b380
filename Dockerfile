# The gridgov image: API, Celery worker, beat and migrations (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# pg_dump and pg_restore for `gridgov backup` / `restore` (bookworm's 15: the server's
# major version, as pg_dump needs).
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends postgresql-client \
       fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, read from pyproject.toml alone, so that a code change reuses this layer.
COPY pyproject.toml /tmp/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt /tmp/pyproject.toml

# Then the project itself, into site-packages; the source is not kept.
COPY . /tmp/src
RUN pip install --no-deps /tmp/src && rm -rf /tmp/src

RUN useradd --create-home --uid 10001 gridgov \
    && mkdir -p /var/lib/gridgov/media /var/lib/gridgov/backups \
    && chown gridgov /var/lib/gridgov/media /var/lib/gridgov/backups
USER gridgov
WORKDIR /home/gridgov

EXPOSE 8000
CMD ["gridgov", "serve", "--host", "0.0.0.0", "--port", "8000"]
