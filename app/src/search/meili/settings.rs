//! The index settings: what Meilisearch builds for every document, chosen
//! for indexing speed at the benchmark's 10M messages, and how they are
//! applied.
//!
//! A settings update makes Meilisearch rebuild the whole index, and its
//! task queue runs one task at a time: at 10M documents that took minutes
//! in which no message was indexed. Every node configures the index when it
//! starts, so [`Meili::configure_index`] compares first and updates only
//! what Meilisearch holds differently.

use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode, MeilisearchError};
use meilisearch_sdk::settings::{
    FilterFeatureModes, FilterFeatures, FilterableAttribute, FilterableAttributesSettings, Settings,
};
use serde_json::Value;

use super::client::{Error, Meili};

/// Attributes filters may use.
pub const FILTERABLE: [&str; 9] =
    ["workspace", "channel", "user", "created_at", "has_file", "has_image", "has_link", "is_thread", "gen"];

/// The index settings, chosen for indexing speed (the benchmark's 10M):
/// only what filters need is built (no facet search; range comparisons only
/// on `created_at` and `gen`), and word proximity is per attribute, so the
/// word-pair database (the costliest part of indexing) is not built. Short
/// messages lose nearly nothing in ranking; quoted phrases, which that makes
/// approximate, are checked word by word after the search
/// ([`super::phrases`]).
pub fn settings() -> Settings {
    let only = |attrs: &[&str], comparison: bool| {
        FilterableAttribute::Settings(FilterableAttributesSettings {
            attribute_patterns: attrs.iter().map(|a| a.to_string()).collect(),
            features: FilterFeatures {
                facet_search: false,
                filter: FilterFeatureModes { equality: true, comparison },
            },
        })
    };
    let (ranges, equal): (Vec<&str>, Vec<&str>) =
        FILTERABLE.iter().partition(|a| **a == "created_at" || **a == "gen");
    Settings::new()
        .with_filterable_attributes_advanced([only(&equal, false), only(&ranges, true)])
        .with_sortable_attributes(["created_at"])
        .with_searchable_attributes(["text"])
        .with_proximity_precision("byAttribute")
}

/// Whether `have` (Meilisearch's settings) already holds every setting
/// `want` sets. Lists compare as sets, except the searchable attributes,
/// whose order ranks.
pub fn holds(have: &Settings, want: &Settings) -> bool {
    let (Ok(Value::Object(have)), Ok(Value::Object(want))) =
        (serde_json::to_value(have), serde_json::to_value(want))
    else {
        return false;
    };
    want.iter().all(|(k, v)| {
        let ordered = k == "searchableAttributes";
        have.get(k).is_some_and(|h| normal(h, ordered) == normal(v, ordered))
    })
}

/// `v` with every list sorted (unless `ordered`), so equal sets compare equal.
fn normal(v: &Value, ordered: bool) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|i| normal(i, false)).collect();
            if !ordered {
                items.sort_by_key(|i| i.to_string());
            }
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normal(v, false))).collect()),
        other => other.clone(),
    }
}

impl Meili {
    /// Creates index `name` if needed and applies [`settings`] where
    /// Meilisearch holds something else (see the module docs); returns
    /// whether anything was changed. When something was, Meilisearch
    /// reindexes in the background and the old state answers meanwhile.
    pub async fn configure_index(&self, name: &str) -> Result<bool, Error> {
        let index = self.client.index(name);
        let mut changed = false;
        match self.client.get_index(name).await {
            Ok(_) => {}
            Err(MeiliError::Meilisearch(MeilisearchError {
                error_code: ErrorCode::IndexNotFound, ..
            })) => {
                let created = self.client.create_index(name, Some("id")).await?;
                // "index_already_exists" (another node was first) is a failed task, which is fine here.
                let _ = self.wait(created).await;
                changed = true;
            }
            Err(e) => return Err(e.into()),
        }
        let want = settings();
        if !holds(&index.get_settings().await?, &want) {
            self.wait(index.set_settings(&want).await?).await?;
            changed = true;
        }
        if index.get_facet_search().await? {
            self.wait(index.set_facet_search(false).await?).await?;
            changed = true;
        }
        Ok(changed)
    }

    /// Creates and configures the live index; whether anything changed.
    pub async fn configure(&self) -> Result<bool, Error> {
        self.configure_index(self.index()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_settings_in_another_order_are_held_and_a_different_one_is_not() {
        let want = settings();
        assert!(holds(&want, &want));
        let mut reordered = want.clone();
        reordered.filterable_attributes.as_mut().unwrap().reverse();
        reordered = reordered.with_sortable_attributes(["created_at"]);
        assert!(holds(&reordered, &want));
        // Settings Meilisearch holds beyond the ones we set do not matter.
        assert!(holds(&reordered.clone().with_stop_words(["the"]), &want));
        assert!(!holds(&want.clone().with_proximity_precision("byWord"), &want));
        assert!(!holds(&want.clone().with_searchable_attributes(["text", "user_name"]), &want));
        assert!(!holds(&want.clone().with_filterable_attributes(["workspace"]), &want));
        // A setting we set that Meilisearch does not report is not held.
        assert!(!holds(&Settings::new(), &want));
    }
}
