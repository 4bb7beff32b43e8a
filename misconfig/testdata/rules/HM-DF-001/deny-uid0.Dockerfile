FROM alpine:3.20
# want
user 0
