# compose-doctor as a static binary in an empty image.
#
#   docker build -t compose-doctor --build-arg GIT_REV="$(git rev-parse --short HEAD)" .
#   docker run --rm -v "$PWD:/project:ro" -w /project compose-doctor                # static check
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock:ro \
#       -v "$PWD:/project:ro" -w /project compose-doctor                            # with the Docker API
#
# The project is mounted at the same relative layout it has on the host, so the paths in the report
# (and in SARIF) are the ones of your checkout.

FROM rust:1-alpine AS build
# musl-dev: the C runtime the static link needs (alpine's Rust targets musl and links statically by default)
RUN apk add --no-cache musl-dev
# the revision `--version` shows (the build context has no .git)
ARG GIT_REV=unknown
ENV COMPOSE_DOCTOR_GIT_REV=$GIT_REV
WORKDIR /src
# dependencies first, so that a source change does not rebuild them
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY . .
# the dummy build left newer artefacts of the crate itself: make sure the real sources are compiled
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && cp target/release/compose-doctor /compose-doctor \
    && /compose-doctor --version

FROM scratch
COPY --from=build /compose-doctor /compose-doctor
# messages and reports only: no shell, no libc, no certificates needed (the Docker API is a unix socket)
WORKDIR /project
ENTRYPOINT ["/compose-doctor"]
