FROM alpine:3.20 AS build
USER root
FROM alpine:3.20
USER 10001
