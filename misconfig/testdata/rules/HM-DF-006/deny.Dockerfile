FROM alpine:3.20
# want
ENV DB_PASSWORD=hunter2 APP_MODE=prod
# want
ENV API_TOKEN abc123
# want
ARG NPM_TOKEN="npm_xxxxxxxx"
# want
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI
USER 1
