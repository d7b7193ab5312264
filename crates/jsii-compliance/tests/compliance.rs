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
mod typed;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use jsii::{Kernel, Manifest};
use jsii_compliance::fixture::{self, Toolchain};
use jsii_compliance::report::{self, Report, Status};

use raw::RawCase;
use support::Cx;

enum Entry {
    /// Through the generated bindings.
    Typed(RawCase),
    Wire(RawCase),
    Binding(RawCase, &'static str),
    /// A binding-level case with no host-API counterpart (e.g. equality of Rust structs).
    Pending(&'static str),
    NotApplicable(&'static str),
}

use Entry::{Binding, NotApplicable, Pending, Typed, Wire};

const NEEDS_EXTRA_INTERFACES: &str = "a Rust subclass has its class's interfaces only: \
     `new_subclass` cannot add a jsii interface (here IStructReturningDelegate) and route its \
     members to the interface's `...Impl` trait";

const IMMUTABLE: &str = "Rust returns collections as owned values (Vec, BTreeMap): the caller's \
     copy, mutable only through a `mut` binding and never aliasing the kernel's, so there is no \
     write that could be silently lost (Java's unmodifiable views have no Rust counterpart)";
const HASH: &str = "hashCode is the Java/.NET object protocol; Rust structs with f64 or JSON \
     fields cannot implement Hash, and equality is covered by the structs_*Equals cases";

fn cases() -> Vec<(&'static str, Entry)> {
    use raw::*;
    vec![
        // kernel
        ("callMethods", Typed(typed::call_methods)),
        (
            "getSetPrimitiveProperties",
            Typed(typed::get_set_primitive_properties),
        ),
        (
            "getAndSetNonPrimitiveProperties",
            Typed(typed::get_and_set_non_primitive_properties),
        ),
        (
            "createObjectAndCtorOverloads",
            Typed(typed::create_object_and_ctor_overloads),
        ),
        (
            "fluentApi",
            NotApplicable(
                "jsii structs are plain Rust structs built with a struct literal (and `..Default::default()`); there is no fluent builder to chain, as in Go",
            ),
        ),
        (
            "testFluentApiWithDerivedClasses",
            Typed(typed::test_fluent_api_with_derived_classes),
        ),
        ("statics", Typed(typed::statics)),
        ("consts", Typed(typed::consts)),
        (
            "variadicMethodCanBeInvoked",
            Typed(typed::variadic_method_can_be_invoked),
        ),
        (
            "classWithPrivateConstructorAndAutomaticProperties",
            Typed(typed::class_with_private_constructor_and_automatic_properties),
        ),
        ("nodeStandardLibrary", Typed(typed::node_standard_library)),
        ("testJsiiAgent", Typed(typed::test_jsii_agent)),
        (
            "strippedDeprecatedMemberCanBeReceived",
            Typed(typed::stripped_deprecated_member_can_be_received),
        ),
        // values
        ("primitiveTypes", Typed(typed::primitive_types)),
        ("dynamicTypes", Typed(typed::dynamic_types)),
        ("dates", Typed(typed::dates)),
        (
            "iso8601DoesNotDeserializeToDate",
            Typed(typed::iso8601_does_not_deserialize_to_date),
        ),
        ("getAndSetEnumValues", Typed(typed::get_and_set_enum_values)),
        ("canLoadEnumValues", Typed(typed::can_load_enum_values)),
        (
            "useEnumFromScopedModule",
            Typed(typed::use_enum_from_scoped_module),
        ),
        ("undefinedAndNull", Typed(typed::undefined_and_null)),
        (
            "nullShouldBeTreatedAsUndefined",
            Typed(typed::null_should_be_treated_as_undefined),
        ),
        // collections
        ("collectionTypes", Typed(typed::collection_types)),
        ("arrays", Typed(typed::arrays)),
        ("maps", Typed(typed::maps)),
        (
            "arrayReturnedByMethodCanBeRead",
            Typed(typed::array_returned_by_method_can_be_read),
        ),
        (
            "arrayReturnedByMethodCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "mapReturnedByMethodCanBeRead",
            Typed(typed::map_returned_by_method_can_be_read),
        ),
        (
            "mapReturnedByMethodCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "listInClassCanBeReadCorrectly",
            Typed(typed::list_in_class_can_be_read_correctly),
        ),
        (
            "mapInClassCanBeReadCorrectly",
            Typed(typed::map_in_class_can_be_read_correctly),
        ),
        ("mapInClassCannotBeModified", NotApplicable(IMMUTABLE)),
        (
            "staticListInClassCanBeReadCorrectly",
            Typed(typed::static_list_in_class_can_be_read_correctly),
        ),
        (
            "staticListInClassCannotBeModified",
            NotApplicable(IMMUTABLE),
        ),
        (
            "staticMapInClassCanBeReadCorrectly",
            Typed(typed::static_map_in_class_can_be_read_correctly),
        ),
        ("staticMapInClassCannotBeModified", NotApplicable(IMMUTABLE)),
        (
            "testNullIsAValidOptionalList",
            Typed(typed::test_null_is_a_valid_optional_list),
        ),
        (
            "testNullIsAValidOptionalMap",
            Typed(typed::test_null_is_a_valid_optional_map),
        ),
        (
            "collectionOfInterfaces_ListOfStructs",
            Typed(typed::collection_of_interfaces_list_of_structs),
        ),
        (
            "collectionOfInterfaces_MapOfStructs",
            Typed(typed::collection_of_interfaces_map_of_structs),
        ),
        (
            "collectionOfInterfaces_ListOfInterfaces",
            Typed(typed::collection_of_interfaces_list_of_interfaces),
        ),
        (
            "collectionOfInterfaces_MapOfInterfaces",
            Typed(typed::collection_of_interfaces_map_of_interfaces),
        ),
        // structs
        (
            "structs_serializeToJsii",
            Typed(typed::structs_serialize_to_jsii),
        ),
        (
            "structsAreUndecoratedOntheWayToKernel",
            Typed(typed::structs_are_undecorated_on_the_way_to_kernel),
        ),
        (
            "structs_returnedLiteralEqualsNativeBuilt",
            Typed(typed::structs_returned_literal_equals_native_built),
        ),
        (
            "structs_stepBuilders",
            NotApplicable(
                "Rust builds a jsii struct with one struct literal (`..Default::default()` for the rest); there are no step builders to chain, as in Go",
            ),
        ),
        (
            "structs_containsNullChecks",
            Pending(
                "the generated structs make required fields Option too (StructA.required_string: Option<String>) and derive Default, so a struct without a required field compiles and is sent; nothing fails at construction",
            ),
        ),
        (
            "structs_nonOptionalequals",
            Typed(typed::structs_non_optional_equals),
        ),
        ("structs_nonOptionalhashCode", NotApplicable(HASH)),
        (
            "structs_optionalEquals",
            Typed(typed::structs_optional_equals),
        ),
        ("structs_optionalHashCode", NotApplicable(HASH)),
        (
            "structs_multiplePropertiesEquals",
            Typed(typed::structs_multiple_properties_equals),
        ),
        ("structs_multiplePropertiesHashCode", NotApplicable(HASH)),
        (
            "structs_withDiamondInheritance_correctlyDedupeProperties",
            Typed(typed::structs_with_diamond_inheritance_correctly_dedupe_properties),
        ),
        (
            "testStructsCanBeDowncastedToParentType",
            Typed(typed::test_structs_can_be_downcasted_to_parent_type),
        ),
        ("useNestedStruct", Typed(typed::use_nested_struct)),
        (
            "eraseUnsetDataValues",
            Typed(typed::erase_unset_data_values),
        ),
        (
            "liftedKwargWithSameNameAsPositionalArg",
            Typed(typed::lifted_kwarg_with_same_name_as_positional_arg),
        ),
        (
            "equalsIsResistantToPropertyShadowingResultVariable",
            Typed(typed::equals_is_resistant_to_property_shadowing_result_variable),
        ),
        (
            "hashCodeIsResistantToPropertyShadowingResultVariable",
            NotApplicable(HASH),
        ),
        // references
        ("subclassing", Typed(typed::subclassing)),
        (
            "creationOfNativeObjectsFromJavaScriptObjects",
            Binding(
                creation_of_native_objects_from_java_script_objects,
                "the bindings keep no registry from a kernel reference back to the Rust value behind it (`from_impl` hands out a handle only), so reading an `any` property gives a handle, never the same Rust instance",
            ),
        ),
        (
            "testNativeObjectsWithInterfaces",
            Typed(typed::test_native_objects_with_interfaces),
        ),
        (
            "objectIdDoesNotGetReallocatedWhenTheConstructorPassesThisOut",
            Wire(object_id_does_not_get_reallocated_when_the_constructor_passes_this_out),
        ),
        (
            "classesCanSelfReferenceDuringClassInitialization",
            Typed(typed::classes_can_self_reference_during_class_initialization),
        ),
        (
            "objRefsAreLabelledUsingWithTheMostCorrectType",
            Typed(typed::obj_refs_are_labelled_using_with_the_most_correct_type),
        ),
        (
            "receiveInstanceOfPrivateClass",
            Typed(typed::receive_instance_of_private_class),
        ),
        ("returnAbstract", Typed(typed::return_abstract)),
        (
            "unmarshallIntoAbstractType",
            Typed(typed::unmarshall_into_abstract_type),
        ),
        (
            "returnSubclassThatImplementsInterface976",
            Typed(typed::return_subclass_that_implements_interface976),
        ),
        (
            "testJSObjectLiteralToNative",
            Typed(typed::test_js_object_literal_to_native),
        ),
        (
            "classCanBeUsedWhenNotExpressedlyLoaded",
            Wire(class_can_be_used_when_not_expressedly_loaded),
        ),
        ("downcasting", Typed(typed::downcasting)),
        // interfaces
        ("testInterfaces", Typed(typed::test_interfaces)),
        (
            "testInterfaceParameter",
            Typed(typed::test_interface_parameter),
        ),
        ("testLiteralInterface", Typed(typed::test_literal_interface)),
        (
            "canUseInterfaceSetters",
            Typed(typed::can_use_interface_setters),
        ),
        ("interfaceBuilder", Typed(typed::interface_builder)),
        (
            "pureInterfacesCanBeUsedTransparently",
            Typed(typed::pure_interfaces_can_be_used_transparently),
        ),
        (
            "pureInterfacesCanBeUsedTransparently_WhenTransitivelyImplementing",
            Typed(typed::pure_interfaces_can_be_used_transparently_when_transitively_implementing),
        ),
        (
            "interfacesCanBeUsedTransparently_WhenAddedToJsiiType",
            Binding(
                interfaces_can_be_used_transparently_when_added_to_jsii_type,
                NEEDS_EXTRA_INTERFACES,
            ),
        ),
        (
            "canLeverageIndirectInterfacePolymorphism",
            Typed(typed::can_leverage_indirect_interface_polymorphism),
        ),
        (
            "callbackParameterIsInterface",
            Typed(typed::callback_parameter_is_interface),
        ),
        // unions
        ("unionTypes", Typed(typed::union_types)),
        ("unionProperties", Typed(typed::union_properties)),
        (
            "unionPropertiesWithBuilder",
            Typed(typed::union_properties_with_builder),
        ),
        (
            "correctlyDeserializesStructUnions",
            Typed(typed::correctly_deserializes_struct_unions),
        ),
        (
            "canObtainReferenceWithOverloadedSetter",
            Typed(typed::can_obtain_reference_with_overloaded_setter),
        ),
        (
            "canObtainStructReferenceWithOverloadedSetter",
            Typed(typed::can_obtain_struct_reference_with_overloaded_setter),
        ),
        // errors
        ("exceptions", Typed(typed::exceptions)),
        ("exceptionMessage", Typed(typed::exception_message)),
        // sync overrides
        ("syncOverrides", Typed(typed::sync_overrides_case)),
        (
            "syncOverrides_callsSuper",
            Typed(typed::sync_overrides_calls_super),
        ),
        (
            "propertyOverrides_get_set",
            Typed(typed::property_overrides_get_set),
        ),
        (
            "propertyOverrides_get_calls_super",
            Typed(typed::property_overrides_get_calls_super),
        ),
        (
            "propertyOverrides_set_calls_super",
            Typed(typed::property_overrides_set_calls_super),
        ),
        (
            "propertyOverrides_get_throws",
            Typed(typed::property_overrides_get_throws),
        ),
        (
            "propertyOverrides_set_throws",
            Typed(typed::property_overrides_set_throws),
        ),
        (
            "propertyOverrides_interfaces",
            Typed(typed::property_overrides_interfaces),
        ),
        (
            "canOverrideProtectedMethod",
            Typed(typed::can_override_protected_method),
        ),
        (
            "canOverrideProtectedGetter",
            Typed(typed::can_override_protected_getter),
        ),
        (
            "canOverrideProtectedSetter",
            Typed(typed::can_override_protected_setter),
        ),
        (
            "abstractMembersAreCorrectlyHandled",
            Typed(typed::abstract_members_are_correctly_handled),
        ),
        (
            "callbacksCorrectlyDeserializeArguments",
            Typed(typed::callbacks_correctly_deserialize_arguments),
        ),
        (
            "doNotOverridePrivates_method_private",
            Typed(typed::do_not_override_privates_method_private),
        ),
        (
            "doNotOverridePrivates_method_public",
            Typed(typed::do_not_override_privates_method_public),
        ),
        (
            "doNotOverridePrivates_property_getter_private",
            Typed(typed::do_not_override_privates_property_getter_private),
        ),
        (
            "doNotOverridePrivates_property_getter_public",
            Typed(typed::do_not_override_privates_property_getter_public),
        ),
        (
            "doNotOverridePrivates_property_by_name_private",
            Typed(typed::do_not_override_privates_property_by_name_private),
        ),
        (
            "doNotOverridePrivates_property_by_name_public",
            Typed(typed::do_not_override_privates_property_by_name_public),
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
            Typed(typed::async_overrides_call_async_method),
        ),
        (
            "asyncOverrides_overrideAsyncMethod",
            Typed(typed::async_overrides_override_async_method),
        ),
        (
            "asyncOverrides_overrideAsyncMethodByParentClass",
            Typed(typed::async_overrides_override_async_method_by_parent_class),
        ),
        (
            "asyncOverrides_overrideCallsSuper",
            Typed(typed::async_overrides_override_calls_super),
        ),
        (
            "asyncOverrides_twoOverrides",
            Typed(typed::async_overrides_two_overrides),
        ),
        (
            "asyncOverrides_overrideThrows",
            Typed(typed::async_overrides_override_throws),
        ),
        ("voidReturningAsync", Typed(typed::void_returning_async)),
        // naming
        (
            "reservedKeywordsAreSlugifiedInMethodNames",
            Typed(typed::reserved_keywords_are_slugified_in_method_names),
        ),
        (
            "reservedKeywordsAreSlugifiedInClassProperties",
            Typed(typed::reserved_keywords_are_slugified_in_class_properties),
        ),
        (
            "reservedKeywordsAreSlugifiedInStructProperties",
            Typed(typed::reserved_keywords_are_slugified_in_struct_properties),
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

/// The installer's jsii manifest (for the pinned runtime), or `None` when the test is skipped.
fn installed_manifest() -> Option<Manifest> {
    let found = Manifest::discover();
    match found {
        Ok(Some(m)) => Some(m),
        other if std::env::var("TEST_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("the jsii runtime is required (TEST_REQUIRE_TOOLS=1): {other:?}")
        }
        other => {
            eprintln!(
                "skipped: the jsii runtime is not installed ({other:?}); scripts/tools/ensure.sh installs it"
            );
            None
        }
    }
}

/// A manifest naming the installer's runtime and the fixture's tarballs, so the generated
/// bindings' `require` loads the fixture like any installed assembly.
fn write_fixture_manifest(installed: &Manifest, built: &fixture::Built, dir: &Path) -> PathBuf {
    let packages: Vec<serde_json::Value> = built
        .load_order()
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let deps: Vec<&str> = built.load_order()[..i]
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            serde_json::json!({
                "name": a.name, "version": a.version, "tarball": a.tarball, "dependencies": deps,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "runtime": { "version": installed.runtime.version, "dir": installed.runtime.dir },
        "packages": packages,
    });
    let path = dir.join("fixture-manifest.json");
    std::fs::write(&path, manifest.to_string()).expect("write the fixture manifest");
    path
}

/// The process's kernel (started again if a case killed it) with the fixture loaded.
fn fixture_kernel() -> Kernel {
    let kernel = jsii::global().expect("start the jsii kernel");
    kernel
        .require(jsii_compliance_bindings::JSII_ASSEMBLY)
        .expect("load the fixture assemblies");
    kernel
}

#[test]
fn compliance_report_matches_the_committed_one() {
    let Some(jsii_bin) = test_support::tool("jsii") else {
        return;
    };
    let Some(installed) = installed_manifest() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("scratch dir");
    let scratch_text = scratch.path().to_string_lossy().into_owned();

    let started = Instant::now();
    let tools = Toolchain::from_jsii(&jsii_bin).expect("jsii toolchain");
    let built = fixture::build(&tools, &fixture::source_dir(), scratch.path())
        .unwrap_or_else(|e| panic!("building the fixture: {e}"));
    let compiled = started.elapsed();

    let manifest = write_fixture_manifest(&installed, &built, scratch.path());
    // SAFETY: this binary's only test sets the variable before any kernel starts, and nothing
    // else in the process reads or writes the environment concurrently.
    unsafe { std::env::set_var("JSII_MANIFEST", &manifest) };
    let mut kernel = fixture_kernel();
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
            kernel = fixture_kernel();
        }
        let status = match entry {
            NotApplicable(reason) => Status::NotApplicable(reason.to_owned()),
            Pending(needs) => Status::Failure(needs.to_owned()),
            Typed(case) | Wire(case) => match run_raw(&kernel, case, &scratch_text) {
                Ok(()) => Status::Success,
                Err(e) => Status::Failure(e),
            },
            Binding(case, needs) => {
                let underlying = match run_raw(&kernel, case, &scratch_text) {
                    Ok(()) => "passes".to_owned(),
                    Err(e) => format!("fails: {e}"),
                };
                Status::Failure(format!(
                    "{needs} (the same behaviour through the host API {underlying})"
                ))
            }
        };
        if only.is_some() {
            eprintln!("{name}: {status:?}");
        }
        report.record(name, status).expect("each case once");
    }
    let ran = cases_started.elapsed();
    drop(kernel);
    jsii::shutdown_global();

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

/// jsii-bindgen's union decoding, reduced from `correctlyDeserializesStructUnions`: the kernel
/// returns a struct by reference, labelled with the struct's FQN in `$jsii.interfaces`, and the
/// generated `from_wire` of a union of structs accepts only by-value shapes, so it finds no
/// variant ("no variant of StructAOrStructB matches {"$jsii.byref": ...}"). A fixed generator
/// picks the variant from `$jsii.interfaces` before reading any field, so the error must not be
/// "no variant". Run with `--ignored` once the generator is fixed, then un-ignore.
#[test]
#[ignore = "jsii-bindgen: a union of structs cannot decode a struct returned by reference"]
fn union_of_structs_decodes_a_struct_returned_by_reference() {
    use jsii_compliance_bindings::runtime::FromWire;
    let by_ref = serde_json::json!({
        "$jsii.byref": "Object@10000",
        "$jsii.interfaces": ["infra-gen-compliance-fixture.StructA"],
    });
    let decoded = jsii_compliance_bindings::StructAOrStructB::from_wire(by_ref);
    if let Err(e) = decoded {
        assert!(!e.to_string().contains("no variant"), "{e}");
    }
}
