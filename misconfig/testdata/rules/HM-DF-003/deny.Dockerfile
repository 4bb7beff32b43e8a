ARG V=3.20
# want
FROM alpine:${V} AS build
# want
FROM --platform=$BUILDPLATFORM registry.example.com:5000/team/base:1.0
USER 1
