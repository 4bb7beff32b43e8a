FROM alpine:3.20
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0b4cc5ec8b9 https://example.com/tool.tar.gz /opt/
ADD files/ /opt/files/
COPY https-notes.txt /notes.txt
USER 1
