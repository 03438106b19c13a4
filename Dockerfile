# Multi-stage build: wheels in a builder, a slim non-root runtime running `dangjian serve`.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
# The locked versions (hashes checked), then the project itself without dependencies.
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# PYTHONPATH: `app` (and with it alembic.ini and migrations/) resolves from /srv/dangjian.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DANGJIAN_ENVIRONMENT=production \
    PYTHONPATH=/srv/dangjian
RUN useradd --create-home --uid 10001 dangjian
WORKDIR /srv/dangjian
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/* && rm -rf /wheels
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
USER dangjian
EXPOSE 8000
# DATABASE_URL, DANGJIAN_SECRET_KEY and DANGJIAN_PII_KEY must be provided at run time.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz')" || exit 1
CMD ["dangjian", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
