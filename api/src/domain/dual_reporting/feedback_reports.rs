//! Feedback reports (社区反馈): each quarter (China Standard Time) a community reports to a unit
//! what the unit's members did there — confirmed service hours, realised wishes, posts held —
//! with the community's rating of each member. A report is generated → signed → sent →
//! acknowledged, and its figures are frozen when generated.
//!
//! A member is reported to the unit they belonged to at the time: service hours by the unit
//! each service record snapshots, wishes and posts by the unit of the registration that was
//! active when they happened.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::feedback_report::{self, ReportStatus};
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::wish_claim::{self, ClaimStatus};
use entities::{micro_wish, organization, party_member, person, service_post};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect, SqlErr,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::calendar::Quarter;
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::{PARTY_UNIT_ADMINS, acts_for, community_staff_of};
use crate::domain::rows::{find_visible, is_community};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

refusals! {
    /// Why a report transition was refused.
    pub enum FeedbackReportRefusal for "FeedbackReport" {
        NotCommunityStaff => NOT_COMMUNITY_STAFF:
            "only the staff of the report's community may do this",
        NotUnit => NOT_UNIT: "only the unit reported to may do this",
        UnknownCommunity => UNKNOWN_COMMUNITY @ "communityId": "no such community",
        UnknownUnit => UNKNOWN_UNIT @ "unitId": "no such unit",
        InvalidPeriod => INVALID_PERIOD @ "quarter":
            "a quarter is 1 to 4 of a year, and reported once it has ended",
        AlreadyGenerated => ALREADY_GENERATED @ "unitId":
            "the community has already reported to this unit for this quarter",
        RatingOutOfRange => RATING_OUT_OF_RANGE @ "ratings": "a rating is from 1 to 5",
        MemberNotInReport => MEMBER_NOT_IN_REPORT @ "ratings":
            "the rated member is not in this report",
        WrongState => WRONG_STATE @ "reportId": "the report is not in the state this step follows",
    }
}

/// The outcome of a report mutation.
pub type ReportOutcome = Outcome<feedback_report::Model, FeedbackReportRefusal>;

/// What a report is generated for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReportRequest {
    pub community_id: i64,
    pub unit_id: i64,
    pub year: i32,
    pub quarter: i16,
    /// The community's rating (1–5) of members, by member id.
    pub ratings: Vec<(i64, i32)>,
}

/// A report's frozen figures, stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportContent {
    /// The period, from its first instant to the first instant after it.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub members: Vec<MemberLine>,
}

/// One member's line of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberLine {
    pub member_id: i64,
    /// Masked (张*): a unit is not among those who see its members' names unmasked here.
    pub name: String,
    pub service_minutes: i64,
    pub service_records: i64,
    pub realised_wishes: i64,
    pub posts_held: i64,
    pub rating: Option<i16>,
}

impl ReportContent {
    /// The report as CSV, one line per member after a header.
    fn to_csv(&self) -> String {
        let mut csv = String::from(
            "member_id,name,service_hours,service_records,realised_wishes,posts_held,rating\n",
        );
        for line in &self.members {
            csv.push_str(&format!(
                "{},{},{:.2},{},{},{},{}\n",
                line.member_id,
                line.name.replace([',', '"', '\n'], " "),
                line.service_minutes as f64 / 60.0,
                line.service_records,
                line.realised_wishes,
                line.posts_held,
                line.rating
                    .map(|rating| rating.to_string())
                    .unwrap_or_default(),
            ));
        }
        csv
    }
}

