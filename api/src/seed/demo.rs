//! The demo: what a bare `cargo run` loads on first start. A small district (five sub-districts,
//! eight communities including 七一社区, 许继社区, 府后社区 and 魏武社区) that still shows every
//! state of every workflow. Like every profile, it comes with one login per role (`qiyi.staff`,
//! `qiyi.grid1` …; see `ACCOUNTS` in the generator).

use super::scale::Scale;

/// Real household counts per grid (so the statistics read right), everything else small.
pub(super) const SCALE: Scale = Scale {
    subdistricts: 5,
    communities: 8,
    standardised_communities: 4,
    // Two or three grids per community.
    grids: 22,
    households_per_grid: 200..=300,
    departments: 6,
    party_units: 6,
    // One per service category, plus one that is suspended.
    social_organizations: 8,
    businesses: 3,
    party_members: 80,
    posts_per_community: 3,
    volunteer_teams: 16,
    team_size: 6,
    activities_per_team: 6,
    activity_capacity: 6..=15,
    micro_wishes: 60,
    demo_client: true,
};
