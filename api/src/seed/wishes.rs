//! Micro-wishes and their claims: wishes of residents in every state of their workflow, and the
//! claims of Party members, team volunteers and partner organisations on them.

use chrono::{DateTime, TimeDelta, Utc};
use entities::micro_wish::{self, WishCategory, WishStatus};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use rand::Rng;
use rand::seq::IndexedRandom;
use sea_orm::DbErr;

use super::base::Base;
use super::clock::{days, hours, timeline};
use super::dual_reporting::ActiveMember;
use super::random::mix;
use super::seeder::Seeder;
use super::tally::Tally;
use super::volunteering::Volunteers;
use super::writer::Rows;

/// How long a claimant has to fulfil a claimed wish.
const CLAIM_DAYS: i64 = 14;

/// Wishes residents post: category, title and estimated value in yuan.
const WISHES: &[(WishCategory, &str, i32)] = &[
    (WishCategory::DailyNecessities, "想要一床厚棉被过冬", 200),
    (WishCategory::DailyNecessities, "需要一台电饭煲", 150),
    (WishCategory::DailyNecessities, "想要一副老花镜", 60),
    (WishCategory::DailyNecessities, "需要一辆轮椅方便出门", 400),
    (WishCategory::Study, "孩子想要一套课外读物", 120),
    (WishCategory::Study, "希望有人辅导孩子功课", 0),
    (WishCategory::Study, "孩子需要一个新书包", 80),
    (WishCategory::HealthCare, "希望有人陪同去医院复查", 0),
    (WishCategory::HealthCare, "想要一台电子血压计", 150),
    (WishCategory::HealthCare, "需要代购常用药品送上门", 100),
    (WishCategory::HomeRepair, "厨房水管漏水需要维修", 100),
    (WishCategory::HomeRepair, "卧室窗户玻璃破了想换一块", 120),
    (WishCategory::HomeRepair, "家里电灯开关坏了", 30),
    (WishCategory::Companionship, "希望周末有人来陪我聊聊天", 0),
    (WishCategory::Companionship, "想有人陪我去公园散散步", 0),
    (WishCategory::Other, "想学会用智能手机和孙子视频", 0),
    (WishCategory::Other, "希望有人上门帮忙理发", 0),
];
const CIRCUMSTANCES: &[&str] = &[
    "老人独自居住，腿脚不便",
    "家庭经济困难，子女在外地",
    "身患慢性病，出门不便",
    "孩子父母外出务工，由老人照看",
];
const EVIDENCE_NOTES: &[&str] = &[
    "已送到老人家中，本人签收",
    "已上门完成维修，拍照留存",
    "已陪同完成，居民表示满意",
];
const THANKS: &[&str] = &[
    "非常感谢，东西很实用！",
    "谢谢你们，服务很贴心",
    "感谢党员同志的帮助",
    "解决了大难题，谢谢",
];

pub(super) const WISH_MIX: &[(WishStatus, usize)] = &[
    (WishStatus::Realized, 40),
    (WishStatus::Expired, 14),
    (WishStatus::Open, 12),
    (WishStatus::Claimed, 10),
    (WishStatus::Submitted, 6),
    (WishStatus::Delivered, 5),
    (WishStatus::Rejected, 4),
    (WishStatus::Withdrawn, 4),
    (WishStatus::TakenDown, 3),
    (WishStatus::Disputed, 2),
];

/// What happened to a wish after it was submitted; each step is one transition (one version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WishStep {
    Rejected,
    Published,
    Claimed,
    /// The claimant handed the claim back; the wish reopened.
    Released,
    /// Staff revoked an overdue claim; the wish reopened.
    Revoked,
    Delivered,
    Disputed,
    Realized,
    Withdrawn,
    TakenDown,
    Expired,
}

/// Who may claim a community's wishes.
struct Claimants<'c> {
    partners: &'c [i64],
    members: &'c [ActiveMember],
    volunteers: &'c [i64],
}

