# PYTHON_IMAGE for air-gapped builds: Debian's Python 3.11 on a debootstrapped bookworm
# (deploy/build-base-images), standing in for python:3.12-slim-bookworm.
ARG DEBIAN_IMAGE=twinverify-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
# Debian's stable packages, unpinned: a pinned version leaves the mirror with the next
# point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends python3 python3-venv netbase tzdata \
    && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
    && ln -s /usr/bin/python3 /usr/local/bin/python
# pip as the host that built this image is configured: its index URLs and CA bundle.
COPY pip.conf.generated /etc/pip.conf
ENV LANG=C.UTF-8
CMD ["python3"]
