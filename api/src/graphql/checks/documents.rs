//! The documents an instance checked lately, by their SHA-256: least recently used first out,
//! within a budget of (estimated) bytes of memory. A document is immutable under its hash, so what one request
//! checked is as good for every later one, whoever sends it; each instance keeps its own, and
//! one that has not seen a document checks it (or, sent by its hash alone, asks for its text).

use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;

use super::Prepared;
use crate::domain::trusted_documents::DocumentId;

#[derive(Debug)]
pub(super) struct Documents {
    budget: usize,
    remembered: Mutex<Remembered>,
}

#[derive(Debug)]
struct Remembered {
    documents: LruCache<DocumentId, Arc<Prepared>>,
    bytes: usize,
}

impl Documents {
    /// A cache of `budget` bytes; none at all for 0.
    pub(super) fn new(budget: usize) -> Self {
        Self {
            budget,
            remembered: Mutex::new(Remembered {
                documents: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    pub(super) fn get(&self, id: DocumentId) -> Option<Arc<Prepared>> {
        self.lock().documents.get(&id).cloned()
    }

    /// Remembers a document, forgetting the least recently used ones to make room; one larger
    /// than the whole budget is not remembered.
    pub(super) fn put(&self, prepared: Arc<Prepared>) {
        let added = prepared.weight();
        if added > self.budget {
            return;
        }
        let mut remembered = self.lock();
        if let Some(replaced) = remembered.documents.put(prepared.id(), prepared) {
            remembered.bytes -= replaced.weight();
        }
        remembered.bytes += added;
        while remembered.bytes > self.budget {
            let Some((_, forgotten)) = remembered.documents.pop_lru() else {
                break;
            };
            remembered.bytes -= forgotten.weight();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // The cache holds no invariant a panicking holder could break halfway.
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
