FROM debian:12 AS deb
# want
RUN apt-get update && apt-get install -y curl
# want
RUN apt-get update \
 && apt-get -y install git \
 && apt-get clean
USER 1
FROM alpine:3.20
# want
RUN apk update && apk add curl
FROM fedora:40
# want
RUN dnf -y install git
USER 1
