//! The jsii standard compliance suite, run against the project's own fixture library.
//!
//! One test: it compiles the fixture with the pinned jsii compiler, starts one kernel, loads
//! both assemblies, runs every case, writes the report in the suite's format and compares it
//! with the committed `compliance-report.json` (any difference fails, with a per-case diff;
//! `UPDATE_COMPLIANCE_REPORT=1` rewrites the committed file instead).
//!
//! A case is reported `success` only when it ran and at least one of its assertions held
//! (`Cx` counts them). Each case is one of:
//! * `Wire`: the behaviour is the host runtime's own (the protocol, callbacks, errors, the
//!   kernel process), so a test through the host API is the honest mapping;
//! * `Binding`: the behaviour is about the generated Rust surface (typed structs, enums,
//!   traits, names). Until the fixture's generated bindings are in use, it is a `failure`
//!   naming what the bindings must provide; its host-API test still runs, and the reason says
//!   whether the underlying behaviour worked;
//! * `NotApplicable`: with the reason Rust has no such concept.

mod raw;
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use jsii::{Kernel, KernelConfig};
use jsii_compliance::fixture::{self, Toolchain};
use jsii_compliance::report::{self, Report, Status};

use raw::RawCase;
use support::Cx;

enum Entry {
    Wire(RawCase),
    Binding(RawCase, &'static str),
    /// A binding-level case with no host-API counterpart (e.g. equality of Rust structs).
    Pending(&'static str),
    NotApplicable(&'static str),
}

use Entry::{Binding, NotApplicable, Pending, Wire};

const NEEDS_STRUCTS: &str =
    "needs generated struct types (fields, Option for optional, PartialEq, serialisation)";
const NEEDS_CLASSES: &str = "needs generated class handles with typed methods and properties";
const NEEDS_ENUMS: &str = "needs generated Rust enums for jsii enums";
const NEEDS_UNIONS: &str = "needs generated Rust enums for jsii unions";
const NEEDS_TRAITS: &str = "needs generated interface traits implementable by Rust types";
const NEEDS_OVERRIDES: &str =
    "needs generated override traits so a Rust type can subclass a jsii class";
const NEEDS_COLLECTIONS: &str = "needs generated typed collections (Vec, BTreeMap) of values";
const NEEDS_DOWNCAST: &str = "needs a generated checked cast from a handle to a derived type";
const NEEDS_NAMES: &str = "needs generated names with Rust keywords escaped (r#type, r#match)";

const IMMUTABLE: &str = "Rust returns collections as owned values (Vec, BTreeMap): the caller's \
     copy, mutable only through a `mut` binding and never aliasing the kernel's, so there is no \
     write that could be silently lost (Java's unmodifiable views have no Rust counterpart)";
const HASH: &str = "hashCode is the Java/.NET object protocol; Rust structs with f64 or JSON \
     fields cannot implement Hash, and equality is covered by the structs_*Equals cases";

fn cases() -> Vec<(&'static str, Entry)> {
    use raw::*;
    vec![
        // kernel
        ("callMethods", Binding(call_methods, NEEDS_CLASSES)),
        (
            "getSetPrimitiveProperties",
            Binding(get_set_primitive_properties, NEEDS_CLASSES),
        ),
        (
            "getAndSetNonPrimitiveProperties",
            Binding(get_and_set_non_primitive_properties, NEEDS_CLASSES),
        ),
        (
            "createObjectAndCtorOverloads",
            Binding(create_object_and_ctor_overloads, NEEDS_CLASSES),
        ),
        (
            "fluentApi",
            NotApplicable(
                "jsii structs are plain Rust structs built with a struct literal (and `..Default::default()`); there is no fluent builder to chain, as in Go",
            ),
        ),
        (
            "testFluentApiWithDerivedClasses",
            Binding(test_fluent_api_with_derived_classes, NEEDS_CLASSES),
        ),
        ("statics", Binding(statics, NEEDS_CLASSES)),
        ("consts", Binding(consts, NEEDS_CLASSES)),
        (
            "variadicMethodCanBeInvoked",
            Binding(variadic_method_can_be_invoked, NEEDS_CLASSES),
        ),
        (
            "classWithPrivateConstructorAndAutomaticProperties",
            Binding(
                class_with_private_constructor_and_automatic_properties,
                NEEDS_CLASSES,
            ),
        ),
        ("nodeStandardLibrary", Wire(node_standard_library)),
        ("testJsiiAgent", Wire(test_jsii_agent)),
        (
            "strippedDeprecatedMemberCanBeReceived",
            Wire(stripped_deprecated_member_can_be_received),
        ),
        // values
        ("primitiveTypes", Binding(primitive_types, NEEDS_CLASSES)),
        ("dynamicTypes", Wire(dynamic_types)),
        ("dates", Binding(dates, NEEDS_CLASSES)),
        (
            "iso8601DoesNotDeserializeToDate",
            Wire(iso8601_does_not_deserialize_to_date),
        ),
        (
            "getAndSetEnumValues",
            Binding(get_and_set_enum_values, NEEDS_ENUMS),
        ),
        (
            "canLoadEnumValues",
            Binding(can_load_enum_values, NEEDS_ENUMS),
        ),
        (
            "useEnumFromScopedModule",
            Binding(use_enum_from_scoped_module, NEEDS_ENUMS),
        ),
        ("undefinedAndNull", Wire(undefined_and_null)),
        (
            "nullShouldBeTreatedAsUndefined",
            Wire(null_should_be_treated_as_undefined),
        ),
        // collections
        (
            "collectionTypes",
            Binding(collection_types, NEEDS_COLLECTIONS),
        ),
        ("arrays", Binding(arrays, NEEDS_COLLECTIONS)),
        ("maps", Binding(maps, NEEDS_COLLECTIONS)),
        (
            "arrayReturnedByMethodCanBeRead",
            Binding(array_returned_by_method_can_be_read, NEEDS_COLLECTIONS),
        ),
        (
            "arrayReturnedByMethodCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "mapReturnedByMethodCanBeRead",
            Binding(map_returned_by_method_can_be_read, NEEDS_COLLECTIONS),
        ),
        (
            "mapReturnedByMethodCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "listInClassCanBeReadCorrectly",
            Binding(list_in_class_can_be_read_correctly, NEEDS_COLLECTIONS),
        ),
        (
            "mapInClassCanBeReadCorrectly",
            Binding(map_in_class_can_be_read_correctly, NEEDS_COLLECTIONS),
        ),
        ("mapInClassCannotBeModified", NotApplicable(IMMUTABLE)),
        (
            "staticListInClassCanBeReadCorrectly",
            Binding(
                static_list_in_class_can_be_read_correctly,
                NEEDS_COLLECTIONS,
            ),
        ),
        (
            "staticListInClassCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "staticMapInClassCanBeReadCorrectly",
            Binding(static_map_in_class_can_be_read_correctly, NEEDS_COLLECTIONS),
        ),
        ("staticMapInClassCannotBeModified", NotApplicable(IMMUTABLE)),
        (
            "testNullIsAValidOptionalList",
            Binding(test_null_is_a_valid_optional_list, NEEDS_COLLECTIONS),
        ),
        (
            "testNullIsAValidOptionalMap",
            Binding(test_null_is_a_valid_optional_map, NEEDS_COLLECTIONS),
        ),
        (
            "collectionOfInterfaces_ListOfStructs",
            Binding(collection_of_interfaces_list_of_structs, NEEDS_STRUCTS),
        ),
        (
            "collectionOfInterfaces_MapOfStructs",
            Binding(collection_of_interfaces_map_of_structs, NEEDS_STRUCTS),
        ),
        (
            "collectionOfInterfaces_ListOfInterfaces",
            Binding(collection_of_interfaces_list_of_interfaces, NEEDS_TRAITS),
        ),
        (
            "collectionOfInterfaces_MapOfInterfaces",
            Binding(collection_of_interfaces_map_of_interfaces, NEEDS_TRAITS),
        ),
        // structs
        (
            "structs_serializeToJsii",
            Binding(structs_serialize_to_jsii, NEEDS_STRUCTS),
        ),
        (
            "structsAreUndecoratedOntheWayToKernel",
            Wire(structs_are_undecorated_on_the_way_to_kernel),
        ),
        (
            "structs_returnedLiteralEqualsNativeBuilt",
            Pending(NEEDS_STRUCTS),
        ),
        (
            "structs_stepBuilders",
            NotApplicable(
                "Rust builds a struct with one struct literal, every required field checked by the compiler; there are no step builders, as in Go",
            ),
        ),
        (
            "structs_containsNullChecks",
            Pending(
                "needs generated structs whose required fields are not Option (a missing one does not compile)",
            ),
        ),
        ("structs_nonOptionalequals", Pending(NEEDS_STRUCTS)),
        ("structs_nonOptionalhashCode", NotApplicable(HASH)),
        ("structs_optionalEquals", Pending(NEEDS_STRUCTS)),
        ("structs_optionalHashCode", NotApplicable(HASH)),
        ("structs_multiplePropertiesEquals", Pending(NEEDS_STRUCTS)),
        ("structs_multiplePropertiesHashCode", NotApplicable(HASH)),
        (
            "structs_withDiamondInheritance_correctlyDedupeProperties",
            Binding(
                structs_with_diamond_inheritance_correctly_dedupe_properties,
                NEEDS_STRUCTS,
            ),
        ),
        (
            "testStructsCanBeDowncastedToParentType",
            Binding(test_structs_can_be_downcasted_to_parent_type, NEEDS_STRUCTS),
        ),
        ("useNestedStruct", Binding(use_nested_struct, NEEDS_STRUCTS)),
        ("eraseUnsetDataValues", Wire(erase_unset_data_values)),
        (
            "liftedKwargWithSameNameAsPositionalArg",
            Binding(lifted_kwarg_with_same_name_as_positional_arg, NEEDS_STRUCTS),
        ),
        (
            "equalsIsResistantToPropertyShadowingResultVariable",
            Pending(NEEDS_STRUCTS),
        ),
        (
            "hashCodeIsResistantToPropertyShadowingResultVariable",
            NotApplicable(HASH),
        ),
        // references
        ("subclassing", Binding(subclassing, NEEDS_OVERRIDES)),
        (
            "creationOfNativeObjectsFromJavaScriptObjects",
            Binding(
                creation_of_native_objects_from_java_script_objects,
                "needs the bindings to map a host object's kernel reference back to the same Rust value",
            ),
        ),
        (
            "testNativeObjectsWithInterfaces",
            Binding(test_native_objects_with_interfaces, NEEDS_TRAITS),
        ),
        (
            "objectIdDoesNotGetReallocatedWhenTheConstructorPassesThisOut",
            Wire(object_id_does_not_get_reallocated_when_the_constructor_passes_this_out),
        ),
        (
            "classesCanSelfReferenceDuringClassInitialization",
            Binding(
                classes_can_self_reference_during_class_initialization,
                NEEDS_CLASSES,
            ),
        ),
        (
            "objRefsAreLabelledUsingWithTheMostCorrectType",
            Binding(
                obj_refs_are_labelled_using_with_the_most_correct_type,
                NEEDS_DOWNCAST,
            ),
        ),
        (
            "receiveInstanceOfPrivateClass",
            Binding(receive_instance_of_private_class, NEEDS_TRAITS),
        ),
        ("returnAbstract", Binding(return_abstract, NEEDS_CLASSES)),
        (
            "unmarshallIntoAbstractType",
            Binding(unmarshall_into_abstract_type, NEEDS_CLASSES),
        ),
        (
            "returnSubclassThatImplementsInterface976",
            Binding(return_subclass_that_implements_interface976, NEEDS_TRAITS),
        ),
        (
            "testJSObjectLiteralToNative",
            Binding(test_js_object_literal_to_native, NEEDS_CLASSES),
        ),
        (
            "classCanBeUsedWhenNotExpressedlyLoaded",
            Wire(class_can_be_used_when_not_expressedly_loaded),
        ),
        ("downcasting", Binding(downcasting, NEEDS_DOWNCAST)),
        // interfaces
        ("testInterfaces", Binding(test_interfaces, NEEDS_TRAITS)),
        (
            "testInterfaceParameter",
            Binding(test_interface_parameter, NEEDS_TRAITS),
        ),
        (
            "testLiteralInterface",
            Binding(test_literal_interface, NEEDS_TRAITS),
        ),
        (
            "canUseInterfaceSetters",
            Binding(can_use_interface_setters, NEEDS_TRAITS),
        ),
        ("interfaceBuilder", Binding(interface_builder, NEEDS_TRAITS)),
        (
            "pureInterfacesCanBeUsedTransparently",
            Binding(pure_interfaces_can_be_used_transparently, NEEDS_TRAITS),
        ),
        (
            "pureInterfacesCanBeUsedTransparently_WhenTransitivelyImplementing",
            Binding(
                pure_interfaces_can_be_used_transparently_when_transitively_implementing,
                NEEDS_TRAITS,
            ),
        ),
        (
            "interfacesCanBeUsedTransparently_WhenAddedToJsiiType",
            Binding(
                interfaces_can_be_used_transparently_when_added_to_jsii_type,
                NEEDS_OVERRIDES,
            ),
        ),
        (
            "canLeverageIndirectInterfacePolymorphism",
            Binding(can_leverage_indirect_interface_polymorphism, NEEDS_TRAITS),
        ),
        (
            "callbackParameterIsInterface",
            Binding(callback_parameter_is_interface, NEEDS_TRAITS),
        ),
        // unions
        ("unionTypes", Binding(union_types, NEEDS_UNIONS)),
        ("unionProperties", Binding(union_properties, NEEDS_UNIONS)),
        (
            "unionPropertiesWithBuilder",
            Binding(union_properties_with_builder, NEEDS_UNIONS),
        ),
        (
            "correctlyDeserializesStructUnions",
            Binding(correctly_deserializes_struct_unions, NEEDS_UNIONS),
        ),
        (
            "canObtainReferenceWithOverloadedSetter",
            Binding(can_obtain_reference_with_overloaded_setter, NEEDS_UNIONS),
        ),
        (
            "canObtainStructReferenceWithOverloadedSetter",
            Binding(
                can_obtain_struct_reference_with_overloaded_setter,
                NEEDS_UNIONS,
            ),
        ),
        // errors
        ("exceptions", Wire(exceptions)),
        ("exceptionMessage", Wire(exception_message)),
        // sync overrides
        (
            "syncOverrides",
            Binding(sync_overrides_case, NEEDS_OVERRIDES),
        ),
        (
            "syncOverrides_callsSuper",
            Binding(sync_overrides_calls_super, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_get_set",
            Binding(property_overrides_get_set, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_get_calls_super",
            Binding(property_overrides_get_calls_super, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_set_calls_super",
            Binding(property_overrides_set_calls_super, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_get_throws",
            Binding(property_overrides_get_throws, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_set_throws",
            Binding(property_overrides_set_throws, NEEDS_OVERRIDES),
        ),
        (
            "propertyOverrides_interfaces",
            Binding(property_overrides_interfaces, NEEDS_TRAITS),
        ),
        (
            "canOverrideProtectedMethod",
            Binding(can_override_protected_method, NEEDS_OVERRIDES),
        ),
        (
            "canOverrideProtectedGetter",
            Binding(can_override_protected_getter, NEEDS_OVERRIDES),
        ),
        (
            "canOverrideProtectedSetter",
            Binding(can_override_protected_setter, NEEDS_OVERRIDES),
        ),
        (
            "abstractMembersAreCorrectlyHandled",
            Binding(abstract_members_are_correctly_handled, NEEDS_OVERRIDES),
        ),
        (
            "callbacksCorrectlyDeserializeArguments",
            Binding(callbacks_correctly_deserialize_arguments, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_method_private",
            Binding(do_not_override_privates_method, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_method_public",
            Binding(do_not_override_privates_method, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_property_getter_private",
            Binding(do_not_override_privates_property, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_property_getter_public",
            Binding(do_not_override_privates_property, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_property_by_name_private",
            Binding(do_not_override_privates_property, NEEDS_OVERRIDES),
        ),
        (
            "doNotOverridePrivates_property_by_name_public",
            Binding(do_not_override_privates_property, NEEDS_OVERRIDES),
        ),
        (
            "fail_syncOverrides_callsDoubleAsync_method",
            Wire(fail_sync_overrides_calls_double_async_method),
        ),
        (
            "fail_syncOverrides_callsDoubleAsync_propertyGetter",
            Wire(fail_sync_overrides_calls_double_async_property_getter),
        ),
        (
            "fail_syncOverrides_callsDoubleAsync_propertySetter",
            Wire(fail_sync_overrides_calls_double_async_property_setter),
        ),
        // async
        (
            "asyncOverrides_callAsyncMethod",
            Wire(async_overrides_call_async_method),
        ),
        (
            "asyncOverrides_overrideAsyncMethod",
            Wire(async_overrides_override_async_method),
        ),
        (
            "asyncOverrides_overrideAsyncMethodByParentClass",
            Wire(async_overrides_override_async_method_by_parent_class),
        ),
        (
            "asyncOverrides_overrideCallsSuper",
            Wire(async_overrides_override_calls_super),
        ),
        (
            "asyncOverrides_twoOverrides",
            Wire(async_overrides_two_overrides),
        ),
        (
            "asyncOverrides_overrideThrows",
            Wire(async_overrides_override_throws),
        ),
        ("voidReturningAsync", Wire(void_returning_async)),
        // naming
        (
            "reservedKeywordsAreSlugifiedInMethodNames",
            Binding(reserved_keywords_on_the_wire, NEEDS_NAMES),
        ),
        (
            "reservedKeywordsAreSlugifiedInClassProperties",
            Binding(reserved_keywords_on_the_wire, NEEDS_NAMES),
        ),
        (
            "reservedKeywordsAreSlugifiedInStructProperties",
            Binding(reserved_keywords_on_the_wire, NEEDS_NAMES),
        ),
    ]
}

/// Runs one host-API case; `Ok(())` only when it returned Ok and asserted something.
fn run_raw(kernel: &Kernel, case: RawCase, scratch: &str) -> Result<(), String> {
    let mut cx = Cx::new(kernel.clone());
    let outcome = catch_unwind(AssertUnwindSafe(|| case(&mut cx)));
    let message = match outcome {
        Ok(Ok(())) if cx.checks > 0 => return Ok(()),
        Ok(Ok(())) => "the test asserted nothing".to_owned(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
    };
    Err(stable(&message, scratch))
}

/// A message with what varies between runs removed: object ids and the scratch directory.
fn stable(message: &str, scratch: &str) -> String {
    let message = message.replace(scratch, "<fixture>");
    let first_line = message.lines().next().unwrap_or_default();
    let mut out = String::with_capacity(first_line.len());
    let mut chars = first_line.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '@' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('N');
        }
    }
    out
}

fn kernel_config() -> Option<KernelConfig> {
    match KernelConfig::from_env() {
        Ok(c) => Some(c),
        Err(e) if std::env::var("TEST_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("the jsii runtime is required (TEST_REQUIRE_TOOLS=1): {e}")
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

#[test]
fn compliance_report_matches_the_committed_one() {
    let Some(jsii_bin) = test_support::tool("jsii") else {
        return;
    };
    let Some(config) = kernel_config() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("scratch dir");
    let scratch_text = scratch.path().to_string_lossy().into_owned();

    let started = Instant::now();
    let tools = Toolchain::from_jsii(&jsii_bin).expect("jsii toolchain");
    let built = fixture::build(&tools, &fixture::source_dir(), scratch.path())
        .unwrap_or_else(|e| panic!("building the fixture: {e}"));
    let compiled = started.elapsed();

    let start_kernel = || {
        let kernel = Kernel::start(config.clone()).expect("start the jsii kernel");
        for assembly in built.load_order() {
            kernel
                .load(&assembly.name, &assembly.version, &assembly.tarball)
                .unwrap_or_else(|e| panic!("load {}: {e}", assembly.name));
        }
        kernel
    };
    let mut kernel = start_kernel();
    // COMPLIANCE_CASES=a,b runs only those cases (for debugging; no report comparison).
    let only: Option<Vec<String>> = std::env::var("COMPLIANCE_CASES")
        .ok()
        .map(|v| v.split(',').map(str::to_owned).collect());

    let mut report = Report::default();
    let cases_started = Instant::now();
    for (name, entry) in cases() {
        if only.as_ref().is_some_and(|o| !o.iter().any(|c| c == name)) {
            continue;
        }
        // A case that kills the kernel fails on its own; the next one gets a fresh kernel.
        if !kernel.is_alive() {
            kernel = start_kernel();
        }
        let status = match entry {
            NotApplicable(reason) => Status::NotApplicable(reason.to_owned()),
            Pending(needs) => Status::Failure(format!(
                "{needs}; the fixture's generated bindings are not in use yet"
            )),
            Wire(case) => match run_raw(&kernel, case, &scratch_text) {
                Ok(()) => Status::Success,
                Err(e) => Status::Failure(e),
            },
            Binding(case, needs) => {
                let underlying = match run_raw(&kernel, case, &scratch_text) {
                    Ok(()) => "passes".to_owned(),
                    Err(e) => format!("fails: {e}"),
                };
                Status::Failure(format!(
                    "{needs}; the fixture's generated bindings are not in use yet (the same \
                     behaviour through the host API {underlying})"
                ))
            }
        };
        if only.is_some() {
            eprintln!("{name}: {status:?}");
        }
        report.record(name, status).expect("each case once");
    }
    let ran = cases_started.elapsed();
    kernel.close().expect("close the kernel");

    if only.is_some() {
        return;
    }
    let fresh = report.to_json().expect("every case recorded");
    let (success, failure, na) = report.counts();
    eprintln!(
        "compliance: {success} success, {failure} failure, {na} n/a; fixture compile {:.1} s, cases {:.1} s",
        compiled.as_secs_f64(),
        ran.as_secs_f64()
    );
    check_against_committed(&fresh);
}

fn check_against_committed(fresh: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("compliance-report.json");
    let rendered = report::render(fresh);
    if std::env::var("UPDATE_COMPLIANCE_REPORT").as_deref() == Ok("1") {
        std::fs::write(&path, &rendered).expect("write compliance-report.json");
        return;
    }
    let committed_text = std::fs::read_to_string(&path).unwrap_or_default();
    let committed: serde_json::Value =
        serde_json::from_str(&committed_text).unwrap_or(serde_json::Value::Null);
    let diff = report::diff(&committed, fresh);
    assert!(
        diff.is_empty() && committed_text == rendered,
        "{} differs from this run (- committed, + fresh); rerun with \
         UPDATE_COMPLIANCE_REPORT=1 if the change is intended:\n{}",
        path.display(),
        diff.join("\n")
    );
}
