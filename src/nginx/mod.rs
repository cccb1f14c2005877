//! nginx configuration: lexer and parser with positions, includes through the container file system,
//! directive contexts, and the upstream targets of every `*_pass` and `upstream` block.

pub mod ast;
mod context;
pub mod lexer;
pub mod load;
pub mod parser;
pub mod url;
pub mod vfs;

pub use ast::*;
pub use load::{load, load_host_file};
pub use parser::{Parsed, parse_partial, parse_str};
pub use vfs::*;
