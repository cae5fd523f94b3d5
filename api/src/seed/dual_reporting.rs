//! Dual reporting: Party members and their registrations with the communities where they live,
//! the Party units' registrations with communities, and the communities' service posts with the
//! members' claims.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use entities::member_registration::{self, MemberRegistrationStatus, SubmittedBy};
use entities::org_registration::{self, OrgRegistrationStatus};
use entities::party_member;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_post::{self, PostStatus};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, index};
use sea_orm::DbErr;

use super::clock::{between, days, hours};
use super::organizations::Organizations;
use super::people::People;
use super::random::{mix, pick};
use super::seeder::Seeder;
use super::structure::{Community, Structure};
use super::writer::Rows;

/// A member with an accepted registration: they serve in their community.
#[derive(Clone, Copy)]
pub(super) struct ActiveMember {
    member_id: i64,
    pub(super) person_id: i64,
}

pub(super) struct Party {
    /// Accepted members of each community.
    pub(super) by_community: Vec<Vec<ActiveMember>>,
    /// The Party unit of every serving member, by person: their service records keep it.
    pub(super) unit_of_person: HashMap<i64, i64>,
}

/// The ways a member's registration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegistrationStory {
    /// Accepted where they live.
    Accepted,
    /// Waiting for the community's review.
    Submitted,
    /// Rejected: residence could not be confirmed.
    Rejected,
    /// Moved house: the old registration was transferred to an accepted one where they live now.
    Transferred,
    /// No longer serving: deregistered.
    Deregistered,
}

/// How registrations of members stand (see [`Seeder::register`]).
const REGISTRATION_MIX: &[(RegistrationStory, usize)] = &[
    (RegistrationStory::Accepted, 84),
    (RegistrationStory::Submitted, 6),
    (RegistrationStory::Transferred, 4),
    (RegistrationStory::Rejected, 3),
    (RegistrationStory::Deregistered, 3),
];

const ORG_REGISTRATION_MIX: &[(OrgRegistrationStatus, usize)] = &[
    (OrgRegistrationStatus::Accepted, 85),
    (OrgRegistrationStatus::Submitted, 10),
    (OrgRegistrationStatus::Returned, 3),
    (OrgRegistrationStatus::Withdrawn, 2),
];

const POSTS: &[(&str, &str)] = &[
    ("楼栋长", "联系本楼栋住户，收集反映社情民意"),
    ("文明劝导员", "劝导不文明行为，维护公共秩序"),
    ("政策宣传员", "宣传惠民政策，帮助居民办事"),
    ("矛盾调解员", "参与邻里纠纷调解"),
    ("环境监督员", "监督小区环境卫生和垃圾分类"),
    ("助老服务员", "定期走访独居老人"),
    ("平安巡逻员", "参与夜间治安巡逻"),
];
const OFFERS: &[&str] = &[
    "法律咨询进社区",
    "义诊和健康讲座",
    "助学帮扶",
    "党员志愿服务队",
    "政策宣讲",
    "老旧小区改造资金支持",
];
const NEEDS: &[&str] = &[
    "党员活动场地",
    "志愿服务岗位对接",
    "困难群众需求清单",
    "联合开展主题党日",
];
const PROJECTS: &[&str] = &[
    "共建红色驿站",
    "结对帮扶困难家庭",
    "共建文明小区",
    "周末公益课堂",
    "楼道照明改造",
];

