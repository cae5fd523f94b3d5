//! Shapes of the data set: how counts are split into ranges and shared out over states, and
//! random picks of items and ids.

use std::ops::Range;

use rand::rngs::StdRng;
use rand::seq::{SliceRandom, index};

/// Splits `0..total` into `parts` consecutive ranges whose lengths differ by at most one, the
/// longer ones first: 620 grids over 86 communities gives 18 communities of 8 and 68 of 7.
pub(super) fn partition(total: usize, parts: usize) -> Vec<Range<usize>> {
    let (base, extra) = (total / parts, total % parts);
    let mut start = 0;
    (0..parts)
        .map(|part| {
            let len = base + usize::from(part < extra);
            start += len;
            start - len..start
        })
        .collect()
}

/// `total` values shared out in proportion to their weights, each at least once so that even a
/// small data set shows every state, in random order. The first share, the most common one,
/// absorbs the rounding.
pub(super) fn mix<T: Copy>(rng: &mut StdRng, total: usize, shares: &[(T, usize)]) -> Vec<T> {
    let weight: usize = shares.iter().map(|&(_, weight)| weight).sum();
    let mut counts: Vec<usize> = shares
        .iter()
        .map(|&(_, w)| (total * w / weight).max(1))
        .collect();
    let others: usize = counts[1..].iter().sum();
    counts[0] = total.saturating_sub(others).max(1);
    let mut values: Vec<T> = shares
        .iter()
        .zip(counts)
        .flat_map(|(&(value, _), count)| std::iter::repeat_n(value, count))
        .collect();
    values.shuffle(rng);
    values
}

/// `count` distinct items of `items`, at random (all of them if there are fewer).
pub(super) fn pick<T: Copy>(rng: &mut StdRng, items: &[T], count: usize) -> Vec<T> {
    index::sample(rng, items.len(), count.min(items.len()))
        .into_iter()
        .map(|i| items[i])
        .collect()
}

/// `count` distinct ids of `ids`, at random (all of them if there are fewer).
pub(super) fn pick_ids(rng: &mut StdRng, ids: Range<i64>, count: usize) -> Vec<i64> {
    let len = usize::try_from(ids.end - ids.start).unwrap_or(0);
    index::sample(rng, len, count.min(len))
        .into_iter()
        .map(|i| ids.start + i as i64)
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{mix, partition};
    use crate::seed::RNG_SEED;
    use crate::seed::wishes::WISH_MIX;

    #[test]
    fn partition_spreads_grids_over_communities() {
        let parts = partition(620, 86);
        assert_eq!(parts.len(), 86);
        assert_eq!(parts.last().map(|part| part.end), Some(620));
        assert!(parts.iter().all(|part| (7..=8).contains(&part.len())));
    }

    #[test]
    fn mix_shows_every_share_and_keeps_the_total() {
        let mut rng = StdRng::seed_from_u64(RNG_SEED);
        let wishes = mix(&mut rng, 60, WISH_MIX);
        assert_eq!(wishes.len(), 60);
        assert!(WISH_MIX.iter().all(|(status, _)| wishes.contains(status)));
    }
}
