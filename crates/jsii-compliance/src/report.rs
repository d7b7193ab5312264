//! The compliance report: one entry per case name of the jsii standard compliance suite.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The 123 case names of the jsii standard compliance suite (`tools/jsii-compliance/suite.ts`
/// in aws/jsii), sorted by byte order. A report names each exactly once.
pub const CASES: [&str; 123] = [
    "abstractMembersAreCorrectlyHandled",
    "arrayReturnedByMethodCanBeRead",
    "arrayReturnedByMethodCannotBeModified",
    "arrays",
    "asyncOverrides_callAsyncMethod",
    "asyncOverrides_overrideAsyncMethod",
    "asyncOverrides_overrideAsyncMethodByParentClass",
    "asyncOverrides_overrideCallsSuper",
    "asyncOverrides_overrideThrows",
    "asyncOverrides_twoOverrides",
    "callMethods",
    "callbackParameterIsInterface",
    "callbacksCorrectlyDeserializeArguments",
    "canLeverageIndirectInterfacePolymorphism",
    "canLoadEnumValues",
    "canObtainReferenceWithOverloadedSetter",
    "canObtainStructReferenceWithOverloadedSetter",
    "canOverrideProtectedGetter",
    "canOverrideProtectedMethod",
    "canOverrideProtectedSetter",
    "canUseInterfaceSetters",
    "classCanBeUsedWhenNotExpressedlyLoaded",
    "classWithPrivateConstructorAndAutomaticProperties",
    "classesCanSelfReferenceDuringClassInitialization",
    "collectionOfInterfaces_ListOfInterfaces",
    "collectionOfInterfaces_ListOfStructs",
    "collectionOfInterfaces_MapOfInterfaces",
    "collectionOfInterfaces_MapOfStructs",
    "collectionTypes",
    "consts",
    "correctlyDeserializesStructUnions",
    "createObjectAndCtorOverloads",
    "creationOfNativeObjectsFromJavaScriptObjects",
    "dates",
    "doNotOverridePrivates_method_private",
    "doNotOverridePrivates_method_public",
    "doNotOverridePrivates_property_by_name_private",
    "doNotOverridePrivates_property_by_name_public",
    "doNotOverridePrivates_property_getter_private",
    "doNotOverridePrivates_property_getter_public",
    "downcasting",
    "dynamicTypes",
    "equalsIsResistantToPropertyShadowingResultVariable",
    "eraseUnsetDataValues",
    "exceptionMessage",
    "exceptions",
    "fail_syncOverrides_callsDoubleAsync_method",
    "fail_syncOverrides_callsDoubleAsync_propertyGetter",
    "fail_syncOverrides_callsDoubleAsync_propertySetter",
    "fluentApi",
    "getAndSetEnumValues",
    "getAndSetNonPrimitiveProperties",
    "getSetPrimitiveProperties",
    "hashCodeIsResistantToPropertyShadowingResultVariable",
    "interfaceBuilder",
    "interfacesCanBeUsedTransparently_WhenAddedToJsiiType",
    "iso8601DoesNotDeserializeToDate",
    "liftedKwargWithSameNameAsPositionalArg",
    "listInClassCanBeReadCorrectly",
    "mapInClassCanBeReadCorrectly",
    "mapInClassCannotBeModified",
    "mapReturnedByMethodCanBeRead",
    "mapReturnedByMethodCannotBeModified",
    "maps",
    "nodeStandardLibrary",
    "nullShouldBeTreatedAsUndefined",
    "objRefsAreLabelledUsingWithTheMostCorrectType",
    "objectIdDoesNotGetReallocatedWhenTheConstructorPassesThisOut",
    "primitiveTypes",
    "propertyOverrides_get_calls_super",
    "propertyOverrides_get_set",
    "propertyOverrides_get_throws",
    "propertyOverrides_interfaces",
    "propertyOverrides_set_calls_super",
    "propertyOverrides_set_throws",
    "pureInterfacesCanBeUsedTransparently",
    "pureInterfacesCanBeUsedTransparently_WhenTransitivelyImplementing",
    "receiveInstanceOfPrivateClass",
    "reservedKeywordsAreSlugifiedInClassProperties",
    "reservedKeywordsAreSlugifiedInMethodNames",
    "reservedKeywordsAreSlugifiedInStructProperties",
    "returnAbstract",
    "returnSubclassThatImplementsInterface976",
    "staticListInClassCanBeReadCorrectly",
    "staticListInClassCannotBeModified",
    "staticMapInClassCanBeReadCorrectly",
    "staticMapInClassCannotBeModified",
    "statics",
    "strippedDeprecatedMemberCanBeReceived",
    "structsAreUndecoratedOntheWayToKernel",
    "structs_containsNullChecks",
    "structs_multiplePropertiesEquals",
    "structs_multiplePropertiesHashCode",
    "structs_nonOptionalequals",
    "structs_nonOptionalhashCode",
    "structs_optionalEquals",
    "structs_optionalHashCode",
    "structs_returnedLiteralEqualsNativeBuilt",
    "structs_serializeToJsii",
    "structs_stepBuilders",
    "structs_withDiamondInheritance_correctlyDedupeProperties",
    "subclassing",
    "syncOverrides",
    "syncOverrides_callsSuper",
    "testFluentApiWithDerivedClasses",
    "testInterfaceParameter",
    "testInterfaces",
    "testJSObjectLiteralToNative",
    "testJsiiAgent",
    "testLiteralInterface",
    "testNativeObjectsWithInterfaces",
    "testNullIsAValidOptionalList",
    "testNullIsAValidOptionalMap",
    "testStructsCanBeDowncastedToParentType",
    "undefinedAndNull",
    "unionProperties",
    "unionPropertiesWithBuilder",
    "unionTypes",
    "unmarshallIntoAbstractType",
    "useEnumFromScopedModule",
    "useNestedStruct",
    "variadicMethodCanBeInvoked",
    "voidReturningAsync",
];

