# syntax=docker/dockerfile:1
# One image for every footcast process: the API (gunicorn), the Dramatiq workers, the MLflow
# tracking server, the DVC pipeline job and Airflow's tasks. The chart picks the command;
# Kubernetes probes check health, so there is no HEALTHCHECK. Settings and secrets arrive
# as FOOTCAST_* environment variables at run time: nothing secret is baked in.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv from the runtime lock file, then footcast without dependencies ---
FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}" && python -m venv /opt/venv
WORKDIR /src
COPY requirements-runtime.lock ./
RUN uv pip sync requirements-runtime.lock
COPY setup.cfg pyproject.toml README.md ./
COPY core ./core
COPY etl ./etl
COPY ml ./ml
COPY actors ./actors
COPY api ./api
COPY dags ./dags
COPY cli ./cli
RUN uv pip install --no-deps .

# --- runtime: the virtualenv and the project tree (dvc.yaml, params.yaml, dags/), read-only ---
FROM ${PYTHON_IMAGE} AS runtime
# pg_dump/pg_restore for `footcast backup`: the client's major version must not be older than
# the server's (the chart runs PostgreSQL 17), so they come from the PostgreSQL project's apt.
ARG POSTGRES_CLIENT_MAJOR=17
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc]" \
      "https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_CLIENT_MAJOR}" \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 footcast \
 && useradd --system --uid 10001 --gid footcast --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin footcast
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
# the commit the image was built from, recorded with every model the pipeline registers:
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) .
ARG GIT_COMMIT=""
ENV PATH=/opt/venv/bin:$PATH \
    FOOTCAST_GIT_COMMIT=${GIT_COMMIT} \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "api.wsgi:app", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", \
     "--workers", "2", "--threads", "8", "--graceful-timeout", "20", \
     "--config", "python:api.gunicorn_conf"]
