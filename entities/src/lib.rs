//! SeaORM entities of Gongzhi: one module per table. They hold data only; the rules live in the
//! API crate's domain services. The one behaviour here is bookkeeping: a table with an
//! `updated_at` has it set by every insert and update through an active model (see
//! [`keeps_updated_at`]); statements that update many rows set it themselves.

/// Implements `ActiveModelBehavior` so that an insert or an update through the active model sets
/// `updated_at` to now, unless the caller set it to a value of its own.
macro_rules! keeps_updated_at {
    () => {
        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                // Not set by the caller: absent, or unchanged from the model it was read as.
                if !self.updated_at.is_set() {
                    self.updated_at = sea_orm::ActiveValue::Set(sea_orm::prelude::ChronoUtc::now());
                }
                Ok(self)
            }
        }
    };
}
pub(crate) use keeps_updated_at;

pub mod account;
pub mod activity_signup;
pub mod admin_unit;
pub mod api_client;
pub mod audit_log;
pub mod certificate_record;
pub mod checkin_code;
pub mod department;
pub mod feedback_report;
pub mod household;
pub mod idempotency_key;
pub mod member_registration;
pub mod member_report;
pub mod micro_wish;
pub mod org_registration;
pub mod organization;
pub mod party_member;
pub mod person;
pub mod points_entry;
pub mod post_claim;
pub mod refresh_token;
pub mod role_grant;
pub mod service_centre;
pub mod service_certificate;
pub mod service_post;
pub mod service_record;
pub mod staff_assignment;
pub mod team_member;
pub mod trusted_document;
pub mod volunteer_activity;
pub mod volunteer_team;
pub mod wish_claim;
