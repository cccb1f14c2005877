//! What really runs, as the Docker API (and the containers' network namespaces) show it. Filled by `docker`,
//! read by the checks; every field that could not be read is `None` (unknown), never a guess.

use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveFacts {
    /// The engine answering (`docker version`).
    pub engine: Engine,
    /// The project's containers (by the compose labels), one-off containers excluded.
    pub containers: Vec<LiveContainer>,
    /// Networks any of those containers is attached to, plus the project's declared networks that exist.
    pub networks: Vec<LiveNetwork>,
    /// What could not be read, in a sentence each (permission on /proc, a container removed between list and
    /// inspect, a log stream that timed out...). Non-empty means the live picture is partial.
    pub incomplete: Vec<String>,
    /// Which compose naming the containers use: `v1` (`proj_svc_1`) or `v2` (`proj-svc-1`).
    pub compose_naming: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Engine {
    pub version: String,
    pub api_version: String,
    /// The API version negotiated for this session.
    pub negotiated_api: String,
    pub os: String,
    /// How we reached it: `unix:///var/run/docker.sock`, `tcp://...`, with the context name if any.
    pub endpoint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveContainer {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    /// `com.docker.compose.service`.
    pub service: String,
    /// `com.docker.compose.container-number`.
    pub number: Option<u32>,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    pub state: String,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    pub restart_count: u64,
    /// Docker's `State.Error` (e.g. a mount that could not be made).
    pub error: Option<String>,
    pub health: Option<Health>,
    /// RFC 3339 as Docker gives it, and as Unix seconds (with fractions) for comparisons.
    pub started_at: Option<String>,
    pub started_at_unix: Option<f64>,
    pub finished_at: Option<String>,
    pub finished_at_unix: Option<f64>,
    pub image: String,
    /// `ExposedPorts` of the container's config (image `EXPOSE` plus compose `expose`), TCP ports only.
    pub exposed_ports: Vec<u16>,
    pub network_mode: String,
    pub networks: Vec<Endpoint>,
    /// `HostConfig.Memory` in bytes, when limited.
    pub memory_limit: Option<u64>,
    /// The host PID of the container's main process (0 or None when not running).
    pub pid: Option<u32>,
    /// TCP sockets in LISTEN state in the container's network namespace; `None` when they could not be read
    /// (or the container has no process). Docker's embedded DNS listener on 127.0.0.11 is left out, and an
    /// IPv4-mapped IPv6 address is given as IPv4; `::` usually means every IPv4 address too (dual stack).
    pub listening: Option<Vec<Listener>>,
    /// `proc` (read from /proc/PID/net/tcp on the host) or `exec` (read inside the container).
    pub listening_source: Option<String>,
    /// For nginx containers: what the container really has and what nginx said.
    pub nginx: Option<NginxLive>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `starting`, `healthy`, `unhealthy`.
    pub status: String,
    pub failing_streak: u64,
    /// The last probe's output, cut to a few hundred characters.
    pub last_output: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// The Docker network name (`proj_default`).
    pub network: String,
    pub network_id: String,
    /// Aliases on this network (compose v1 adds the service name and the short id; v2 the service and
    /// container name).
    pub aliases: Vec<String>,
    /// Names Docker's embedded DNS answers for this container on this network (`DNSNames` on API >= 1.44;
    /// else container name + aliases + compose service name; none on the predefined `bridge`, `host` and
    /// `none` networks).
    pub dns_names: Vec<String>,
    pub ipv4: Option<IpAddr>,
    pub ipv6: Option<IpAddr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveNetwork {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub internal: bool,
    /// `com.docker.compose.project` label, when the network belongs to a compose project.
    pub project: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub addr: IpAddr,
    pub port: u16,
}

impl Listener {
    pub fn is_loopback(&self) -> bool {
        self.addr.is_loopback()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NginxLive {
    /// Files under the config directory read from the container (archive API): container path and text.
    /// `None` when they could not be read.
    pub files: Option<Vec<(String, String)>>,
    /// nginx's error log lines from the container's output since it started, parsed.
    pub errors: Vec<ErrorLogEntry>,
    /// True when the log could be read (even if empty).
    pub log_read: bool,
    /// The last `[emerg]` line of the log when the container is not running: why nginx exited (or never
    /// started).
    pub fatal: Option<ErrorLogEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorLogEntry {
    /// As nginx writes it: `2026/11/21 06:01:02`.
    pub time: String,
    /// `emerg`, `alert`, `crit`, `error`, `warn`, `notice`, `info`.
    pub level: String,
    /// One of the categories of the JSON schema, when the message maps to one (`connect() failed (111:
    /// Connection refused)` → `wrong-port`/`upstream-down` is decided by the checks; here the raw kind).
    pub kind: ErrorKind,
    /// The message without the `upstream: ...` context.
    pub message: String,
    /// `upstream: "http://172.20.0.3:8080/"` as nginx logged it: the address nginx really used.
    pub upstream: Option<String>,
    /// The host in `host not found in upstream "app:8080"` or `app could not be resolved`: the name only,
    /// without a port (nginx 1.22 logs `host not found in upstream "app"` for `proxy_pass http://app:8080`).
    pub host: Option<String>,
    /// How many identical (kind, upstream, host) lines were folded into this one.
    pub count: u64,
    /// When the last of the folded lines was written (`None` when `count` is 1 or the lines carry no time).
    pub last_time: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// `connect() failed (111: Connection refused)`
    ConnectionRefused,
    /// `connect() failed (113: No route to host)` / `(110: Connection timed out)` while connecting
    NoRoute,
    /// `upstream timed out (110: Connection timed out) while reading response header`
    Timeout,
    /// `no live upstreams while connecting to upstream`
    NoLiveUpstreams,
    /// `host not found in upstream "x"` (at start: nginx exits)
    HostNotFound,
    /// `no resolver defined to resolve x`
    NoResolver,
    /// `x could not be resolved (3: Host not found)` / `(110: Operation timed out)`
    CouldNotResolve,
    /// `upstream sent invalid header`, `upstream sent no valid HTTP/1.0 header`
    InvalidHeader,
    /// `upstream sent unsupported FastCGI protocol version`
    FastcgiProtocol,
    /// `SSL_do_handshake() failed`
    TlsHandshake,
    /// `upstream prematurely closed connection`
    PrematureClose,
    /// `[emerg]` at start for another reason (a directive not allowed, a missing file ...)
    Emerg,
    Other,
}

impl LiveFacts {
    /// The running-or-not containers of a service (scaled services have several).
    pub fn containers_of<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a LiveContainer> + 'a {
        self.containers.iter().filter(move |c| c.service == service)
    }
}

impl LiveContainer {
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// What a probe saw for one target, trying it the way nginx would from nginx's own network namespace.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    /// `setns` (from inside the proxy container's network namespace), `host` (from the host to the
    /// container's address on a shared network), or `exec` (getent/nc inside the proxy container).
    pub how: String,
    /// What was probed, as `host:port` (or `unix:/path`).
    pub target: String,
    /// The name lookup, when the target has a name (Docker's embedded DNS at 127.0.0.11 for setns/exec).
    pub dns: Option<DnsResult>,
    /// One connection attempt per resolved address (or the literal address).
    pub connect: Vec<ConnectResult>,
    /// The protocol exchange on the first connection that succeeded.
    pub handshake: Option<HandshakeResult>,
    /// Why something was not tried (no running proxy, no PID, a unix socket not reachable, ...).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsResult {
    pub name: String,
    /// The server asked (`127.0.0.11:53`).
    pub server: String,
    pub addrs: Vec<IpAddr>,
    /// Why no address came back, one word: `NXDOMAIN`; `NODATA` (the server answered without a record: what
    /// Docker's DNS says for a name it does not know when it cannot forward); `SERVFAIL`; `REFUSED`; `timeout`;
    /// `not-found` (not in `/etc/hosts` nor the live facts); `no-docker-dns` (the proxy's resolv.conf does not
    /// name 127.0.0.11, and the probe asks no other server); `error` (see the probe's note).
    pub error: Option<String>,
    pub millis: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectResult {
    /// The address (`0.0.0.0` with port 0 for a unix socket: see `unix_path`).
    pub addr: IpAddr,
    pub port: u16,
    /// The socket path inside the proxy container, for `unix:` targets.
    pub unix_path: Option<String>,
    pub outcome: ConnectOutcome,
    pub millis: f64,
    /// How long the probe waited at most: nginx's connect timeout, capped by `--probe-timeout`.
    pub timeout_millis: u64,
    /// The cap was shorter than nginx's timeout: a `timeout` here means "slower than the cap".
    pub capped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum ConnectOutcome {
    Connected,
    /// RST: nothing listens (nginx: `111: Connection refused`).
    Refused,
    /// No answer within the connect timeout (nginx: `110: Connection timed out`).
    Timeout,
    /// `113: No route to host`, `101: Network is unreachable`.
    Unreachable,
    Error(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct HandshakeResult {
    /// `http`, `tls`, `fastcgi`, `h2` (gRPC), `uwsgi`, `scgi`, `memcached`, `tcp` (stream: connect only).
    pub protocol: String,
    pub outcome: HandshakeOutcome,
    /// What came back, in a few words (`HTTP/1.1 200 OK`, `TLS alert`, `16 bytes of binary`).
    pub detail: String,
    /// The HTTP status, when one came back.
    pub status: Option<u16>,
    pub millis: f64,
    /// What was sent, in a few words (`GET / HTTP/1.1, Host: app:8080`, `TLS ClientHello, SNI app`).
    pub request: String,
    /// How long the probe waited for the answer at most: nginx's read timeout (the connect timeout for a TLS
    /// handshake, as nginx uses), capped by `--probe-timeout`.
    pub timeout_millis: u64,
    /// The cap was shorter than nginx's timeout: a `timeout` here means "slower than the cap", not proof of a 504.
    pub capped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandshakeOutcome {
    /// The upstream answered in the expected protocol.
    Ok,
    /// No complete answer within the read timeout nginx would use (nginx: 504).
    Timeout,
    /// Closed without an answer (nginx: `upstream prematurely closed connection`).
    Closed,
    /// Bytes that are not the expected protocol (nginx: `invalid header`, HTTP/0.9 relay).
    Invalid,
    /// A TLS handshake was expected and plain HTTP answered (nginx: `SSL_do_handshake() failed`).
    PlainHttpOnTls,
    /// Plain HTTP was sent and the port speaks TLS (answers 400 or a TLS alert).
    TlsOnPlain,
    /// FastCGI/uwsgi/h2 expected and HTTP/1 answered, or the reverse.
    WrongProtocol,
}
