//! compose-doctor: finds why nginx in Docker Compose answers 502 Bad Gateway, before and after it happens.
//!
//! Data flows one way: the loaders (`compose`, `nginx`, `discover`) fill one model of facts (`model::Facts`),
//! the checks (`checks`) turn facts into findings without any I/O, and `report` renders them.

pub mod checks;
pub mod compose;
pub mod discover;
pub mod error;
pub mod live;
pub mod model;
pub mod nginx;
pub mod probe;
pub mod report;
pub mod span;

use model::Facts;

/// Loads the compose project and the configuration of every nginx service in it.
pub fn load_facts(opts: &compose::LoadOptions) -> error::Result<Facts> {
    let project = compose::load(opts)?;
    let proxies = discover::discover(&project);
    let images = discover::image_infos(&project);
    Ok(Facts {
        project,
        proxies,
        images,
        live: None,
    })
}
