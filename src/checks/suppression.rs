//! Rules about suppressions themselves. These findings are made by the policy layer (`crate::policy`), not by
//! a check over the facts; they live here so that `explain`, `rules`, SARIF and the README document them.

use super::{Rule, Severity};

pub static WITHOUT_REASON: Rule = Rule {
    code: "CD901",
    name: "suppression-without-reason",
    category: "suppression",
    severity: Severity::Warning,
    summary: "A suppression gives no reason",
    doc: "## What it checks
Every suppression: an `ignore[...]` comment in an nginx or compose file, an `ignore` entry of an
`x-compose-doctor` extension, an `[[ignore]]` entry of `.compose-doctor.toml`. Each must say why the finding
does not apply. The suppression still works; this warning asks for the reason.

## Why it breaks
It does not break nginx. But a silenced finding without a reason is a 502 waiting for the next person who
changes the setup: nobody can tell whether the exception still holds.

## Example
```nginx
# compose-doctor: ignore[CD106]
proxy_pass http://app:80;
```

## Fix
Write the reason after the bracket: `# compose-doctor: ignore[CD106] app listens on 80 via its entrypoint`,
or `reason = \"...\"` in `.compose-doctor.toml`, `reason:` in `x-compose-doctor`.",
};

pub static UNUSED: Rule = Rule {
    code: "CD902",
    name: "unused-suppression",
    category: "suppression",
    severity: Severity::Info,
    summary: "A suppression matches no finding (reported with -v)",
    doc: "## What it checks
With `-v`, every suppression that silenced nothing in this run: the code it names is not found there (any
more), or its scope (line, service, file glob) covers no finding.

## Why it breaks
It does not break nginx. A stale suppression hides the next real finding of that code on that line or
service, so the next broken route goes unnoticed.

## Example
```nginx
# compose-doctor: ignore[CD106] legacy port, fixed in March
proxy_pass http://app:8080;   # the port is right now
```

## Fix
Remove the suppression, or narrow it to the code that still applies.",
};

pub static INVALID: Rule = Rule {
    code: "CD903",
    name: "invalid-suppression",
    category: "suppression",
    severity: Severity::Warning,
    summary: "A suppression names no known rule or cannot be read",
    doc: "## What it checks
The text of every `compose-doctor: ignore[...]` comment and `x-compose-doctor` extension: the codes or names
inside the brackets must be rules `compose-doctor rules` lists, and the comment must have the form
`# compose-doctor: ignore[CODE,...] reason`.

## Why it breaks
It does not break nginx, but a suppression with a typo silences nothing, so the finding it was meant for
still fails the build, or a reader believes a finding is handled when it is not.

## Example
```nginx
proxy_pass http://app:80;  # compose-doctor: ignore[CD1O6] the letter O instead of a zero
```

## Fix
Use a code or name from `compose-doctor rules`, separated by commas: `ignore[CD106, no-resolver]`.",
};