/// A stored report's content as CSV: a line per member for reports generated here, or a
/// `field,value` line per figure for summary reports (such as those loaded with the demo data).
pub fn report_csv(content: &str) -> Result<String, serde_json::Error> {
    if let Ok(content) = serde_json::from_str::<ReportContent>(content) {
        return Ok(content.to_csv());
    }
    let summary: serde_json::Map<String, serde_json::Value> = serde_json::from_str(content)?;
    let mut csv = String::from("field,value\n");
    for (field, value) in summary {
        let value = match value {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        csv.push_str(&format!(
            "{field},{}\n",
            value.replace([',', '"', '\n'], " ")
        ));
    }
    Ok(csv)
}

/// Community staff generate the report of a past quarter for one unit.
pub async fn generate(
    db: &Db,
    principal: &Principal,
    request: ReportRequest,
) -> Result<ReportOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    if !community_staff_of(principal, request.community_id) {
        return Ok(Outcome::refused(
            None,
            FeedbackReportRefusal::NotCommunityStaff,
        ));
    }
    let Some((from, to)) = Quarter::new(request.year, request.quarter).map(Quarter::bounds) else {
        return Ok(Outcome::refused(None, FeedbackReportRefusal::InvalidPeriod));
    };
    if to > Utc::now() {
        return Ok(Outcome::refused(None, FeedbackReportRefusal::InvalidPeriod));
    }
    let txn = begin_write(db).await?;
    if !is_community(&txn, request.community_id).await? {
        return refuse(txn, None, FeedbackReportRefusal::UnknownCommunity).await;
    }
    if organization::Entity::find_by_id(request.unit_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return refuse(txn, None, FeedbackReportRefusal::UnknownUnit).await;
    }
    let mut content = figures(&txn, request.community_id, request.unit_id, from, to).await?;
    for &(member_id, rating) in &request.ratings {
        let Some(rating) = i16::try_from(rating).ok().filter(|r| (1..=5).contains(r)) else {
            return refuse(txn, None, FeedbackReportRefusal::RatingOutOfRange).await;
        };
        let Some(line) = content
            .members
            .iter_mut()
            .find(|line| line.member_id == member_id)
        else {
            return refuse(txn, None, FeedbackReportRefusal::MemberNotInReport).await;
        };
        line.rating = Some(rating);
    }
    let content = serde_json::to_string(&content).map_err(|_| ApiError::Internal)?;
    let inserted = feedback_report::ActiveModel {
        community_id: Set(request.community_id),
        organization_id: Set(request.unit_id),
        year: Set(request.year),
        quarter: Set(request.quarter),
        status: Set(ReportStatus::Generated),
        content: Set(content),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // The one-report-per-period index decides between concurrent generations.
    let report = match inserted {
        Ok(report) => report,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return refuse(txn, None, FeedbackReportRefusal::AlreadyGenerated).await;
        }
        Err(err) => return Err(err.into()),
    };
    Transition::created(
        "generate_feedback_report",
        "feedback_report",
        report.id,
        report.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(report))
}

/// The steps after generation, each from the state before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Step {
    /// The community secretary signs (community staff).
    Sign,
    /// The community sends it to the unit.
    Send,
    /// The unit acknowledges it.
    Acknowledge,
}

/// Moves a report one step on.
pub async fn advance(
    db: &Db,
    principal: &Principal,
    report_id: i64,
    step: Step,
) -> Result<ReportOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let report = find_visible::<feedback_report::Entity>(&txn, principal, report_id).await?;
    let (from, to, action) = match step {
        Step::Sign => (
            ReportStatus::Generated,
            ReportStatus::Signed,
            "sign_feedback_report",
        ),
        Step::Send => (
            ReportStatus::Signed,
            ReportStatus::Sent,
            "send_feedback_report",
        ),
        Step::Acknowledge => (
            ReportStatus::Sent,
            ReportStatus::Acknowledged,
            "acknowledge_feedback_report",
        ),
    };
    let allowed = match step {
        Step::Sign | Step::Send => community_staff_of(principal, report.community_id),
        Step::Acknowledge => acts_for(principal, report.organization_id, PARTY_UNIT_ADMINS),
    };
    if !allowed {
        let refusal = match step {
            Step::Acknowledge => FeedbackReportRefusal::NotUnit,
            _ => FeedbackReportRefusal::NotCommunityStaff,
        };
        return refuse(txn, Some(report), refusal).await;
    }
    if report.status != from {
        return refuse(txn, Some(report), FeedbackReportRefusal::WrongState).await;
    }
    let now = Utc::now();
    let next = match step {
        Step::Sign => feedback_report::Model {
            signed_by_person_id: principal.person_id,
            signed_at: Some(now),
            ..report.clone()
        },
        Step::Send => feedback_report::Model {
            sent_at: Some(now),
            ..report.clone()
        },
        Step::Acknowledge => feedback_report::Model {
            acknowledged_at: Some(now),
            ..report.clone()
        },
    };
    let next = feedback_report::Model { status: to, ..next };
    use feedback_report::Column as C;
    let updated = feedback_report::Entity::update_many()
        .col_expr(feedback_report::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(C::Status, Expr::value(next.status))
        .col_expr(C::SignedByPersonId, Expr::value(next.signed_by_person_id))
        .col_expr(C::SignedAt, Expr::value(next.signed_at))
        .col_expr(C::SentAt, Expr::value(next.sent_at))
        .col_expr(C::AcknowledgedAt, Expr::value(next.acknowledged_at))
        .filter(C::Id.eq(report.id))
        .filter(C::Status.eq(from))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return refuse(txn, Some(report), FeedbackReportRefusal::WrongState).await;
    }
    Transition::new(action, "feedback_report", report.id, from, to)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(next))
}

