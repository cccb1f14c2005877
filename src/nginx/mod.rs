//! nginx configuration: lexer and parser with positions, includes through the container file system,
//! directive contexts, `envsubst` rendering, and the upstream targets of every `*_pass` and `upstream` block.
//!
//! - [`parse_str`]: one file's text to directives (or the first syntax error).
//! - [`load`]: a whole configuration from the container file system ([`Vfs`]), includes expanded, with every
//!   problem nginx would refuse to start on.
//! - [`targets`]: every upstream target of a loaded configuration.
//! - [`envsubst()`], [`render_template`]: what `envsubst` and the official image's entrypoint make of a file.
//! - [`crossplane_payload`]: the crossplane-style JSON of a loaded configuration.

pub mod ast;
mod context;
pub mod envsubst;
pub mod json;
pub mod lexer;
pub mod load;
pub mod parser;
pub mod targets;
pub mod url;
pub mod vfs;

pub use ast::*;
pub use envsubst::{envsubst, render_template, shell_format_names, template_variables};
pub use json::crossplane_payload;
pub use load::{load, load_host_file, load_host_file_with};
pub use parser::{Parsed, parse_partial, parse_str};
pub use targets::targets;
pub use vfs::*;
