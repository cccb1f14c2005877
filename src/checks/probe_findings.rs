//! Findings from the probe (`--probe`): what happened when the target was tried the way nginx tries it, from
//! nginx's own network namespace. These are observations, so they outrank what the files suggest.

use super::{Finding, RouteCtx, Rule, Severity};
use crate::live::{ConnectOutcome, HandshakeOutcome, ProbeResult};

pub static DNS: Rule = Rule {
    code: "CD401",
    name: "probe-dns",
    category: "unknown-host",
    severity: Severity::Error,
    summary: "Docker's DNS, asked from inside the proxy, does not answer the name as the files say it should",
    doc: "## What it checks
With `--probe`: the target's name is looked up through Docker's embedded DNS server (127.0.0.11) from inside
the proxy container's network namespace, as nginx does. It reports a name that does not resolve there, and a
name that resolves to addresses none of which belongs to the service the files name (a stale alias, a
container of another project on a shared external network taking the name).

## Why it breaks
nginx connects to whatever the name resolves to: nothing (it refuses to start, or 502 with a resolver), or the
wrong container (wrong answers, 404s or 502s that look random).

## Example
```text
dns app -> 172.30.0.9 (a container of another project on network `shared`), app is 172.20.0.3
```

## Fix
Give the upstream a name that is unique on the networks the proxy shares (a network alias, or a
`container_name`), or move the other project's container off the shared network.",
};

pub static UNREACHABLE: Rule = Rule {
    code: "CD407",
    name: "probe-unreachable",
    category: "upstream-down",
    severity: Severity::Error,
    summary: "The probe could not reach the target's address (no route, connect timeout)",
    doc: "## What it checks
With `--probe`: a TCP connection to every address the target resolves to, from the proxy's network namespace,
within the connect timeout nginx would use (`proxy_connect_timeout`, 60 s by default, capped by
`--probe-timeout`).

## Why it breaks
The address is gone or filtered: nginx logs `113: No route to host` or `110: Connection timed out` while
connecting and answers 502 (or 504 after the connect timeout). A stopped container, a stale address, or no
shared network.

## Example
```text
connect 172.20.0.3:8080: unreachable (no route to host)
```

## Fix
Start the upstream, reload nginx if the upstream was recreated, or put both on a shared network.",
};

pub static CONNECT: Rule = Rule {
    code: "CD402",
    name: "probe-refused",
    category: "wrong-port",
    severity: Severity::Error,
    summary: "The probe's connection to the target was refused: nothing listens on that port",
    doc: "## What it checks
With `--probe`: a TCP connection to every address the target resolves to, from the proxy's network namespace,
within the connect timeout nginx would use (`proxy_connect_timeout`, 60 s by default, capped by
`--probe-timeout`).

## Why it breaks
This is the connection nginx makes: refused means the address is there but nothing listens on that port
(`111: Connection refused`), and nginx answers 502.

## Example
```text
connect 172.20.0.3:9090: refused (0.2 ms)
```

## Fix
Use the port the upstream listens on, start the upstream, or put both on a shared network.",
};

pub static TIMEOUT: Rule = Rule {
    code: "CD403",
    name: "probe-timeout",
    category: "timeout",
    severity: Severity::Error,
    summary: "The upstream accepted the connection but did not answer within nginx's read timeout",
    doc: "## What it checks
With `--probe`: after connecting, a request in the directive's protocol, and the time until the answer,
against the read timeout in effect for that location (`proxy_read_timeout`, `fastcgi_read_timeout`, ...; 60 s
by default; capped by `--probe-timeout`).

## Why it breaks
nginx gives up after the read timeout and answers 504 Gateway Timeout.

## Example
```nginx
proxy_read_timeout 3s;   # the upstream answers after 30 s
```

## Fix
Make the upstream faster, or raise the read timeout for that location.",
};

pub static INVALID: Rule = Rule {
    code: "CD404",
    name: "probe-invalid-response",
    category: "invalid-response",
    severity: Severity::Error,
    summary: "The upstream answered the probe with something that is not the expected protocol, or nothing",
    doc: "## What it checks
With `--probe`: the first bytes the upstream sends back to a request in the directive's protocol.

## Why it breaks
Bytes that are not an HTTP status line (a database or a raw TCP service on that port), or a connection closed
without an answer: nginx logs `upstream sent no valid HTTP/1.0 header` or `upstream prematurely closed
connection` and answers 502, or relays garbage as HTTP/0.9.

## Example
```text
http app:8080: 16 bytes of binary, no status line
```

## Fix
Point nginx at the port that speaks the protocol of the directive.",
};

pub static TLS: Rule = Rule {
    code: "CD405",
    name: "probe-tls-mismatch",
    category: "tls-mismatch",
    severity: Severity::Error,
    summary: "The probe found plain HTTP where the directive speaks TLS, or TLS where it speaks plain HTTP",
    doc: "## What it checks
With `--probe`: a TLS ClientHello to `https://`/`grpcs://` targets, and plain HTTP to `http://` targets,
classified by the first bytes of the answer.

## Why it breaks
TLS to a plain port: `SSL_do_handshake() failed (... wrong version number)`, 502. Plain HTTP to a TLS port: the
upstream answers `400 The plain HTTP request was sent to HTTPS port`, which nginx passes on.

## Example
```nginx
proxy_pass https://app:8080;   # app speaks plain HTTP
```

## Fix
Match the scheme to what the port speaks.",
};

