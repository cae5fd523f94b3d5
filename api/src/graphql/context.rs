//! What every resolver gets: the database, the caller, and the request's loaders.

use std::future::{Future, poll_fn};
use std::hash::Hash;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, ErrorExtensions};
use entities::admin_unit;
use futures::StreamExt;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr};

use super::errors::OrGql;
use super::ids::NodeType;
use super::lists::List;
use super::loaders::{ById, ChildrenOf, Loaders};
use crate::auth::{Principal, STAFF_ROLES};
use crate::domain::audit::PersonalDataReads;
use crate::domain::permissions::grants_cover;
use crate::domain::statistics::FiguresCache;
use crate::domain::transaction::Db;
use crate::error::ApiError;

/// The per-request state resolvers read; loaders cache what they load for this request only,
/// scoped to this caller.
pub struct RequestContext {
    /// The pool, for the transactions of mutations.
    pub pool: DatabaseConnection,
    /// The request's share of the pool, for everything it reads.
    pub db: Db,
    pub principal: Principal,
    pub loader: DataLoader<Loaders, HashMapCache>,
    /// The people whose personal data this request shows unmasked, for the audit log.
    pub personal_data_reads: PersonalDataReads,
}

impl RequestContext {
    /// The context of one request, and the driver that runs its loaders' batches. The request
    /// uses at most `connections` of the pool at once, and shares the instance's `figures`.
    pub fn new(
        pool: DatabaseConnection,
        connections: usize,
        principal: Principal,
        personal_data_reads: PersonalDataReads,
        figures: Arc<FiguresCache>,
    ) -> (Self, BatchDriver) {
        let db = Db::share(&pool, connections);
        let loaders = Loaders::new(db.clone(), principal.clone(), figures);
        let (sender, batches) = mpsc::unbounded::<BoxFuture<'static, ()>>();
        let spawn_on_request = move |batch| {
            // Fails only once the request is over, when nobody waits for the batch any more.
            let _ = sender.unbounded_send(batch);
        };
        let loader = DataLoader::with_cache(loaders, spawn_on_request, HashMapCache::default())
            .delay(Duration::ZERO);
        (
            Self {
                pool,
                db,
                principal,
                loader,
                personal_data_reads,
            },
            BatchDriver { batches },
        )
    }

    /// Whatever the request's loaders hold under `key`, loaded in one batch with its siblings.
    pub async fn fetch<K>(
        &self,
        key: K,
    ) -> async_graphql::Result<Option<<Loaders as Loader<K>>::Value>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        Loaders: Loader<K, Error = Arc<DbErr>>,
    {
        self.loader
            .load_one(key)
            .await
            .map_err(|err| ApiError::from_db(&err).extend())
    }

    /// The node with this id, if it exists and the caller may see it.
    pub async fn load<N: NodeType>(&self, id: i64) -> async_graphql::Result<Option<N>> {
        Ok(self
            .fetch(ById::<N::Entity>::new(id))
            .await?
            .map(N::from_model))
    }

    /// Like [`load`](Self::load), for an optional reference.
    pub async fn load_opt<N: NodeType>(&self, id: Option<i64>) -> async_graphql::Result<Option<N>> {
        match id {
            Some(id) => self.load(id).await,
            None => Ok(None),
        }
    }

    /// Whether the caller is staff of the unit `unit_id` or of a unit above it: who may read the
    /// fields of an object that belong to its own area (who acted on a wish, how a community
    /// reviewed an organisation). Loads the unit only for a caller with a staff grant.
    pub async fn staff_covers(&self, unit_id: i64) -> async_graphql::Result<bool> {
        if self.principal.units_with(STAFF_ROLES).next().is_none() {
            return Ok(false);
        }
        let unit = self.fetch(ById::<admin_unit::Entity>::new(unit_id)).await?;
        Ok(unit.is_some_and(|unit| grants_cover(&self.principal, STAFF_ROLES, &unit)))
    }

    /// The rows whose `column` references `parent`, in id order, as the caller may see them:
    /// the first `first` (see [`List::items`]) of at most `list`'s maximum.
    pub async fn children<N: NodeType>(
        &self,
        column: <N::Entity as sea_orm::EntityTrait>::Column,
        parent: i64,
        list: List,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<N>>
    where
        <N::Entity as sea_orm::EntityTrait>::Column: ColumnTrait,
    {
        let items = list.items(first).or_gql()?;
        self.first_children(ChildrenOf::new(column, parent, list.limit()), items)
            .await
    }

    /// The first `items` of the rows `key` names (see [`ChildrenOf`]).
    pub async fn first_children<N: NodeType>(
        &self,
        key: ChildrenOf<N::Entity>,
        items: usize,
    ) -> async_graphql::Result<Vec<N>> {
        let rows = self.fetch(key).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .take(items)
            .map(N::from_model)
            .collect())
    }
}

/// Runs a request's loader batches on the request's own task.
///
/// A batch starts only after the executor has made a whole pass over the fields it can
/// resolve, so it holds every key of that pass: batching does not depend on timing, and a batch
/// costs no timer and no hop to another thread.
pub struct BatchDriver {
    batches: mpsc::UnboundedReceiver<BoxFuture<'static, ()>>,
}

impl BatchDriver {
    /// Runs `execution` to completion, with the batches it starts.
    pub async fn drive<F: Future>(self, execution: F) -> F::Output {
        let batches = self.batches.for_each_concurrent(None, |batch| batch);
        let mut execution = pin!(execution);
        let mut batches = pin!(batches);
        poll_fn(|cx| {
            if let Poll::Ready(output) = execution.as_mut().poll(cx) {
                return Poll::Ready(output);
            }
            // Ends only when the loaders are gone, that is, never before the execution.
            let _ = batches.as_mut().poll(cx);
            Poll::Pending
        })
        .await
    }
}

pub trait ContextExt {
    fn request(&self) -> async_graphql::Result<&RequestContext>;
}

impl ContextExt for Context<'_> {
    fn request(&self) -> async_graphql::Result<&RequestContext> {
        self.data::<RequestContext>()
    }
}
