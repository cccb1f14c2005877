use super::{Finding, Rule, Severity};
use crate::model::{DeliveryKind, Proxy};

pub static RULE: Rule = Rule {
    code: "CD206",
    name: "envsubst-wipes-variables",
    category: "config-error",
    severity: Severity::Warning,
    summary: "`envsubst` without a variable list blanks nginx's own `$variables`",
    doc: "## What it checks
A command such as `envsubst < /tmp/nginx.conf > /etc/nginx/conf.d/default.conf` replaces *every* `$name` in the
file, and names not in the environment become empty strings: nginx's `$host`, `$remote_addr`, `$uri`...

## Why it breaks
`proxy_set_header Host $host;` becomes `proxy_set_header Host ;` and nginx refuses to start (`invalid number of
arguments`): reported as an error when a blanked variable is a whole argument. Otherwise headers and URLs
silently lose their values and the upstream answers wrongly (a warning).

## Example
```yaml
command: /bin/sh -c \"envsubst < /tmp/nginx.conf > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'\"
```

## Fix
List the variables to replace: `envsubst '$BACKEND_HOST $BACKEND_PORT' < in > out`, or use the official image's
`/etc/nginx/templates/*.template`, which replaces only variables that are set.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    for p in &proxy.delivery_problems {
        if p.kind == DeliveryKind::EnvsubstWipesVariables {
            let f = Finding::new(&RULE, p.message.clone(), p.help.clone()).at(p.loc.clone());
            out.push(if p.fatal {
                f.severity(Severity::Error)
            } else {
                f
            });
        }
    }
}
