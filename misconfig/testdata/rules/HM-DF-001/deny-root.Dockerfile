FROM alpine:3.20
USER app
RUN id
# want
USER root:root
