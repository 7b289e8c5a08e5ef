# The reporter's image: `make image` builds it with docker or podman (deploy/README.md).
# Python 3.11 slim, pinned to an exact release; the Debian libraries WeasyPrint needs for the PDF
# (RUNTIME_PACKAGES in the Makefile: tests/test_dockerfile.py keeps the two lists equal); the
# project's wheel; user 65532. Nothing is written at run time outside /tmp and the archive, so
# the container runs with a read-only root filesystem (deploy/cronjob.yaml).
FROM python:3.11.9-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reporter reporter
COPY controls controls
COPY templates templates
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11.9-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
 && rm -rf /wheels
ENV HOME=/tmp \
    XDG_CACHE_HOME=/tmp/cache \
    TMPDIR=/tmp \
    PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
WORKDIR /tmp
ENTRYPOINT ["reporter"]
CMD ["--help"]
