FROM alpine:3.20 AS base
USER root
RUN adduser -D app
USER app
# The final stage builds on base, so USER app carries over.
FROM base
CMD ["app"]
