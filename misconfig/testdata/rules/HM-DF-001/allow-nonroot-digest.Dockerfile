FROM golang:1.26 AS build
RUN go build -o /app .
# The final stage builds on a base that runs as non-root, pinned by digest.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:0000000000000000000000000000000000000000000000000000000000000000
COPY --from=build /app /app
