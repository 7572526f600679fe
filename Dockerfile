# syntax=docker/dockerfile:1

# Build stage: runs on the build host's platform and cross-compiles for the
# target, so multi-arch images (docker buildx --platform ...) build without
# emulating the whole Go toolchain.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Module download gets its own layer: it is invalidated only when go.mod or
# go.sum change, not on every source edit.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

ARG VERSION=dev
# The commit the image is built from, for `ontohub version` and GET /api/v1/version (the build
# context has no .git for Go to read it from).
ARG COMMIT=unknown
ARG TARGETOS
ARG TARGETARCH
# CGO_ENABLED=0 gives a static binary that needs no libc in the final image;
# -trimpath keeps build paths out of it, -s -w drop the symbol tables.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/ontohub ./cmd/ontohub

# Final stage: distroless static has CA certificates and tzdata but no shell
# and no package manager. The :nonroot tag runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app

COPY --from=build /out/ontohub /app/ontohub
# The example ontology, so `serve --ingest /app/examples/ontology` works
# without mounting anything.
COPY examples/ /app/examples/

# Numeric so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
EXPOSE 8080

# The image has no shell, curl or wget: the binary checks GET /health itself
# (on LISTEN_ADDR's port), exits 1 unless it says healthy, within 3 seconds.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/ontohub", "healthcheck"]
ENTRYPOINT ["/app/ontohub"]
CMD ["serve"]
