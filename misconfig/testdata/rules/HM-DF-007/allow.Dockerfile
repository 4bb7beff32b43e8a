FROM debian:12 AS deb
RUN apt-get update && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y git
FROM alpine:3.20
RUN apk add --no-cache curl
FROM fedora:40
RUN dnf -y install git && dnf clean all
RUN yum install -y tar && rm -rf /var/cache/yum
USER 1
