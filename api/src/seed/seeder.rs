//! The generator's state: where rows go, the seeded random generator, the clock, the scale, and
//! the identities handed out so far. Each section adds its step as an `impl Seeder` block of its
//! own; `mod.rs` runs them in the order of the foreign keys.

use rand::rngs::StdRng;

use super::clock::Clock;
use super::identities::Identities;
use super::scale::Scale;
use super::writer::Output;

/// The generator, as every section's step extends it.
pub(super) struct Seeder<'a> {
    pub(super) out: Output<'a>,
    pub(super) rng: StdRng,
    pub(super) clock: Clock,
    pub(super) scale: &'static Scale,
    pub(super) identities: Identities,
}
