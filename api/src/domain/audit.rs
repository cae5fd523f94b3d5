//! The audit log: who, acting for which organisation, did what to what, and when.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use entities::audit_log::{self, ActorKind};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait,
};

use crate::auth::{Principal, PrincipalKind, SubjectRef};

/// Who acted, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    kind: ActorKind,
    id: Option<i64>,
    organization_id: Option<i64>,
    /// The token's subject, kept in the detail (an API client's id is a string).
    subject: Option<String>,
}

impl Actor {
    /// An operator at the server's command line (`gongzhi …`).
    pub fn operator() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            organization_id: None,
            subject: Some("command line".to_owned()),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(principal: &Principal) -> Self {
        let account = match principal.subject.as_deref().and_then(SubjectRef::parse) {
            Some(SubjectRef::Account(id)) => Some(id),
            _ => None,
        };
        let (kind, id) = match principal.kind {
            Some(PrincipalKind::Staff) => (ActorKind::Account, account),
            Some(PrincipalKind::Person) => (ActorKind::Person, principal.person_id),
            Some(PrincipalKind::Client) => (ActorKind::ApiClient, None),
            None => (ActorKind::System, None),
        };
        Self {
            kind,
            id,
            organization_id: principal.organizations().next(),
            subject: principal.subject.clone(),
        }
    }
}

/// The people whose personal data a request showed unmasked, collected while it runs and
/// written to the audit log once it is done.
#[derive(Debug, Clone, Default)]
pub struct PersonalDataReads(Arc<Mutex<BTreeSet<i64>>>);

impl PersonalDataReads {
    pub fn record(&self, person_id: i64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(person_id);
    }

    fn take(&self) -> BTreeSet<i64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Writes one audit record per person read, all in one statement.
    pub async fn write(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        operation: Option<&str>,
        request_id: &str,
    ) -> Result<(), DbErr> {
        let people = self.take();
        if people.is_empty() {
            return Ok(());
        }
        let detail =
            serde_json::json!({ "subject": actor.subject, "operation": operation }).to_string();
        let now = Utc::now();
        let records = people.into_iter().map(|person_id| audit_log::ActiveModel {
            occurred_at: Set(now),
            actor_kind: Set(actor.kind),
            actor_id: Set(actor.id),
            organization_id: Set(actor.organization_id),
            action: Set("read_personal_data".to_owned()),
            entity_type: Set("person".to_owned()),
            entity_id: Set(Some(person_id)),
            detail: Set(Some(detail.clone())),
            request_id: Set(Some(request_id.to_owned())),
            ..Default::default()
        });
        audit_log::Entity::insert_many(records)
            .exec(db)
            .await
            .map(drop)
    }
}

/// Records a failed sign-in: a wrong password for the username `tried` (`credential`
/// "account") or a wrong secret for the client id `tried` ("api_client"), from `address`. No
/// one is the actor: the server records what it refused. `tried` is kept to its first 200
/// characters.
pub async fn failed_sign_in(
    db: &impl ConnectionTrait,
    credential: &'static str,
    tried: &str,
    address: IpAddr,
    request_id: &str,
) -> Result<(), DbErr> {
    let tried: String = tried.chars().take(200).collect();
    let detail = serde_json::json!({ "tried": tried, "address": address.to_string() });
    audit_log::ActiveModel {
        occurred_at: Set(Utc::now()),
        actor_kind: Set(ActorKind::System),
        action: Set("sign_in_failed".to_owned()),
        entity_type: Set(credential.to_owned()),
        detail: Set(Some(detail.to_string())),
        request_id: Set(Some(request_id.to_owned())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(drop)
}

/// A change of an object's state, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Transition {
    action: &'static str,
    entity_type: &'static str,
    entity_id: i64,
    /// `None` when the change created the object.
    from: Option<String>,
    /// `None` for an object without states.
    to: Option<String>,
}

impl Transition {
    /// `entity_type` row `entity_id` moving from state `from` to `to` by `action`.
    pub fn new<S: ActiveEnum<Value = String>>(
        action: &'static str,
        entity_type: &'static str,
        entity_id: i64,
        from: S,
        to: S,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            from: Some(from.to_value()),
            to: Some(to.to_value()),
        }
    }

    /// `entity_type` row `entity_id` created in state `state` by `action`.
    pub fn created<S: ActiveEnum<Value = String>>(
        action: &'static str,
        entity_type: &'static str,
        entity_id: i64,
        state: S,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            from: None,
            to: Some(state.to_value()),
        }
    }

    /// `action` on `entity_type` row `entity_id`, an object without states.
    pub fn on(action: &'static str, entity_type: &'static str, entity_id: i64) -> Self {
        Self {
            action,
            entity_type,
            entity_id,
            from: None,
            to: None,
        }
    }

    /// Writes the record in the transaction of the change itself.
    pub async fn record(self, db: &impl ConnectionTrait, actor: &Actor) -> Result<(), DbErr> {
        self.into_model(actor).insert(db).await.map(drop)
    }

    /// Writes the records of many changes by one actor in one statement per chunk, for bulk
    /// operations whose changes would otherwise cost a round trip each.
    pub async fn record_all(
        transitions: Vec<Self>,
        db: &impl ConnectionTrait,
        actor: &Actor,
    ) -> Result<(), DbErr> {
        // Well below SQLite's limit of bound parameters per statement.
        const CHUNK: usize = 500;
        let mut models = transitions
            .into_iter()
            .map(|transition| transition.into_model(actor));
        loop {
            let chunk: Vec<_> = models.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            audit_log::Entity::insert_many(chunk).exec(db).await?;
        }
    }

    fn into_model(self, actor: &Actor) -> audit_log::ActiveModel {
        let detail = serde_json::json!({ "subject": actor.subject }).to_string();
        audit_log::ActiveModel {
            occurred_at: Set(Utc::now()),
            actor_kind: Set(actor.kind),
            actor_id: Set(actor.id),
            organization_id: Set(actor.organization_id),
            action: Set(self.action.to_owned()),
            entity_type: Set(self.entity_type.to_owned()),
            entity_id: Set(Some(self.entity_id)),
            from_state: Set(self.from),
            to_state: Set(self.to),
            detail: Set(Some(detail)),
            ..Default::default()
        }
    }
}
