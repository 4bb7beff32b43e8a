FROM alpine:3.20
# want
ADD https://example.com/tool.tar.gz /opt/
# want
ADD --chown=1:1 ["http://example.com/a.txt", "/a.txt"]
USER 1
