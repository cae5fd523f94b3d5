//! Lists whose items are resolved in one pass.
//!
//! async-graphql resolves a list of more than 30 items through `FuturesOrdered`, which hands
//! control back to the runtime every 32 items; a loader waiting for its batch may then run with
//! only the first items' keys and load the rest in further batches. A page of up to 100 items
//! resolved here polls every item before yielding, so each loader sees the whole page's keys and
//! a query's SQL statement count stays the same whatever its page size.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use futures::future::{MaybeDone, maybe_done, poll_fn};

/// A list of `T` whose items are resolved together, in one pass.
pub struct AllAtOnce<T>(pub Vec<T>);

impl<T: OutputType> OutputType for AllAtOnce<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let items = self.0.iter().enumerate().map(|(index, item)| {
            let ctx = ctx.with_index(index);
            Box::pin(async move {
                item.resolve(&ctx, field)
                    .await
                    .map_err(|err| ctx.set_error_path(err))
            })
        });
        let values = join_in_one_pass(items).await;
        Ok(Value::List(
            values.into_iter().collect::<ServerResult<Vec<Value>>>()?,
        ))
    }
}

/// Polls every future on each wake-up until all are done, never yielding in between.
async fn join_in_one_pass<F>(futures: impl Iterator<Item = Pin<Box<F>>>) -> Vec<F::Output>
where
    F: Future + ?Sized,
{
    let mut pending: Vec<MaybeDone<Pin<Box<F>>>> = futures.map(maybe_done).collect();
    poll_fn(|cx| {
        let mut all_done = true;
        for future in &mut pending {
            all_done &= Pin::new(future).poll(cx).is_ready();
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    pending
        .iter_mut()
        .filter_map(|future| Pin::new(future).take_output())
        .collect()
}
