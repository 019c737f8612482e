# One image for every kejiwatch container of docker-compose.yml: Airflow (api-server, scheduler,
# dag-processor, triggerer, Celery workers), the replay portals and one-off CLI runs.
# The locked environment (uv.lock) plus what only the distributed deployment needs: the Celery
# executor, the redis broker client and the PostgreSQL driver for Airflow's metadata DB.
FROM python:3.11-slim

ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KEJIWATCH_DATA_DIR=/data \
    AIRFLOW_HOME=/opt/airflow

RUN pip install --no-cache-dir uv \
    && apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/kejiwatch
# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
RUN uv pip install --python /opt/venv/bin/python \
      "apache-airflow-providers-celery" "apache-airflow-providers-postgres" "psycopg2-binary" "redis"
COPY . .
RUN uv sync --frozen --no-dev \
    && mkdir -p /data /opt/airflow

CMD ["kejiwatch", "--help"]
