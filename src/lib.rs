//! compose-doctor: finds why nginx in Docker Compose answers 502 Bad Gateway, before and after it happens.

pub mod compose;
pub mod error;
pub mod nginx;
pub mod span;
