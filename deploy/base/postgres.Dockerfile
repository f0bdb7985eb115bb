# POSTGRES_IMAGE for air-gapped builds: Debian's PostgreSQL 15 on a debootstrapped
# bookworm (deploy/build-base-images), standing in for postgres:16-bookworm. The entry
# point reads the official image's variables (POSTGRES_PASSWORD[_FILE], POSTGRES_USER,
# POSTGRES_DB, PGDATA), so docker-compose.yml is the same for both.
ARG DEBIAN_IMAGE=twinverify-base/debian:bookworm
FROM ${DEBIAN_IMAGE}
# No cluster at install time: the entry point creates one in the data volume.
# hadolint ignore=DL3008
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
    && install --directory --owner postgres --group postgres --mode 2775 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
# SIGINT is PostgreSQL's fast shutdown: clients are disconnected, nothing is lost.
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
