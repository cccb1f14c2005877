#!/usr/bin/env bash
# Builds the two local test images used by the live tests and the compose examples:
#   compose-doctor-test/nginx:1    Debian's nginx in a FROM scratch image, laid out like the official image
#   compose-doctor-test/busybox:1  a static busybox with its applets, for upstreams (httpd, nc, sh)
# No registry is needed: both images are assembled from this machine's own files. If nginx or a static
# busybox is missing, Debian's packages are installed first (root only).
#
# Idempotent: an image whose recipe label matches the current recipe is left alone. Safe to run
# concurrently: builds are serialized with flock, and each image is built under a unique temporary tag
# that is re-tagged only when complete.
#
# Output: one line per image, "built IMAGE" or "up to date IMAGE". Exit status non-zero on failure.
set -euo pipefail

NGINX_IMAGE=compose-doctor-test/nginx:1
BUSYBOX_IMAGE=compose-doctor-test/busybox:1
NGINX_BIN=/usr/sbin/nginx
SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

# Build contexts to remove on exit, whatever happens.
CONTEXTS=()
cleanup() { [ ${#CONTEXTS[@]} -eq 0 ] || rm -rf "${CONTEXTS[@]}"; }
trap cleanup EXIT

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"

find_busybox() {
    # A static busybox is required: the images have no libc for it.
    local c
    for c in /bin/busybox /usr/bin/busybox; do
        if [ -x "$c" ] && ! ldd "$c" >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

install_packages() {
    local pkgs=()
    [ -x "$NGINX_BIN" ] || pkgs+=(nginx)
    find_busybox >/dev/null || pkgs+=(busybox-static)
    [ ${#pkgs[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing ${pkgs[*]}: install them (apt-get install ${pkgs[*]}) or run as root"
    command -v apt-get >/dev/null || die "missing ${pkgs[*]} and no apt-get to install them"
    log "installing ${pkgs[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${pkgs[@]}" >&2; then
        apt-get update -q >&2
        apt-get install -y -q "${pkgs[@]}" >&2
    fi
}

# Everything that determines the images' content, hashed into a label.
recipe_hash() {
    {
        cat "$SCRIPT_PATH"
        sha256sum "$NGINX_BIN" "$BUSYBOX"
        ldd "$NGINX_BIN" | awk '{print $(NF-1)}' | sort
    } | sha256sum | cut -c1-16
}

image_recipe() {
    docker image inspect -f '{{index .Config.Labels "compose-doctor.test.recipe"}}' "$1" 2>/dev/null || true
}

copy_file() { # copy_file SRC ROOT: copy SRC (dereferenced) to ROOT/SRC, keeping its path
    local src=$1 root=$2
    mkdir -p "$root$(dirname "$src")"
    cp -L "$src" "$root$src"
}

nginx_context() {
    local ctx=$1 root=$1/rootfs lib
    mkdir -p "$root"
    copy_file "$NGINX_BIN" "$root"
    # Every library the binary links, at the path the loader looks for it.
    for lib in $(ldd "$NGINX_BIN" | awk '/=>/ {print $3} !/=>/ && $1 ~ /^\// {print $1}'); do
        copy_file "$lib" "$root"
    done
    # Name service modules loaded at run time (getpwnam for "user nginx", getaddrinfo for upstreams).
    local libdir
    libdir=$(dirname "$(ldd "$NGINX_BIN" | awk '/libc.so/ {print $3}')")
    for lib in libnss_dns.so.2 libnss_files.so.2 libresolv.so.2; do
        if [ -e "$libdir/$lib" ]; then
            copy_file "$libdir/$lib" "$root"
        else
            copy_file "$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64|64bit/ {print $NF; exit}')" "$root"
        fi
    done
    mkdir -p "$root/etc/nginx/conf.d" "$root/var/log/nginx" "$root/var/lib/nginx" "$root/run" \
        "$root/var/lock" "$root/tmp" "$root/usr/share/nginx/html" "$root/bin"
    chmod 1777 "$root/tmp"
    cp /etc/nginx/mime.types /etc/nginx/*_params "$root/etc/nginx/"
    [ -e /etc/nginx/fastcgi.conf ] && cp /etc/nginx/fastcgi.conf "$root/etc/nginx/"
    # Logs go to the container's output, like the official image.
    ln -s /dev/stdout "$root/var/log/nginx/access.log"
    ln -s /dev/stderr "$root/var/log/nginx/error.log"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
    printf 'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnginx:x:101:\nnogroup:x:65534:\n' >"$root/etc/group"
    cat >"$root/etc/nginx/nginx.conf" <<'CONF'
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
CONF
    cat >"$root/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
CONF
    printf '<!DOCTYPE html>\n<html><body><h1>compose-doctor test nginx</h1></body></html>\n' \
        >"$root/usr/share/nginx/html/index.html"
    printf '<!DOCTYPE html>\n<html><body><h1>An error occurred.</h1></body></html>\n' \
        >"$root/usr/share/nginx/html/50x.html"
    # A static busybox with only "sh", so a service can wrap nginx in "sh -c" when an example needs it.
    cp "$BUSYBOX" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
LABEL compose-doctor.test="1" compose-doctor.test.recipe="$RECIPE" \
      org.opencontainers.image.description="Debian nginx $NGINX_VERSION in a scratch image, for compose-doctor tests"
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
}

busybox_context() {
    local ctx=$1 root=$1/rootfs
    mkdir -p "$root/bin" "$root/www" "$root/tmp" "$root/etc"
    chmod 1777 "$root/tmp"
    cp "$BUSYBOX" "$root/bin/busybox"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf '<!DOCTYPE html>\n<html><body><h1>compose-doctor test upstream</h1></body></html>\n' \
        >"$root/www/index.html"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL compose-doctor.test="1" compose-doctor.test.recipe="$RECIPE" \
      org.opencontainers.image.description="static busybox in a scratch image, for compose-doctor tests"
CMD ["sh"]
DOCKERFILE
}

build_image() { # build_image IMAGE CONTEXT_FN
    local image=$1 fill=$2 ctx tmp_tag old_id
    if [ "$(image_recipe "$image")" = "$RECIPE" ]; then
        echo "up to date $image"
        return 0
    fi
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/cdt-image.XXXXXX")
    CONTEXTS+=("$ctx")
    "$fill" "$ctx"
    tmp_tag="${image%%:*}:build-$$-$RANDOM"
    log "building $image"
    if ! DOCKER_BUILDKIT=0 docker build -q --rm --force-rm -t "$tmp_tag" "$ctx" >/dev/null 2>"$ctx/build.err"; then
        cat "$ctx/build.err" >&2
        docker image rm "$tmp_tag" >/dev/null 2>&1 || true
        die "docker build of $image failed"
    fi
    rm -rf "$ctx"
    old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    docker tag "$tmp_tag" "$image"
    docker image rm "$tmp_tag" >/dev/null 2>&1 || true
    # The image this one replaces (an older recipe), unless a container still uses it.
    if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    echo "built $image"
}

install_packages
BUSYBOX=$(find_busybox) || die "no static busybox found"
[ -x "$NGINX_BIN" ] || die "$NGINX_BIN not found"
NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | sed 's|.*nginx/||')
RECIPE=$(recipe_hash)

# Serialize concurrent runs (several test binaries may call this at once).
LOCK_FILE="${TMPDIR:-/tmp}/compose-doctor-test-images.lock"
exec 9>>"$LOCK_FILE"
flock -w 600 9 || die "timed out waiting for $LOCK_FILE"

build_image "$NGINX_IMAGE" nginx_context
build_image "$BUSYBOX_IMAGE" busybox_context
