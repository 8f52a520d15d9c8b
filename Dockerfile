# syntax=docker/dockerfile:1
# Tollgate's one image: `tollgate operator` runs the operator, which starts
# gateway pods from the same image with `tollgate proxy`.
#
#   docker build -t ghcr.io/tollgate-dev/tollgate:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ... --push .
#
# A static binary (CGO_ENABLED=0) on distroless/static: no shell, no
# package manager, runs as the nonroot user (65532), which the operator's
# and the gateways' pod security contexts require.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/tollgate ./cmd/tollgate

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/tollgate /tollgate
USER 65532:65532
ENTRYPOINT ["/tollgate"]
