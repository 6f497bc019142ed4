//! The explorer's view of a `docker save` archive: the checker's one reader
//! ([`checker::docker::save`], every form engines write), each layer listed.

use checker::docker::save;

#[cfg(test)]
pub use save::{Added, Removed};
pub use save::{Kind, LayerListing};

/// An archive with every layer listed (or the reason it could not be).
pub type Saved = save::Saved<LayerListing>;

/// Read a whole `docker save` stream.
#[cfg(test)]
pub fn read_saved(reader: impl std::io::Read) -> std::io::Result<Saved> {
    save::read(reader, save::list_layer)
}
