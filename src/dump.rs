//! `compose-doctor parse`: a loaded input as JSON.
//!
//! - nginx: the crossplane-style payload of [`crate::nginx::json`], written as a stream (no JSON tree in
//!   memory: a 10 MB configuration prints in about the time it takes to parse).
//! - compose: the loaded project (the model every check sees), with every environment and build-argument
//!   value masked unless the caller shows secrets.

use crate::compose::Project;
use crate::nginx::{Config, Directive, Problem};
use crate::redact::{MASK, Redactor};
use crate::span::display_path;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Shown file names, computed once per file (not once per directive).
#[derive(Default)]
struct Names(RefCell<HashMap<*const Path, Arc<str>>>);

impl Names {
    fn get(&self, p: &Arc<Path>) -> Arc<str> {
        self.0
            .borrow_mut()
            .entry(Arc::as_ptr(p))
            .or_insert_with(|| Arc::from(display_path(p)))
            .clone()
    }
}

struct Ds<'a>(&'a [Directive], &'a Names);
struct D<'a>(&'a Directive, &'a Names);
struct Args<'a>(&'a Directive);
struct Errs<'a>(&'a [Problem], &'a str);
struct Err<'a>(&'a Problem, &'a str);

impl Serialize for Ds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for d in self.0 {
            seq.serialize_element(&D(d, self.1))?;
        }
        seq.end()
    }
}

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.args.len()))?;
        for a in self.0.args.iter() {
            seq.serialize_element(a.value.as_str())?;
        }
        seq.end()
    }
}

impl Serialize for D<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("directive", d.name.as_str())?;
        m.serialize_entry("line", &d.loc.line)?;
        m.serialize_entry("column", &d.loc.column)?;
        m.serialize_entry("args", &Args(d))?;
        m.serialize_entry("file", &*self.1.get(&d.loc.file))?;
        if let Some(b) = &d.block {
            m.serialize_entry("block", &Ds(b, self.1))?;
        }
        m.end()
    }
}

impl Serialize for Err<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut m = s.serialize_map(None)?;
        match &p.loc {
            Some(l) => {
                m.serialize_entry("file", &display_path(&l.file))?;
                m.serialize_entry("line", &l.line)?;
                m.serialize_entry("column", &l.column)?;
            }
            None => {
                m.serialize_entry("file", self.1)?;
                m.serialize_entry("line", &None::<u32>)?;
            }
        }
        m.serialize_entry("error", &p.message)?;
        m.serialize_entry("kind", &p.kind)?;
        m.end()
    }
}

impl Serialize for Errs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in self.0 {
            seq.serialize_element(&Err(p, self.1))?;
        }
        seq.end()
    }
}

struct Payload<'a>(&'a Config);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cfg = self.0;
        let entry = cfg
            .files
            .first()
            .map(|f| display_path(&f.host_path))
            .unwrap_or_else(|| cfg.entry.clone());
        let status = if cfg.problems.is_empty() {
            "ok"
        } else {
            "failed"
        };
        let names = Names::default();
        struct One<'a>(&'a Config, &'a str, &'a str, &'a Names);
        impl Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("file", self.1)?;
                m.serialize_entry("status", self.2)?;
                m.serialize_entry("errors", &Errs(&self.0.problems, self.1))?;
                m.serialize_entry("parsed", &Ds(&self.0.directives, self.3))?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("status", status)?;
        m.serialize_entry("errors", &Errs(&cfg.problems, &entry))?;
        m.serialize_entry("config", &[One(cfg, &entry, status, &names)])?;
        m.end()
    }
}

/// Writes the crossplane-style payload of `cfg` (same layout as [`crate::nginx::crossplane_payload`],
/// errors with their column too) to `out`, followed by a newline.
pub fn write_nginx_json(cfg: &Config, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Payload(cfg))?;
    out.write_all(b"\n")
}

/// The loaded project as JSON; environment and build-argument values masked unless `show_secrets`.
pub fn compose_json(
    project: &Project,
    show_secrets: bool,
    redactor: &Redactor,
) -> serde_json::Value {
    let mut v = serde_json::to_value(project).unwrap_or(serde_json::Value::Null);
    if show_secrets {
        return v;
    }
    if let Some(services) = v.get_mut("services").and_then(|s| s.as_object_mut()) {
        for svc in services.values_mut() {
            if let Some(env) = svc.get_mut("environment").and_then(|e| e.as_object_mut()) {
                for var in env.values_mut() {
                    if let Some(val) = var.get_mut("value")
                        && val.is_string()
                    {
                        *val = serde_json::Value::String(MASK.into());
                    }
                }
            }
            if let Some(args) = svc
                .get_mut("build")
                .and_then(|b| b.get_mut("args"))
                .and_then(|a| a.as_object_mut())
            {
                for val in args.values_mut() {
                    if val.is_string() {
                        *val = serde_json::Value::String(MASK.into());
                    }
                }
            }
        }
    }
    // values interpolated elsewhere (a password in `command:`): the text filter
    match serde_json::to_string(&v) {
        Ok(s) if !redactor.is_empty() => serde_json::from_str(&redactor.apply(&s)).unwrap_or(v),
        _ => v,
    }
}
