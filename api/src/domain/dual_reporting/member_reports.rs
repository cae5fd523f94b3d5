//! Member self-reports (双报告): each half-year (China Standard Time) a Party member reports to
//! their own branch — their unit's Party organisation — what they did where they registered.
//! A report is drafted pre-filled from the member's records, edited by the member (a summary and
//! remarks on the figures) and submitted, after which it never changes. Only the member writes
//! it; the branch reads it once submitted.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::member_report::{self, MemberReportStatus};
use entities::party_member;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_record::{self, RecordStatus};
use entities::wish_claim::{self, ClaimStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::calendar::HalfYear;
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::own_membership;
use crate::domain::rows::{find_visible, reload};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

refusals! {
    /// Why a change to a member report was refused.
    pub enum MemberReportRefusal for "MemberReport" {
        NotAMember => NOT_A_MEMBER: "only a Party member reports on themself",
        NotOwnReport => NOT_OWN_REPORT: "only the member who reports may do this",
        InvalidPeriod => INVALID_PERIOD @ "half":
            "a half-year is 1 or 2 of a year, and reported once it has ended",
        AlreadyDrafted => ALREADY_DRAFTED @ "year":
            "the member has already drafted a report for this half-year",
        SummaryRequired => SUMMARY_REQUIRED @ "summary": "a report needs a summary",
        NotEdited => NOT_EDITED @ "reportId":
            "the report must be edited, with a summary, before it is submitted",
        AlreadySubmitted => ALREADY_SUBMITTED @ "reportId":
            "the report has been submitted and no longer changes",
    }
}

/// The outcome of a member report mutation.
pub type MemberReportOutcome = Outcome<member_report::Model, MemberReportRefusal>;

/// The half-year a report is drafted for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DraftRequest {
    pub year: i32,
    pub half: i16,
}

/// What the member writes into their report.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EditRequest {
    pub report_id: i64,
    pub summary: String,
    pub remarks: Option<String>,
}

/// The member drafts their report for a half-year that has ended, pre-filled from their records.
pub async fn draft(
    db: &Db,
    principal: &Principal,
    request: DraftRequest,
) -> Result<MemberReportOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let Some((from, to)) = HalfYear::new(request.year, request.half).map(HalfYear::bounds) else {
        return Ok(Outcome::refused(None, MemberReportRefusal::InvalidPeriod));
    };
    if to > Utc::now() {
        return Ok(Outcome::refused(None, MemberReportRefusal::InvalidPeriod));
    }
    let txn = begin_write(db).await?;
    let Some(member) = own_membership(&txn, principal).await? else {
        return refuse(txn, None, MemberReportRefusal::NotAMember).await;
    };
    let figures = figures(&txn, &member, from, to).await?;
    let now = Utc::now();
    let inserted = member_report::ActiveModel {
        party_member_id: Set(member.id),
        organization_id: Set(member.organization_id),
        community_id: Set(figures.community_id),
        year: Set(request.year),
        half: Set(request.half),
        status: Set(MemberReportStatus::Draft),
        service_minutes: Set(figures.service_minutes),
        service_records: Set(figures.service_records),
        realised_wishes: Set(figures.realised_wishes),
        posts_held: Set(figures.posts_held),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // The one-report-per-half-year index decides between concurrent drafts.
    let report = match inserted {
        Ok(report) => report,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return refuse(txn, None, MemberReportRefusal::AlreadyDrafted).await;
        }
        Err(err) => return Err(err.into()),
    };
    Transition::created(
        "draft_member_report",
        "member_report",
        report.id,
        report.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(report))
}

/// The member writes the summary and remarks of their report, until they submit it.
pub async fn edit(
    db: &Db,
    principal: &Principal,
    request: EditRequest,
) -> Result<MemberReportOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let report = find_visible::<member_report::Entity>(&txn, principal, request.report_id).await?;
    if let Some(refusal) = refusal_for_writer(&txn, principal, &report).await? {
        return refuse(txn, Some(report), refusal).await;
    }
    let summary = request.summary.trim();
    if summary.is_empty() {
        return refuse(txn, Some(report), MemberReportRefusal::SummaryRequired).await;
    }
    let next = member_report::Model {
        status: MemberReportStatus::Edited,
        summary: Some(summary.to_owned()),
        remarks: request
            .remarks
            .map(|remarks| remarks.trim().to_owned())
            .filter(|remarks| !remarks.is_empty()),
        updated_at: Utc::now(),
        ..report.clone()
    };
    use member_report::Column as C;
    let updated = member_report::Entity::update_many()
        .col_expr(C::Status, Expr::value(next.status))
        .col_expr(C::Summary, Expr::value(next.summary.clone()))
        .col_expr(C::Remarks, Expr::value(next.remarks.clone()))
        .col_expr(C::UpdatedAt, Expr::value(next.updated_at))
        .filter(C::Id.eq(report.id))
        .filter(C::Status.ne(MemberReportStatus::Submitted))
        .exec(&txn)
        .await?;
    // A submission that won the race since the read leaves the report as submitted.
    if updated.rows_affected == 0 {
        return refuse(txn, Some(report), MemberReportRefusal::AlreadySubmitted).await;
    }
    Transition::new(
        "edit_member_report",
        "member_report",
        report.id,
        report.status,
        next.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(next))
}

