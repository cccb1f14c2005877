//! Reports: the human table and snippets, and the JSON schema.

pub mod json;
pub mod text;
