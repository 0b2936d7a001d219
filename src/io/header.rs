//! What the file headers share: the size limit, and a JSON object parsed with its keys in file order and
//! duplicates kept (serde_json's own map would sort them and silently keep the last duplicate).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A header longer than this (100 MB, as in the reference safetensors parser) is rejected as absurd.
pub(crate) const HEADER_LIMIT: u64 = 100_000_000;

/// A JSON object's members in file order, duplicates included.
pub(crate) struct OrderedObject(pub(crate) Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = OrderedObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(OrderedObject(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}
