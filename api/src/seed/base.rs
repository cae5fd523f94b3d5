//! What the later steps (volunteering, wishes, feedback reports, accounts) look things up in:
//! the structure, organisations, people and Party members generated before them.

use super::dual_reporting::Party;
use super::organizations::Organizations;
use super::people::People;
use super::structure::Structure;

/// What the later steps look things up in.
#[derive(Clone, Copy)]
pub(super) struct Base<'b> {
    pub(super) structure: &'b Structure,
    pub(super) orgs: &'b Organizations,
    pub(super) people: &'b People,
    pub(super) party: &'b Party,
}
