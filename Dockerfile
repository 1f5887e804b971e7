# syntax=docker/dockerfile:1
#
# rebind's container image. Two targets:
#
#   docker build -t rebind .                 from scratch: the binary and CA certificates, non-root, no OCR (the default)
#   docker build --target ocr -t rebind:ocr .  Debian slim with tesseract, for the reviewers' OCR findings
#
# Run it with a read-only root file system; only the data folder (dev
# secrets, documents when REBIND_BLOB_URL is file://) is written:
#
#   docker run --read-only --tmpfs /tmp -v rebind-data:/data --env-file rebind.env \
#       -p 443:8080 -p 10.0.0.5:8081:8081 rebind
#
# See docs/operations.md for the settings, the proxy in front and the
# internal listener (8081), which must never be published to the internet.

# The build: the same static binary .ci/run builds and checks, from the
# same script. .git is in the build context so the toolchain records the
# version and commit (rebind version, rebind_build_info).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    scripts/build-static /out/rebind && /out/rebind version
# The data folder, owned by the non-root user the images run as.
RUN install -d -m 0700 -o 65532 -g 65532 /out/data

# With OCR: tesseract reads the text of the screenshots users send for the
# reviewers' findings. Without it (the default target) the findings say
# OCR was not available.
FROM debian:bookworm-slim AS ocr
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/rebind /usr/local/bin/rebind
COPY --from=build --chown=65532:65532 /out/data /data
ENV REBIND_ENV=production \
    REBIND_ADDR=0.0.0.0:8080 \
    REBIND_INTERNAL_ADDR=0.0.0.0:8081 \
    REBIND_DATA_DIR=/data \
    REBIND_OCR_COMMAND=tesseract
USER 65532:65532
VOLUME /data
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 CMD ["/usr/local/bin/rebind", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rebind"]
CMD ["serve"]

# The default: the static binary and the CA certificates (for SMTP, the
# SMS provider, S3 and PostgreSQL over TLS), nothing else: no shell, no
# libc. User 65532 needs no /etc/passwd entry.
FROM scratch AS static
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rebind /usr/local/bin/rebind
COPY --from=build --chown=65532:65532 /out/data /data
ENV REBIND_ENV=production \
    REBIND_ADDR=0.0.0.0:8080 \
    REBIND_INTERNAL_ADDR=0.0.0.0:8081 \
    REBIND_DATA_DIR=/data \
    REBIND_OCR_COMMAND=off
USER 65532:65532
VOLUME /data
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 CMD ["/usr/local/bin/rebind", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rebind"]
CMD ["serve"]
