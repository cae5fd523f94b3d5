//! The size of a data set: one generator serves both profiles, scaled by these numbers.

use std::ops::RangeInclusive;

/// The size of a data set: the one generator scales everything from these numbers.
pub(super) struct Scale {
    pub(super) subdistricts: usize,
    pub(super) communities: usize,
    pub(super) standardised_communities: usize,
    pub(super) grids: usize,
    pub(super) households_per_grid: RangeInclusive<i32>,
    pub(super) departments: usize,
    pub(super) party_units: usize,
    pub(super) social_organizations: usize,
    pub(super) businesses: usize,
    pub(super) party_members: usize,
    pub(super) posts_per_community: usize,
    pub(super) volunteer_teams: usize,
    pub(super) team_size: usize,
    pub(super) activities_per_team: usize,
    pub(super) activity_capacity: RangeInclusive<i32>,
    pub(super) micro_wishes: usize,
    /// Whether the first social organisation gets the demo API client, whose secret is public.
    pub(super) demo_client: bool,
}