impl Seeder<'_> {
    pub(super) async fn micro_wishes(
        &mut self,
        base: Base<'_>,
        volunteers: &Volunteers,
        tally: &mut Tally,
    ) -> Result<(), DbErr> {
        self.out.stage("micro-wishes and claims");
        let mut wishes = Rows::<micro_wish::Entity>::new();
        let mut claims = Rows::<wish_claim::Entity>::new();
        let partners = base.orgs.partners();
        for status in mix(&mut self.rng, self.scale.micro_wishes, WISH_MIX) {
            let g = self.rng.random_range(0..base.structure.grids.len());
            let c = base.structure.grids[g].community;
            let draft = self.wish(base, g, status);
            let wish = wishes.add(|id| micro_wish::Model { id, ..draft.wish });
            let claimants = Claimants {
                partners: &partners,
                members: &base.party.by_community[c],
                volunteers: &volunteers.team_members[c],
            };
            for claim in self.wish_claims(wish, &draft.steps, &claimants) {
                let claim = claims.add(|id| wish_claim::Model { id, ..claim });
                // Wishes that members fulfil go into the reports to their units.
                if let (ClaimStatus::Fulfilled, Some(person), Some(realized_at)) =
                    (claim.status, claim.claimant_person_id, wish.realized_at)
                    && let Some(&unit) = base.party.unit_of_person.get(&person)
                {
                    tally.wish(c, unit, person, realized_at);
                }
            }
            self.out
                .flush_when_full(&mut [&mut wishes, &mut claims])
                .await?;
        }
        self.out.finish(&mut [&mut wishes, &mut claims]).await
    }

    /// A wish of a resident of grid `g` (most often one living alone or in hardship), posted by
    /// them or by the grid's administrator, and the steps it has gone through to reach `status`.
    fn wish(&mut self, base: Base<'_>, g: usize, status: WishStatus) -> WishDraft {
        let grid = &base.structure.grids[g];
        let residents = &base.people.grids[g];
        let beneficiary = match residents.vulnerable.choose(&mut self.rng) {
            Some(&person) if self.rng.random_bool(0.8) => person,
            _ => self.rng.random_range(residents.residents.clone()),
        };
        let poster = if self.rng.random_bool(0.3) {
            beneficiary
        } else {
            residents.administrator
        };
        let &(category, title, yuan) = WISHES.choose(&mut self.rng).expect("the list is not empty");
        let circumstance = CIRCUMSTANCES
            .choose(&mut self.rng)
            .expect("the list is not empty");
        let steps = self.wish_steps(status);
        let (created_at, times) = self.wish_times(status, steps.len());
        let steps: Vec<(WishStep, DateTime<Utc>)> = steps.into_iter().zip(times).collect();
        let at = |wanted: WishStep| {
            steps
                .iter()
                .find(|&&(step, _)| step == wanted)
                .map(|&(_, at)| at)
        };
        let published_at = at(WishStep::Published);
        let deadline = at(WishStep::Expired)
            .unwrap_or_else(|| published_at.unwrap_or(created_at) + days(&mut self.rng, 45..=60));
        let review_note = match status {
            WishStatus::Rejected => Some("属于社会救助范围，已转民政部门办理"),
            WishStatus::TakenDown => Some("与已发布的心愿重复，予以下架"),
            WishStatus::Disputed => Some("受益人反映物品与描述不符，待社区核实"),
            _ => None,
        };
        let wish = micro_wish::Model {
            id: 0,
            beneficiary_person_id: beneficiary,
            poster_person_id: poster,
            community_id: base.structure.communities[grid.community].unit.id,
            grid_id: grid.unit.id,
            title: title.to_owned(),
            description: format!("{circumstance}，{title}。"),
            category,
            estimated_value_cents: yuan * self.rng.random_range(80..=120),
            deadline,
            status,
            version: 1 + i32::try_from(steps.len()).expect("a wish takes a few steps"),
            review_note: review_note.map(str::to_owned),
            published_at,
            realized_at: at(WishStep::Realized),
            created_at,
            updated_at: steps.last().map_or(created_at, |&(_, at)| at),
        };
        WishDraft { wish, steps }
    }

    fn wish_steps(&mut self, status: WishStatus) -> Vec<WishStep> {
        use WishStep::*;
        // Some wishes were claimed before and handed back.
        let handed_back = match self.rng.random_range(0..10) {
            0 => vec![Claimed, Released],
            1 => vec![Claimed, Revoked],
            _ => Vec::new(),
        };
        match status {
            WishStatus::Submitted => Vec::new(),
            WishStatus::Rejected => vec![Rejected],
            WishStatus::Open => [vec![Published], handed_back].concat(),
            WishStatus::Claimed => [vec![Published], handed_back, vec![Claimed]].concat(),
            WishStatus::Delivered => vec![Published, Claimed, Delivered],
            WishStatus::Disputed => vec![Published, Claimed, Delivered, Disputed],
            WishStatus::Realized => [
                vec![Published],
                handed_back,
                vec![Claimed, Delivered, Realized],
            ]
            .concat(),
            WishStatus::Withdrawn => vec![Published, Withdrawn],
            WishStatus::TakenDown => vec![Published, TakenDown],
            WishStatus::Expired => [vec![Published], handed_back, vec![Expired]].concat(),
        }
    }

    /// When a wish was submitted and when its steps happened. Wishes still under way were
    /// submitted in the last ten days (so open ones are before their deadline and claims within
    /// their time); settled ones anywhere in history, over up to forty days.
    fn wish_times(
        &mut self,
        status: WishStatus,
        steps: usize,
    ) -> (DateTime<Utc>, Vec<DateTime<Utc>>) {
        let now = self.clock.now;
        let under_way = matches!(
            status,
            WishStatus::Submitted
                | WishStatus::Open
                | WishStatus::Claimed
                | WishStatus::Delivered
                | WishStatus::Disputed
        );
        let (created_at, until) = if under_way {
            (
                now - hours(&mut self.rng, 2..=10 * 24),
                now - TimeDelta::minutes(10),
            )
        } else {
            let created_at = self.clock.past(&mut self.rng, TimeDelta::days(60));
            (created_at, created_at + days(&mut self.rng, 5..=40))
        };
        (
            created_at,
            timeline(&mut self.rng, created_at, until, steps),
        )
    }

    /// The claims a wish's steps imply: closed ones handed back, then the current one (active,
    /// delivered or fulfilled). A claimant is never the beneficiary.
    fn wish_claims(
        &mut self,
        wish: &micro_wish::Model,
        steps: &[(WishStep, DateTime<Utc>)],
        claimants: &Claimants<'_>,
    ) -> Vec<wish_claim::Model> {
        let mut claims = Vec::new();
        let mut current: Option<wish_claim::Model> = None;
        for &(step, at) in steps {
            match (step, current.as_mut()) {
                (WishStep::Claimed, _) => current = Some(self.claim(wish, at, claimants)),
                (WishStep::Released | WishStep::Revoked, Some(claim)) => {
                    claim.status = if step == WishStep::Released {
                        ClaimStatus::Released
                    } else {
                        ClaimStatus::Revoked
                    };
                    claim.closed_at = Some(at);
                    claim.updated_at = at;
                    claims.extend(current.take());
                }
                (WishStep::Delivered, Some(claim)) => {
                    let note = EVIDENCE_NOTES
                        .choose(&mut self.rng)
                        .expect("the list is not empty");
                    claim.status = ClaimStatus::Delivered;
                    claim.evidence_note = Some((*note).to_owned());
                    claim.evidence_urls = Some(
                        serde_json::json!([format!(
                            "https://files.example.com/gongzhi/wishes/{}/evidence-1.jpg",
                            wish.id
                        )])
                        .to_string(),
                    );
                    claim.updated_at = at;
                }
                (WishStep::Realized, Some(claim)) => {
                    let thanks = THANKS.choose(&mut self.rng).expect("the list is not empty");
                    claim.status = ClaimStatus::Fulfilled;
                    claim.rating = Some(self.rng.random_range(4..=5));
                    claim.feedback = Some((*thanks).to_owned());
                    claim.closed_at = Some(at);
                    claim.updated_at = at;
                }
                _ => {}
            }
        }
        claims.extend(current);
        claims
    }

    /// A new active claim: by a Party member registered in the community, a team volunteer or a
    /// partner organisation.
    fn claim(
        &mut self,
        wish: &micro_wish::Model,
        at: DateTime<Utc>,
        claimants: &Claimants<'_>,
    ) -> wish_claim::Model {
        let person = match self.rng.random_range(0..20) {
            0..=7 => claimants
                .members
                .choose(&mut self.rng)
                .map(|member| (ClaimantKind::PartyMember, member.person_id)),
            8..=10 => claimants
                .volunteers
                .choose(&mut self.rng)
                .map(|&person| (ClaimantKind::Volunteer, person)),
            _ => None,
        };
        let (claimant_kind, claimant_organization_id, claimant_person_id) = match person {
            Some((kind, person)) if person != wish.beneficiary_person_id => {
                (kind, None, Some(person))
            }
            _ => {
                let partner = claimants
                    .partners
                    .choose(&mut self.rng)
                    .expect("every profile has partners");
                (ClaimantKind::Organization, Some(*partner), None)
            }
        };
        wish_claim::Model {
            id: 0,
            wish_id: wish.id,
            claimant_kind,
            claimant_organization_id,
            claimant_person_id,
            status: ClaimStatus::Active,
            due_at: at + TimeDelta::days(CLAIM_DAYS),
            evidence_note: None,
            evidence_urls: None,
            rating: None,
            feedback: None,
            closed_at: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A wish before it gets its id, with the steps it went through.
struct WishDraft {
    wish: micro_wish::Model,
    steps: Vec<(WishStep, DateTime<Utc>)>,
}
