# syntax=docker/dockerfile:1
# Plaza in two stages: a cgo-capable builder (the lake engine, DuckDB, links
# C++), then a slim glibc runtime that runs as a non-root user with its data
# in the /data volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/plaza ./cmd/plaza

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin plaza \
 && mkdir -p /data && chown plaza:plaza /data
COPY --from=build /out/plaza /usr/local/bin/plaza
USER plaza
ENV PLAZA_DATA=/data \
    PLAZA_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz >/dev/null || exit 1
ENTRYPOINT ["plaza"]
CMD ["serve"]
