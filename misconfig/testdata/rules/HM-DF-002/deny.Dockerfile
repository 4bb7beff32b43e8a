# Variables in FROM are expanded with the defaults of the ARGs before the first FROM.
ARG BASE=alpine
# want
FROM ubuntu
# want
FROM ubuntu:latest AS second
ARG LOCAL=debian
# want
FROM ${BASE}
FROM ${LOCAL}:12
USER 1
