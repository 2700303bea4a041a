# The mxn image: manager (the operator, the entrypoint), mxn (the worker CLI)
# and aerolite, static, on distroless as nonroot. Without Docker, `make images`
# builds the same image (hack/image; contents.go is the list both follow, and
# hack/image/dockerfile_test.go keeps them in step).
FROM golang:1.26 AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ ./cmd/manager ./cmd/mxn ./cmd/aerolite

FROM gcr.io/distroless/static:nonroot
COPY --from=builder /out/manager /out/mxn /out/aerolite /
USER 65532:65532
WORKDIR /
ENTRYPOINT ["/manager"]