pub static PROTOCOL: Rule = Rule {
    code: "CD406",
    name: "probe-protocol-mismatch",
    category: "protocol-mismatch",
    severity: Severity::Error,
    summary: "The probe found the upstream speaking another protocol than the directive (FastCGI, uwsgi, gRPC, HTTP)",
    doc: "## What it checks
With `--probe`: a FastCGI `FCGI_GET_VALUES` for `fastcgi_pass`, the HTTP/2 preface for `grpc_pass`, a uwsgi
packet for `uwsgi_pass`, an HTTP request for `proxy_pass`; an answer in another protocol (typically HTTP/1 to
a FastCGI or HTTP/2 request) is reported.

## Why it breaks
nginx cannot read the answer: `upstream sent unsupported FastCGI protocol version: 72`, `upstream sent invalid
header`; 502.

## Example
```nginx
fastcgi_pass app:8080;   # app is an HTTP server
```

## Fix
Use the directive for the upstream's protocol, or point it at an upstream that speaks it.",
};

fn first_ok(p: &ProbeResult) -> bool {
    p.connect
        .iter()
        .any(|c| c.outcome == ConnectOutcome::Connected)
}

/// Whether the probe proved the route works end to end.
pub fn proved_ok(p: &ProbeResult) -> bool {
    first_ok(p)
        && p.handshake
            .as_ref()
            .is_some_and(|h| h.outcome == HandshakeOutcome::Ok)
}

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Some(p) = rc.probe() else { return };
    let loc = Some(rc.target.loc.clone());
    let how = format!(" (probe via {})", p.how);
    if let Some(d) = &p.dns {
        if let Some(err) = &d.error {
            out.push(
                Finding::new(&DNS, format!("`{}` does not resolve through {}: {err}{how}", d.name, d.server), "use a name Docker's DNS answers on a network the proxy shares (service name, alias, container_name)")
                    .at(loc),
            );
            return;
        }
        // the addresses the name should have: the containers of the service the files name
        if let (Some(live), Some(service)) = (&rc.ctx.facts.live, rc.service_name()) {
            let expected: Vec<std::net::IpAddr> = live
                .containers_of(service)
                .flat_map(|c| {
                    c.networks
                        .iter()
                        .flat_map(|n| n.ipv4.into_iter().chain(n.ipv6))
                })
                .collect();
            if !expected.is_empty()
                && !d.addrs.is_empty()
                && !d.addrs.iter().any(|a| expected.contains(a))
            {
                let got: Vec<String> = d.addrs.iter().map(|a| a.to_string()).collect();
                let want: Vec<String> = expected.iter().map(|a| a.to_string()).collect();
                out.push(
                    Finding::new(
                        &DNS,
                        format!("`{}` resolves to {} from inside the proxy, but `{service}` has {}{how}", d.name, got.join(", "), want.join(", ")),
                        "another container answers to this name on a network the proxy shares: give the upstream a unique alias",
                    )
                    .at(loc.clone()),
                );
            }
        }
    }
    if p.connect.is_empty() {
        return;
    }
    if !first_ok(p) {
        let c = &p.connect[0];
        let what = match &c.outcome {
            ConnectOutcome::Refused => "refused: nothing listens there".to_string(),
            ConnectOutcome::Timeout => "timed out".to_string(),
            ConnectOutcome::Unreachable => "unreachable (no route to host)".to_string(),
            ConnectOutcome::Error(e) => e.clone(),
            ConnectOutcome::Connected => unreachable!(),
        };
        if c.outcome == ConnectOutcome::Timeout && c.capped {
            out.push(
                Finding::new(
                    &UNREACHABLE,
                    format!("connecting to {}:{} took longer than the probe's cap of {} ms (nginx waits longer){how}", c.addr, c.port, c.timeout_millis),
                    "run again with a larger --probe-timeout",
                )
                .severity(Severity::Warning)
                .at(loc),
            );
            return;
        }
        let (rule, help) = if c.outcome == ConnectOutcome::Refused {
            (
                &CONNECT,
                "use the port the upstream listens on (`compose-doctor -v` lists what it listens on)",
            )
        } else {
            (
                &UNREACHABLE,
                "start the upstream, reload nginx if it was recreated, or put both on a shared network",
            )
        };
        out.push(
            Finding::new(
                rule,
                format!("connecting to {}:{} {what}{how}", c.addr, c.port),
                help,
            )
            .at(loc),
        );
        return;
    }
    let Some(h) = &p.handshake else { return };
    // a timeout under the probe's cap, shorter than nginx's own timeout, is no proof of a 504
    if h.outcome == HandshakeOutcome::Timeout && h.capped {
        out.push(
            Finding::new(
                &TIMEOUT,
                format!(
                    "{} to {}: no answer within the probe's cap of {} ms (nginx waits longer){how}",
                    h.protocol,
                    rc.host_text(),
                    h.timeout_millis
                ),
                "run again with a larger --probe-timeout to see whether it answers before nginx's read timeout",
            )
            .severity(Severity::Warning)
            .at(loc),
        );
        return;
    }
    let (rule, help) = match h.outcome {
        HandshakeOutcome::Ok => return,
        HandshakeOutcome::Timeout => (
            &TIMEOUT,
            "make the upstream answer faster, or raise the read timeout of this location",
        ),
        HandshakeOutcome::Closed | HandshakeOutcome::Invalid => (
            &INVALID,
            "point nginx at the port that speaks this directive's protocol",
        ),
        HandshakeOutcome::PlainHttpOnTls | HandshakeOutcome::TlsOnPlain => (
            &TLS,
            "match the scheme to what the port speaks (`http://` or `https://`)",
        ),
        HandshakeOutcome::WrongProtocol => {
            (&PROTOCOL, "use the directive of the upstream's protocol")
        }
    };
    out.push(
        Finding::new(
            rule,
            format!(
                "{} to {}: {} after {:.0} ms{how}",
                h.protocol,
                rc.host_text(),
                h.detail,
                h.millis
            ),
            help,
        )
        .at(loc),
    );
}
