#!/bin/sh
# Makes the certificates for the TLS examples with openssl, all signed by one example CA, EC P-256
# keys, each directory laid out as DOCKER_CERT_PATH wants it (ca.pem, cert.pem, key.pem):
#   DIR/ca.pem, DIR/ca-key.pem   the CA (keep ca-key.pem off the hosts)
#   DIR/server/   server certificate: the proxy's TLS frontend (and, in the examples, the TLS
#                 daemon behind it)
#   DIR/proxy/    client certificate the proxy presents to a TLS daemon
#   DIR/client/   client certificate for the docker CLI (or any client) in front of the proxy
#
# Usage: sh mkcerts.sh [DIR]      (default: ./certs next to this script)
# Environment: SERVER_NAMES  names and addresses the server certificate is valid for
#                            (default "cetusguard dockerd localhost 127.0.0.1 ::1")
#              KEY_OWNER     uid:gid of the image's user, who must read server/ and proxy/ keys
#                            (default 10001:10001); applied when run as root
#              DAYS          validity (default 825)
# Existing files are kept: delete DIR to start over.
set -eu

dir="${1:-$(cd "$(dirname "$0")" && pwd)/certs}"
names="${SERVER_NAMES:-cetusguard dockerd localhost 127.0.0.1 ::1}"
owner="${KEY_OWNER:-10001:10001}"
days="${DAYS:-825}"

umask 077
mkdir -p "$dir/server" "$dir/proxy" "$dir/client"
cd "$dir"

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f ca.pem ]; then
  newkey ca-key.pem
  openssl req -new -x509 -sha256 -days "$days" -key ca-key.pem -subj "/CN=CetusGuard example CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem
fi

san=""
for n in $names; do
  case "$n" in
    *:*|[0-9]*.[0-9]*.[0-9]*.[0-9]*) san="$san,IP:$n" ;;
    *) san="$san,DNS:$n" ;;
  esac
done
san="${san#,}"

sign() { # sign DIR CN EXTENSIONS
  [ -f "$1/cert.pem" ] && return 0
  newkey "$1/key.pem"
  openssl req -new -sha256 -key "$1/key.pem" -subj "/CN=$2" -out "$1/csr.pem"
  printf '%s\n' "$3" >"$1/ext.cnf"
  openssl x509 -req -sha256 -days "$days" -in "$1/csr.pem" -CA ca.pem -CAkey ca-key.pem \
    -CAcreateserial -extfile "$1/ext.cnf" -out "$1/cert.pem" 2>/dev/null
  rm -f "$1/csr.pem" "$1/ext.cnf"
  cp ca.pem "$1/ca.pem"
}
sign server "${names%% *}" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san"
for c in proxy client; do
  sign "$c" "$c" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done

for d in server proxy client; do chmod 0644 "$d/ca.pem" "$d/cert.pem"; chmod 0755 "$d"; done
chmod 0644 ca.pem
chmod 0755 .
if [ "$(id -u)" -eq 0 ]; then
  # The proxy's keys to the image's user; the CLI's key to whoever ran sudo (else root keeps it).
  chown "$owner" server/key.pem proxy/key.pem
  chmod 0400 server/key.pem proxy/key.pem
  if [ -n "${SUDO_UID:-}" ]; then chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" client/key.pem; fi
else
  echo "not root: server/key.pem and proxy/key.pem are 0600 and yours; the container user ($owner)" \
       "must be able to read them: chown them (sudo chown $owner ...), or run the proxy as your uid" >&2
fi
openssl verify -CAfile ca.pem server/cert.pem proxy/cert.pem client/cert.pem
echo "certificates in $dir (server names: $names)"