/// The member submits their edited report to their branch; it is immutable from then on.
pub async fn submit(
    db: &Db,
    principal: &Principal,
    report_id: i64,
) -> Result<MemberReportOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let report = find_visible::<member_report::Entity>(&txn, principal, report_id).await?;
    if let Some(refusal) = refusal_for_writer(&txn, principal, &report).await? {
        return refuse(txn, Some(report), refusal).await;
    }
    if report.status == MemberReportStatus::Draft {
        return refuse(txn, Some(report), MemberReportRefusal::NotEdited).await;
    }
    let now = Utc::now();
    let next = member_report::Model {
        status: MemberReportStatus::Submitted,
        submitted_at: Some(now),
        updated_at: now,
        ..report.clone()
    };
    use member_report::Column as C;
    let updated = member_report::Entity::update_many()
        .col_expr(C::Status, Expr::value(next.status))
        .col_expr(C::SubmittedAt, Expr::value(next.submitted_at))
        .col_expr(C::UpdatedAt, Expr::value(next.updated_at))
        .filter(C::Id.eq(report.id))
        .filter(C::Status.eq(MemberReportStatus::Edited))
        .exec(&txn)
        .await?;
    // Only a concurrent submission moves an edited report on, so this one came second.
    if updated.rows_affected == 0 {
        return refuse(txn, Some(report), MemberReportRefusal::AlreadySubmitted).await;
    }
    Transition::new(
        "submit_member_report",
        "member_report",
        report.id,
        report.status,
        next.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    // As it now stands: an edit that committed meanwhile is what was submitted.
    let submitted = reload::<member_report::Entity>(&txn, report.id).await?;
    txn.commit().await?;
    Ok(Outcome::done(submitted))
}

/// A report's figures as drafted.
struct Figures {
    community_id: Option<i64>,
    service_minutes: i64,
    service_records: i32,
    realised_wishes: i32,
    posts_held: i32,
}

/// The member's figures for `[from, to)`: confirmed service wherever it was recorded, wishes
/// they claimed and realised, the posts they were confirmed in, and the community of the last
/// registration active in the period.
async fn figures(
    txn: &DatabaseTransaction,
    member: &party_member::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Figures, DbErr> {
    let records = service_record::Entity::find()
        .filter(service_record::Column::PersonId.eq(member.person_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::StartedAt.gte(from))
        .filter(service_record::Column::StartedAt.lt(to))
        .all(txn)
        .await?;
    let realised_wishes = wish_claim::Entity::find()
        .filter(wish_claim::Column::ClaimantPersonId.eq(member.person_id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Fulfilled))
        .filter(wish_claim::Column::ClosedAt.gte(from))
        .filter(wish_claim::Column::ClosedAt.lt(to))
        .count(txn)
        .await?;
    let posts: HashSet<i64> = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(member.id))
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .filter(post_claim::Column::DecidedAt.lt(to))
        .all(txn)
        .await?
        .into_iter()
        .map(|claim| claim.post_id)
        .collect();
    // A registration was active in the period when it was accepted before its end and is
    // still open, or closed after its start.
    let registration = member_registration::Entity::find()
        .filter(member_registration::Column::PartyMemberId.eq(member.id))
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
        .order_by_desc(member_registration::Column::DecidedAt)
        .one(txn)
        .await?;
    Ok(Figures {
        community_id: registration.map(|registration| registration.community_id),
        service_minutes: records.iter().map(|record| i64::from(record.minutes)).sum(),
        service_records: saturating(records.len()),
        realised_wishes: saturating(realised_wishes),
        posts_held: saturating(posts.len()),
    })
}

/// A count as stored; no member comes near `i32::MAX` of anything in half a year.
fn saturating(count: impl TryInto<i32>) -> i32 {
    count.try_into().unwrap_or(i32::MAX)
}

/// Why the caller may not change the report, if they may not: only its member writes it, and
/// only until it is submitted.
async fn refusal_for_writer(
    txn: &DatabaseTransaction,
    principal: &Principal,
    report: &member_report::Model,
) -> Result<Option<MemberReportRefusal>, DbErr> {
    let own = own_membership(txn, principal)
        .await?
        .is_some_and(|member| member.id == report.party_member_id);
    Ok(if !own {
        Some(MemberReportRefusal::NotOwnReport)
    } else if report.status == MemberReportStatus::Submitted {
        Some(MemberReportRefusal::AlreadySubmitted)
    } else {
        None
    })
}
