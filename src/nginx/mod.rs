//! nginx configuration: lexer and parser with positions, includes through the container file system,
//! directive contexts, and the upstream targets of every `*_pass` and `upstream` block.

pub mod ast;
pub mod vfs;

pub use ast::*;
pub use vfs::*;
