# canhgiac service image: the API on port 8000 with the committed default model baked in.
# Build: docker build -t canhgiac .    Run: docker run -p 8000:8000 canhgiac
# Mount another model with -v /path/model:/app/model (CANHGIAC_MODEL_DIR=/app/model).
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY training ./training
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CANHGIAC_MODEL_DIR=/app/model \
    CANHGIAC_DATABASE_URL=sqlite:////app/var/canhgiac.db
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin canhgiac
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY model ./model
COPY data/samples ./data/samples
RUN mkdir -p /app/var && chown -R canhgiac:canhgiac /app/var /app/model
USER canhgiac
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["canhgiac", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
