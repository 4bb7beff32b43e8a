FROM alpine:3.20
# want
RUN curl -fsSL https://get.example.com | sh
# want
RUN apk add --no-cache curl bash && \
    wget -qO- https://example.com/install.sh \
    | sudo -E bash -s -- --version 1.2
# want
RUN sh -c "$(curl -fsSL https://example.com/install.sh)"
# want
RUN <<EOF
set -e
curl -sL https://example.com/i.sh | /bin/bash
EOF
USER 1
