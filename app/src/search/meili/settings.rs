//! The index settings: what Meilisearch builds for every document, chosen
//! for indexing speed at the benchmark's 10M messages.

use meilisearch_sdk::settings::{
    FilterFeatureModes, FilterFeatures, FilterableAttribute, FilterableAttributesSettings, Settings,
};

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
