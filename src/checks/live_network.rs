use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD311",
    name: "live-no-shared-network",
    category: "no-shared-network",
    severity: Severity::Error,
    summary: "The running proxy and upstream containers share no network, whatever the files say",
    doc: "## What it checks
Live mode: the networks the running proxy container and the running upstream container are really attached
to. The files may say they share one while the containers do not: a container started before the network was
added to the file, a `docker network disconnect`, a network recreated under the same name (containers keep the
old one's id).

## Why it breaks
Docker's embedded DNS answers the name only on a shared network; nginx cannot resolve it at start (it exits),
or with a resolver gets no answer (502).

## Example
```text
proxy: p_front      app: p_back
```

## Fix
Recreate the containers so they join the networks the files declare: `docker compose up -d --force-recreate`
(or `docker network connect p_front <app container>` for a quick test).",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service { shared, .. } = &rc.resolved else {
        return;
    };
    // the files already say they share nothing: that finding names the line to change
    if shared.is_empty() || rc.target_is_guest().is_some() {
        return;
    }
    let Some((p, ups)) = rc.running_pair() else {
        return;
    };
    if p.network_mode.starts_with("container:") || p.network_mode == "host" {
        return;
    }
    let pn: Vec<&str> = p.networks.iter().map(|n| n.network_id.as_str()).collect();
    if ups.iter().any(|u| {
        u.network_mode.starts_with("container:")
            || u.networks
                .iter()
                .any(|n| pn.contains(&n.network_id.as_str()))
    }) {
        return;
    }
    let names = |c: &crate::live::LiveContainer| {
        c.networks
            .iter()
            .map(|n| n.network.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push(
        Finding::new(
            &RULE,
            format!(
                "the running `{}` (networks: {}) and `{}` (networks: {}) share no network, though the files say they do",
                p.name,
                names(p),
                ups[0].name,
                names(ups[0])
            ),
            "recreate the containers so they join the declared networks: `docker compose up -d --force-recreate`",
        )
        .at(Some(rc.target.loc.clone())),
    );
}