impl Seeder<'_> {
    pub(super) async fn dual_reporting(
        &mut self,
        structure: &Structure,
        orgs: &Organizations,
        people: &People,
    ) -> Result<Party, DbErr> {
        self.out.stage("party members and registrations");
        let mut members = Rows::<party_member::Entity>::new();
        let mut registrations = Rows::<member_registration::Entity>::new();
        let mut party = Party {
            by_community: structure.communities.iter().map(|_| Vec::new()).collect(),
            unit_of_person: HashMap::new(),
        };

        let count = self.scale.party_members.min(people.working_age.len());
        let stories = mix(&mut self.rng, count, REGISTRATION_MIX);
        let mut chosen = index::sample(&mut self.rng, people.working_age.len(), count).into_vec();
        chosen.sort_unstable();
        for (story, resident) in stories.into_iter().zip(chosen) {
            let (person_id, grid) = people.working_age[resident];
            let unit_id = *orgs
                .party_units
                .choose(&mut self.rng)
                .expect("every profile has Party units");
            let joined_party_on = NaiveDate::from_yo_opt(
                self.rng.random_range(1990..=2024),
                self.rng.random_range(1..=365),
            );
            let created_at = self.clock.start + hours(&mut self.rng, 0..=30 * 24);
            let member_id = members
                .add(|id| party_member::Model {
                    id,
                    person_id,
                    organization_id: unit_id,
                    serving: story != RegistrationStory::Deregistered,
                    joined_party_on,
                    created_at,
                })
                .id;
            let home = &structure.grids[grid];
            let registration = member_registration::Model {
                id: 0,
                party_member_id: member_id,
                community_id: structure.communities[home.community].unit.id,
                grid_id: Some(home.unit.id),
                organization_id: unit_id,
                status: MemberRegistrationStatus::Accepted,
                submitted_by: if self.rng.random_bool(0.4) {
                    SubmittedBy::Unit
                } else {
                    SubmittedBy::Member
                },
                decision_note: None,
                transferred_to_id: None,
                decided_at: None,
                receipt_issued_at: None,
                created_at,
                updated_at: created_at,
            };
            self.register(&mut registrations, registration, story, structure);
            if matches!(
                story,
                RegistrationStory::Accepted | RegistrationStory::Transferred
            ) {
                party.by_community[home.community].push(ActiveMember {
                    member_id,
                    person_id,
                });
            }
            if story != RegistrationStory::Deregistered {
                party.unit_of_person.insert(person_id, unit_id);
            }
            self.out
                .flush_when_full(&mut [&mut members, &mut registrations])
                .await?;
        }

        let mut org_registrations = Rows::<org_registration::Entity>::new();
        self.org_registrations(&mut org_registrations, structure, orgs);
        let mut posts = Rows::<service_post::Entity>::new();
        let mut claims = Rows::<post_claim::Entity>::new();
        for (community, active) in structure.communities.iter().zip(&party.by_community) {
            self.service_posts(&mut posts, &mut claims, community, active);
        }
        self.out
            .finish(&mut [
                &mut members,
                &mut registrations,
                &mut org_registrations,
                &mut posts,
                &mut claims,
            ])
            .await?;
        Ok(party)
    }

    /// Writes a member's registrations as their story goes; `home` is an accepted registration
    /// where they live, created when they joined the platform.
    fn register(
        &mut self,
        rows: &mut Rows<member_registration::Entity>,
        home: member_registration::Model,
        story: RegistrationStory,
        structure: &Structure,
    ) {
        let clock = self.clock;
        let rng = &mut self.rng;
        let joined = home.created_at;
        match story {
            RegistrationStory::Accepted => {
                let created_at = between(rng, joined, clock.now - TimeDelta::days(30));
                let decided_at = created_at + days(rng, 1..=5);
                rows.add(|id| {
                    decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Accepted,
                    )
                });
            }
            RegistrationStory::Submitted => {
                let created_at = clock.now - hours(rng, 2..=14 * 24);
                rows.add(|id| member_registration::Model {
                    id,
                    grid_id: None,
                    status: MemberRegistrationStatus::Submitted,
                    created_at,
                    updated_at: created_at,
                    ..home
                });
            }
            RegistrationStory::Rejected => {
                let created_at = between(rng, joined, clock.now - TimeDelta::days(30));
                let decided_at = created_at + days(rng, 1..=5);
                rows.add(|id| member_registration::Model {
                    grid_id: None,
                    decision_note: Some("未能核实居住地址，请补充材料后重新报到".to_owned()),
                    ..decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Rejected,
                    )
                });
            }
            RegistrationStory::Transferred => {
                // The registration where they live now comes first, so that the old one can
                // point at it.
                let old_created = between(rng, joined, joined + TimeDelta::days(60));
                let old_decided = old_created + days(rng, 1..=5);
                let moved_at = between(
                    rng,
                    old_decided + TimeDelta::days(30),
                    clock.now - TimeDelta::days(20),
                );
                let (old_community, old_grid) = grid_elsewhere(rng, structure, home.community_id);
                let now_decided = moved_at + days(rng, 1..=5);
                let current = rows
                    .add(|id| {
                        decided(
                            id,
                            home.clone(),
                            moved_at,
                            now_decided,
                            MemberRegistrationStatus::Accepted,
                        )
                    })
                    .id;
                rows.add(|id| member_registration::Model {
                    community_id: old_community,
                    grid_id: Some(old_grid),
                    transferred_to_id: Some(current),
                    decision_note: Some("迁居，转至新居住社区".to_owned()),
                    updated_at: moved_at,
                    ..decided(
                        id,
                        home,
                        old_created,
                        old_decided,
                        MemberRegistrationStatus::Transferred,
                    )
                });
            }
            RegistrationStory::Deregistered => {
                let created_at = between(rng, joined, joined + TimeDelta::days(60));
                let decided_at = created_at + days(rng, 1..=5);
                let left_at = between(
                    rng,
                    decided_at + TimeDelta::days(30),
                    clock.now - TimeDelta::days(5),
                );
                rows.add(|id| member_registration::Model {
                    decision_note: Some("退休，不再作为在职党员报到".to_owned()),
                    updated_at: left_at,
                    ..decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Deregistered,
                    )
                });
            }
        }
    }

    /// Each Party unit registers with one community, some with two, for the current year.
    fn org_registrations(
        &mut self,
        rows: &mut Rows<org_registration::Entity>,
        structure: &Structure,
        orgs: &Organizations,
    ) {
        let pairs: Vec<(i64, i64)> = orgs
            .party_units
            .iter()
            .flat_map(|&unit| {
                let count = if self.rng.random_bool(0.3) { 2 } else { 1 };
                let communities: Vec<usize> = (0..structure.communities.len()).collect();
                pick(&mut self.rng, &communities, count)
                    .into_iter()
                    .map(move |c| (unit, structure.communities[c].unit.id))
                    .collect::<Vec<_>>()
            })
            .collect();
        let statuses = mix(&mut self.rng, pairs.len(), ORG_REGISTRATION_MIX);
        for ((organization_id, community_id), status) in pairs.into_iter().zip(statuses) {
            let created_at = between(
                &mut self.rng,
                self.clock.start,
                self.clock.start + TimeDelta::days(90),
            );
            let reviewed_at = (status != OrgRegistrationStatus::Submitted)
                .then(|| created_at + days(&mut self.rng, 3..=10));
            let accepted = status == OrgRegistrationStatus::Accepted;
            let rating = |rng: &mut StdRng| accepted.then(|| rng.random_range(3..=5));
            let (community_rating, organization_rating) =
                (rating(&mut self.rng), rating(&mut self.rng));
            let offers = pick(&mut self.rng, OFFERS, 2).join("；");
            let needs = pick(&mut self.rng, NEEDS, 2).join("；");
            let projects = pick(&mut self.rng, PROJECTS, 1).join("；");
            rows.add(|id| org_registration::Model {
                id,
                organization_id,
                community_id,
                year: created_at.year(),
                offers,
                needs,
                projects,
                status,
                review_note: (status == OrgRegistrationStatus::Returned)
                    .then(|| "共建项目不够具体，请细化后重新提交".to_owned()),
                community_rating,
                organization_rating,
                reviewed_at,
                created_at,
                updated_at: reviewed_at.unwrap_or(created_at),
            });
        }
    }

    /// A community's posts for its registered members, never with more confirmed holders than
    /// places, and with at most one open claim per member and post.
    fn service_posts(
        &mut self,
        posts: &mut Rows<service_post::Entity>,
        claims: &mut Rows<post_claim::Entity>,
        community: &Community,
        members: &[ActiveMember],
    ) {
        for &(title, description) in &pick(&mut self.rng, POSTS, self.scale.posts_per_community) {
            let head_count = self.rng.random_range(1..=4);
            let mut outcomes =
                vec![PostClaimStatus::Confirmed; self.rng.random_range(0..=head_count)];
            for status in [
                PostClaimStatus::Applied,
                PostClaimStatus::Rejected,
                PostClaimStatus::Withdrawn,
                PostClaimStatus::Ended,
            ] {
                if self.rng.random_bool(0.4) {
                    outcomes.push(status);
                }
            }
            // Distinct claimants; with fewer members than outcomes, the last outcomes go unused.
            let claimants = pick(&mut self.rng, members, outcomes.len());
            outcomes.truncate(claimants.len());
            let confirmed = outcomes
                .iter()
                .filter(|&&status| status == PostClaimStatus::Confirmed)
                .count();
            let created_at = self.clock.past(&mut self.rng, TimeDelta::days(30));
            let post_id = posts
                .add(|id| service_post::Model {
                    id,
                    community_id: community.unit.id,
                    title: title.to_owned(),
                    description: Some(description.to_owned()),
                    head_count: i32::try_from(head_count).expect("a post has a few places"),
                    status: if confirmed == head_count {
                        PostStatus::Closed
                    } else {
                        PostStatus::Open
                    },
                    created_at,
                    // A post's last change: closing it when its places filled, about when the
                    // last holder was confirmed; the seed keeps it simple.
                    updated_at: created_at,
                })
                .id;
            for (status, member) in outcomes.into_iter().zip(claimants) {
                let claimed_at = created_at + hours(&mut self.rng, 1..=10 * 24);
                let decided_at = matches!(
                    status,
                    PostClaimStatus::Confirmed | PostClaimStatus::Rejected | PostClaimStatus::Ended
                )
                .then(|| claimed_at + hours(&mut self.rng, 2..=72));
                let closed_at =
                    matches!(status, PostClaimStatus::Withdrawn | PostClaimStatus::Ended)
                        .then(|| decided_at.unwrap_or(claimed_at) + hours(&mut self.rng, 1..=72));
                claims.add(|id| post_claim::Model {
                    id,
                    post_id,
                    party_member_id: member.member_id,
                    status,
                    decided_at,
                    closed_at,
                    created_at: claimed_at,
                    updated_at: closed_at.or(decided_at).unwrap_or(claimed_at),
                });
            }
        }
    }
}

/// A random grid (community id, grid id) outside the given community, where a member lived before.
fn grid_elsewhere(rng: &mut StdRng, structure: &Structure, community_id: i64) -> (i64, i64) {
    let others: Vec<&Community> = structure
        .communities
        .iter()
        .filter(|community| community.unit.id != community_id)
        .collect();
    let community = others
        .choose(rng)
        .expect("every profile has several communities");
    let grid = &structure.grids[rng.random_range(community.grids.clone())];
    (community.unit.id, grid.unit.id)
}

/// A registration decided at `decided_at`, with its receipt sent to the unit the same day when
/// it was accepted.
fn decided(
    id: i64,
    base: member_registration::Model,
    created_at: DateTime<Utc>,
    decided_at: DateTime<Utc>,
    status: MemberRegistrationStatus,
) -> member_registration::Model {
    let receipt_issued_at =
        (status != MemberRegistrationStatus::Rejected).then(|| decided_at + TimeDelta::hours(2));
    member_registration::Model {
        id,
        status,
        decided_at: Some(decided_at),
        receipt_issued_at,
        created_at,
        updated_at: receipt_issued_at.unwrap_or(decided_at),
        ..base
    }
}
