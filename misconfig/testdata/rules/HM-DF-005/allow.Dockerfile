FROM alpine:3.20
RUN curl -fsSLo /tmp/i.sh https://example.com/i.sh \
    && echo "3b2f...  /tmp/i.sh" | sha256sum -c - \
    && sh /tmp/i.sh
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg
RUN curl -fsSL https://example.com/x.tgz | tar -xz -C /opt
USER 1
