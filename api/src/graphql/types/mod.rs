//! The API's object types: one wrapper per entity, exposing what partners may rely on.

mod dual_reporting;
mod people;
mod structure;
mod volunteering;
mod wishes;

pub use dual_reporting::*;
pub use people::*;
pub use structure::*;
pub use volunteering::*;
pub use wishes::*;