/// When a registration was active: from its acceptance to its closing, within the period.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// The figures of one community's report to one unit for `[from, to)`.
async fn figures(
    txn: &DatabaseTransaction,
    community_id: i64,
    unit_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ReportContent, DbErr> {
    // Service hours follow the unit each record snapshots.
    let records = service_record::Entity::find()
        .filter(service_record::Column::CommunityId.eq(community_id))
        .filter(service_record::Column::MemberUnitId.eq(unit_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::StartedAt.gte(from))
        .filter(service_record::Column::StartedAt.lt(to))
        .all(txn)
        .await?;
    // Wishes and posts follow the unit of the registration active when they happened: each
    // registration with this community for this unit is active from its acceptance until it
    // closed (or the period's end).
    let registrations = member_registration::Entity::find()
        .filter(member_registration::Column::CommunityId.eq(community_id))
        .filter(member_registration::Column::OrganizationId.eq(unit_id))
        .filter(member_registration::Column::DecidedAt.lt(to))
        .filter(
            Condition::any()
                .add(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
                .add(
                    Condition::all()
                        .add(member_registration::Column::Status.is_in([
                            MemberRegistrationStatus::Transferred,
                            MemberRegistrationStatus::Deregistered,
                        ]))
                        .add(member_registration::Column::UpdatedAt.gte(from)),
                ),
        )
        .all(txn)
        .await?;
    let mut active: HashMap<i64, Vec<Span>> = HashMap::new();
    for registration in &registrations {
        let start = registration.decided_at.unwrap_or(from).max(from);
        let end = match registration.status {
            MemberRegistrationStatus::Accepted => to,
            _ => registration.updated_at.min(to),
        };
        active
            .entry(registration.party_member_id)
            .or_default()
            .push((start, end));
    }
    let record_people: Vec<i64> = records.iter().map(|record| record.person_id).collect();
    let members = party_member::Entity::find()
        .filter(
            Condition::any()
                .add(party_member::Column::Id.is_in(active.keys().copied()))
                .add(party_member::Column::PersonId.is_in(record_people)),
        )
        .all(txn)
        .await?;
    let names: HashMap<i64, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(members.iter().map(|member| member.person_id)))
        .select_only()
        .columns([person::Column::Id, person::Column::Name])
        .into_tuple::<(i64, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let mut lines: BTreeMap<i64, MemberLine> = members
        .iter()
        .map(|member| {
            let name = names
                .get(&member.person_id)
                .map_or_else(String::new, |name| mask(name));
            (
                member.id,
                MemberLine {
                    member_id: member.id,
                    name,
                    ..Default::default()
                },
            )
        })
        .collect();
    let member_of_person: HashMap<i64, i64> = members
        .iter()
        .map(|member| (member.person_id, member.id))
        .collect();
    for record in &records {
        if let Some(line) = member_of_person
            .get(&record.person_id)
            .and_then(|member| lines.get_mut(member))
        {
            line.service_minutes += i64::from(record.minutes);
            line.service_records += 1;
        }
    }

    let active_people: Vec<i64> = members
        .iter()
        .filter(|member| active.contains_key(&member.id))
        .map(|member| member.person_id)
        .collect();
    let community_wishes = sea_orm::sea_query::Query::select()
        .column(micro_wish::Column::Id)
        .from(micro_wish::Entity)
        .and_where(micro_wish::Column::CommunityId.eq(community_id))
        .to_owned();
    let realised = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Fulfilled))
        .filter(wish_claim::Column::ClaimantPersonId.is_in(active_people))
        .filter(wish_claim::Column::ClosedAt.gte(from))
        .filter(wish_claim::Column::ClosedAt.lt(to))
        .filter(wish_claim::Column::WishId.in_subquery(community_wishes))
        .all(txn)
        .await?;
    let during = |member: i64, at: DateTime<Utc>| {
        active
            .get(&member)
            .is_some_and(|spans| spans.iter().any(|&(start, end)| start <= at && at < end))
    };
    for claim in &realised {
        let member = claim
            .claimant_person_id
            .and_then(|person| member_of_person.get(&person).copied());
        if let (Some(member), Some(closed)) = (member, claim.closed_at)
            && during(member, closed)
            && let Some(line) = lines.get_mut(&member)
        {
            line.realised_wishes += 1;
        }
    }

    let community_posts = sea_orm::sea_query::Query::select()
        .column(service_post::Column::Id)
        .from(service_post::Entity)
        .and_where(service_post::Column::CommunityId.eq(community_id))
        .to_owned();
    let held = post_claim::Entity::find()
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .filter(post_claim::Column::PartyMemberId.is_in(active.keys().copied()))
        .filter(post_claim::Column::DecidedAt.lt(to))
        .filter(post_claim::Column::PostId.in_subquery(community_posts))
        .all(txn)
        .await?;
    let mut posts: HashSet<(i64, i64)> = HashSet::new();
    for claim in &held {
        // A post counts when the member held it while registered for this unit.
        let held_while_active = active.get(&claim.party_member_id).is_some_and(|spans| {
            spans
                .iter()
                .any(|&(_, end)| claim.decided_at.is_some_and(|decided| decided < end))
        });
        if held_while_active
            && posts.insert((claim.party_member_id, claim.post_id))
            && let Some(line) = lines.get_mut(&claim.party_member_id)
        {
            line.posts_held += 1;
        }
    }
    Ok(ReportContent {
        from,
        to,
        members: lines.into_values().collect(),
    })
}

/// `张三` → `张*`, as names are masked for callers outside the member's community.
fn mask(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().into_iter().chain(chars.map(|_| '*')).collect()
}