/// The outcome of one case, as the suite spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The case ran and every assertion held.
    Success,
    /// The case failed, or cannot run yet; the reason names the limitation.
    Failure(String),
    /// The case does not apply to Rust; the reason says why.
    NotApplicable(String),
}

/// A report under construction.
#[derive(Debug, Default)]
pub struct Report {
    entries: BTreeMap<&'static str, Status>,
}

/// Why a report cannot be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    #[error("'{0}' is not a case of the jsii compliance suite")]
    UnknownCase(String),
    #[error("case '{0}' was recorded twice")]
    Duplicate(String),
    #[error("no status recorded for {} case(s): {}", .0.len(), .0.join(", "))]
    Missing(Vec<String>),
}

impl Report {
    /// Records the status of a case; each case once.
    pub fn record(&mut self, case: &str, status: Status) -> Result<(), ReportError> {
        let Some(name) = CASES.iter().find(|c| **c == case) else {
            return Err(ReportError::UnknownCase(case.to_owned()));
        };
        if self.entries.insert(name, status).is_some() {
            return Err(ReportError::Duplicate(case.to_owned()));
        }
        Ok(())
    }

    /// The report as the suite's JSON, keys in case-name order, or the cases left unrecorded.
    pub fn to_json(&self) -> Result<Value, ReportError> {
        let missing: Vec<String> = CASES
            .iter()
            .filter(|c| !self.entries.contains_key(*c))
            .map(|c| (*c).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(ReportError::Missing(missing));
        }
        let mut out = Map::new();
        for case in CASES {
            let entry = match &self.entries[case] {
                Status::Success => json!({ "status": "success" }),
                Status::Failure(reason) => json!({ "status": "failure", "reason": reason }),
                Status::NotApplicable(reason) => json!({ "status": "n/a", "reason": reason }),
            };
            out.insert(case.to_owned(), entry);
        }
        Ok(Value::Object(out))
    }

    /// How many cases have each status: (success, failure, n/a).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.entries
            .values()
            .fold((0, 0, 0), |(s, f, n), status| match status {
                Status::Success => (s + 1, f, n),
                Status::Failure(_) => (s, f + 1, n),
                Status::NotApplicable(_) => (s, f, n + 1),
            })
    }
}

/// The report rendered as committed: pretty JSON with a trailing newline.
pub fn render(report: &Value) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Line-by-line differences between two rendered reports (`-` committed, `+` fresh), per case.
pub fn diff(committed: &Value, fresh: &Value) -> Vec<String> {
    let empty = Map::new();
    let old = committed.as_object().unwrap_or(&empty);
    let new = fresh.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut lines = Vec::new();
    for key in keys {
        match (old.get(key), new.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                if let Some(a) = a {
                    lines.push(format!("- {key}: {a}"));
                }
                if let Some(b) = b {
                    lines.push(format!("+ {key}: {b}"));
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique_sorted_and_123() {
        let mut sorted = CASES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 123);
        assert_eq!(sorted, CASES.to_vec());
    }

    #[test]
    fn unknown_duplicate_and_missing_cases_are_errors() {
        let mut report = Report::default();
        assert_eq!(
            report.record("noSuchCase", Status::Success),
            Err(ReportError::UnknownCase("noSuchCase".into()))
        );
        report.record("statics", Status::Success).unwrap();
        assert_eq!(
            report.record("statics", Status::Success),
            Err(ReportError::Duplicate("statics".into()))
        );
        match report.to_json() {
            Err(ReportError::Missing(m)) => assert_eq!(m.len(), 122),
            other => panic!("expected missing cases, got {other:?}"),
        }
    }

    #[test]
    fn full_report_has_the_suite_format_and_diffs_by_case() {
        let mut report = Report::default();
        for case in CASES {
            report.record(case, Status::Success).unwrap();
        }
        let mut changed = Report::default();
        for case in CASES {
            let status = if case == "dates" {
                Status::Failure("broken".into())
            } else if case == "fluentApi" {
                Status::NotApplicable("no builders".into())
            } else {
                Status::Success
            };
            changed.record(case, status).unwrap();
        }
        assert_eq!(changed.counts(), (121, 1, 1));
        let a = report.to_json().unwrap();
        let b = changed.to_json().unwrap();
        assert_eq!(a["statics"], json!({"status": "success"}));
        assert_eq!(b["dates"], json!({"status": "failure", "reason": "broken"}));
        assert_eq!(
            b["fluentApi"],
            json!({"status": "n/a", "reason": "no builders"})
        );
        assert_eq!(diff(&a, &a), Vec::<String>::new());
        let d = diff(&a, &b);
        assert_eq!(d.len(), 4);
        assert!(d[0].starts_with("- dates"), "{d:?}");
        assert!(render(&a).ends_with("}\n"));
    }
}
