FROM alpine:3.20 AS build
USER nobody
# want
FROM alpine:3.20
COPY --from=build /etc/passwd /x
