//! Service certificates: an organisation certifies a volunteer's confirmed service with it over
//! a period; anyone can verify a certificate by its number.

use chrono::{DateTime, Utc};
use entities::certificate_record;
use entities::service_certificate::{self, CertificateStatus};
use entities::service_record::{self, RecordStatus};
use entities::volunteer_activity::{self};
use entities::volunteer_team::VolunteerArea;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

use crate::auth::secret::random_token;
use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::Outcome;
use crate::domain::permissions::organizing_organization;
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

use super::rules::VolunteeringRefusal;

/// A certificate as anyone may verify it: no personal data, only what was certified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    pub certificate: service_certificate::Model,
    /// The services it lists, oldest first.
    pub services: Vec<CertifiedService>,
}

/// One service a certificate lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertifiedService {
    pub activity_title: Option<String>,
    pub area: Option<VolunteerArea>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Including its corrections.
    pub minutes: i64,
}

pub type CertificateOutcome = Outcome<Certificate, VolunteeringRefusal>;

/// The caller's organisation certifies a volunteer's confirmed service with it in
/// `[from, to)` (by when the service started), corrections included.
pub async fn issue_certificate(
    db: &Db,
    principal: &Principal,
    person_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<CertificateOutcome, ApiError> {
    use VolunteeringRefusal as R;
    principal.require(Scope::VolunteeringWrite)?;
    let refuse = |refusal| Ok(Outcome::refused(None, refusal));
    let Some(organization_id) = organizing_organization(principal) else {
        return refuse(R::NotOrganizer);
    };
    if from >= to {
        return refuse(R::InvalidPeriod);
    }
    let txn = begin_write(db).await?;
    let records = service_record::Entity::find()
        .filter(service_record::Column::PersonId.eq(person_id))
        .filter(service_record::Column::OrganizationId.eq(organization_id))
        .filter(service_record::Column::Status.eq(RecordStatus::Confirmed))
        .filter(service_record::Column::StartedAt.gte(from))
        .filter(service_record::Column::StartedAt.lt(to))
        .order_by_asc(service_record::Column::StartedAt)
        .order_by_asc(service_record::Column::Id)
        .all(&txn)
        .await?;
    let total: i64 = records.iter().map(|record| i64::from(record.minutes)).sum();
    let Ok(total @ 1..) = i32::try_from(total) else {
        txn.rollback().await?;
        return refuse(R::NoConfirmedService);
    };
    let certificate = service_certificate::ActiveModel {
        // 72 random bits: a number cannot be guessed, so verifying by number reveals nothing
        // about certificates one was not shown.
        number: Set(format!("GZ{}", random_token::<9>())),
        person_id: Set(person_id),
        organization_id: Set(organization_id),
        period_from: Set(from),
        period_to: Set(to),
        total_minutes: Set(total),
        status: Set(CertificateStatus::Issued),
        issued_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let listed = records
        .iter()
        .map(|record| certificate_record::ActiveModel {
            certificate_id: Set(certificate.id),
            service_record_id: Set(record.id),
            ..Default::default()
        });
    certificate_record::Entity::insert_many(listed)
        .exec(&txn)
        .await?;
    Transition::created(
        "issue_service_certificate",
        "service_certificate",
        certificate.id,
        CertificateStatus::Issued,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    let certificate = certificate_view(&txn, certificate).await?;
    txn.commit().await?;
    Ok(Outcome::done(certificate))
}

/// The certificate with this number, as anyone may see it.
pub async fn verify_certificate(
    db: &impl ConnectionTrait,
    number: &str,
) -> Result<Option<Certificate>, DbErr> {
    let Some(certificate) = service_certificate::Entity::find()
        .filter(service_certificate::Column::Number.eq(number.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    certificate_view(db, certificate).await.map(Some)
}

/// The services behind a certificate: its records, each with its corrections, one line per
/// attendance.
pub(super) async fn certificate_view(
    db: &impl ConnectionTrait,
    certificate: service_certificate::Model,
) -> Result<Certificate, DbErr> {
    let listed = Query::select()
        .column(certificate_record::Column::ServiceRecordId)
        .from(certificate_record::Entity)
        .and_where(certificate_record::Column::CertificateId.eq(certificate.id))
        .to_owned();
    let records = service_record::Entity::find()
        .filter(service_record::Column::Id.in_subquery(listed))
        .order_by_asc(service_record::Column::StartedAt)
        .order_by_asc(service_record::Column::Id)
        .all(db)
        .await?;
    let activity_ids: Vec<i64> = records
        .iter()
        .filter_map(|record| record.activity_id)
        .collect();
    let activities = volunteer_activity::Entity::find()
        .filter(volunteer_activity::Column::Id.is_in(activity_ids))
        .all(db)
        .await?;
    let mut services: Vec<(i64, CertifiedService)> = Vec::new();
    for record in records {
        let service = record.corrects_id.unwrap_or(record.id);
        if let Some((_, listed)) = services.iter_mut().find(|(id, _)| *id == service) {
            listed.minutes += i64::from(record.minutes);
            continue;
        }
        let activity_title = activities
            .iter()
            .find(|activity| Some(activity.id) == record.activity_id)
            .map(|activity| activity.title.clone());
        services.push((
            service,
            CertifiedService {
                activity_title,
                area: record.area,
                started_at: record.started_at,
                ended_at: record.ended_at,
                minutes: i64::from(record.minutes),
            },
        ));
    }
    Ok(Certificate {
        certificate,
        services: services.into_iter().map(|(_, service)| service).collect(),
    })
}
