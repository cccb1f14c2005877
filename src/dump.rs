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
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// A JSON writer for the nginx tree: most strings of a configuration need no escaping, so they are copied
/// as they are after one scan (serde_json escapes byte by byte: half the time of `parse nginx` went there).
struct Out<'w, W: Write> {
    w: &'w mut W,
    /// Written to `w` in 64 KiB pieces (cheaper than many small writes into a `BufWriter`).
    buf: Vec<u8>,
    /// The file of the previous directive and its name as a JSON string (quotes included): files change
    /// rarely from one directive to the next.
    file: Option<(*const Path, Vec<u8>)>,
    names: HashMap<*const Path, Vec<u8>>,
}

/// Bytes a JSON string can hold as they are.
const PLAIN: [bool; 256] = {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = false;
        i += 1;
    }
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t[0x7f] = false;
    t
};

fn plain(s: &str) -> bool {
    s.bytes().all(|b| PLAIN[b as usize])
}

fn json_str(s: &str) -> Vec<u8> {
    if plain(s) {
        let mut v = Vec::with_capacity(s.len() + 2);
        v.push(b'"');
        v.extend_from_slice(s.as_bytes());
        v.push(b'"');
        v
    } else {
        serde_json::to_vec(s).unwrap_or_else(|_| b"\"\"".to_vec())
    }
}

impl<W: Write> Out<'_, W> {
    fn raw(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(b);
        Ok(())
    }

    fn flush_some(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn str(&mut self, s: &str) -> std::io::Result<()> {
        if plain(s) {
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'"');
            Ok(())
        } else {
            serde_json::to_writer(&mut self.buf, s).map_err(std::io::Error::other)
        }
    }

    fn num(&mut self, n: u32) -> std::io::Result<()> {
        let mut buf = [0u8; 10];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&buf[i..]);
        Ok(())
    }

    fn file(&mut self, p: &Arc<Path>) -> std::io::Result<()> {
        let key = Arc::as_ptr(p);
        if self
            .file
            .as_ref()
            .is_none_or(|(k, _)| !std::ptr::addr_eq(*k, key))
        {
            let name = self
                .names
                .entry(key)
                .or_insert_with(|| json_str(&display_path(p)))
                .clone();
            self.file = Some((key, name));
        }
        let (_, name) = self.file.as_ref().expect("set above");
        self.buf.extend_from_slice(name);
        Ok(())
    }

    fn directives(&mut self, ds: &[Directive]) -> std::io::Result<()> {
        self.raw(b"[")?;
        for (i, d) in ds.iter().enumerate() {
            if i > 0 {
                self.raw(b",")?;
            }
            self.raw(b"{\"directive\":")?;
            self.str(&d.name)?;
            self.raw(b",\"line\":")?;
            self.num(d.loc.line)?;
            self.raw(b",\"column\":")?;
            self.num(d.loc.column)?;
            self.raw(b",\"args\":[")?;
            for (j, a) in d.args.iter().enumerate() {
                if j > 0 {
                    self.raw(b",")?;
                }
                self.str(&a.value)?;
            }
            self.raw(b"],\"file\":")?;
            self.file(&d.loc.file)?;
            if let Some(b) = &d.block {
                self.raw(b",\"block\":")?;
                self.directives(b)?;
            }
            self.raw(b"}")?;
            self.flush_some()?;
        }
        self.raw(b"]")
    }

    fn errors(&mut self, ps: &[Problem], entry: &str) -> std::io::Result<()> {
        let mut v = Vec::new();
        for p in ps {
            let mut m = serde_json::Map::new();
            match &p.loc {
                Some(l) => {
                    m.insert("file".into(), display_path(&l.file).into());
                    m.insert("line".into(), l.line.into());
                    m.insert("column".into(), l.column.into());
                }
                None => {
                    m.insert("file".into(), entry.into());
                    m.insert("line".into(), serde_json::Value::Null);
                }
            }
            m.insert("error".into(), p.message.clone().into());
            m.insert(
                "kind".into(),
                serde_json::to_value(p.kind).unwrap_or(serde_json::Value::Null),
            );
            v.push(serde_json::Value::Object(m));
        }
        serde_json::to_writer(&mut self.buf, &v).map_err(std::io::Error::other)
    }
}

/// Writes the crossplane-style payload of `cfg` (same layout as [`crate::nginx::crossplane_payload`],
/// errors with their column too) to `out`, followed by a newline.
pub fn write_nginx_json(cfg: &Config, out: &mut impl Write) -> std::io::Result<()> {
    let entry = cfg
        .files
        .first()
        .map(|f| display_path(&f.host_path))
        .unwrap_or_else(|| cfg.entry.clone());
    let status: &[u8] = if cfg.problems.is_empty() {
        b"\"ok\""
    } else {
        b"\"failed\""
    };
    let mut o = Out {
        w: out,
        buf: Vec::with_capacity(1 << 17),
        file: None,
        names: HashMap::new(),
    };
    o.raw(b"{\"status\":")?;
    o.raw(status)?;
    o.raw(b",\"errors\":")?;
    o.errors(&cfg.problems, &entry)?;
    o.raw(b",\"config\":[{\"file\":")?;
    o.str(&entry)?;
    o.raw(b",\"status\":")?;
    o.raw(status)?;
    o.raw(b",\"errors\":")?;
    o.errors(&cfg.problems, &entry)?;
    o.raw(b",\"parsed\":")?;
    o.directives(&cfg.directives)?;
    o.raw(b"}]}\n")?;
    o.w.write_all(&o.buf)
}

/// The loaded project as JSON; environment and build-argument values masked unless `show_secrets`.
pub fn compose_json(project: &Project, show_secrets: bool) -> serde_json::Value {
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
    v
}

/// [`compose_json`] as pretty-printed text, with the redactor also applied to the text (values
/// interpolated elsewhere, such as a password in `command:`).
pub fn compose_json_text(project: &Project, show_secrets: bool, redactor: &Redactor) -> String {
    let v = compose_json(project, show_secrets);
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    match redactor.apply(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(t) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{Layer, Vfs, crossplane_payload, load};

    /// The hand-written writer says the same as the serde_json payload (plus the errors' columns).
    #[test]
    fn same_json_as_the_payload() {
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "/x/nginx.conf",
            "events {}\nhttp {\n  include a.conf;\n  log_format m '\"q\" \\\\ \\t tab é';\n  server { listen 80; }\n}\n",
            Layer::Image,
            None,
        );
        v.add_inline(
            "/etc/nginx/a.conf",
            "/x/a \"q\".conf",
            "map $a $b { default 1; }",
            Layer::Image,
            None,
        );
        let cfg = load(&v, "/etc/nginx/nginx.conf");
        let mut out = Vec::new();
        write_nginx_json(&cfg, &mut out).unwrap();
        let ours: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            ours["config"][0]["parsed"],
            crossplane_payload(&cfg)["config"][0]["parsed"]
        );
        assert_eq!(ours["status"], "ok");
    }
}
