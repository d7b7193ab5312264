//! The jsii -> Rust mapping on small hand-written assemblies.

use std::path::Path;

use jsii_codegen::{Generated, Options, generate, parse_assembly};
use serde_json::json;

fn gen_from(types: serde_json::Value, submodules: serde_json::Value) -> Generated {
    let asm = json!({
        "schema": "jsii/0.10.0",
        "name": "calc",
        "version": "1.2.3",
        "submodules": submodules,
        "types": types,
    });
    let asm = parse_assembly(Path::new("calc.jsii"), asm.to_string().as_bytes()).unwrap();
    let opts = Options {
        crate_name: "calc".into(),
        crate_version: "0.1.0".into(),
        dependencies: vec!["jsii = { path = \"../jsii\" }".into()],
        source_note: "calc@1.2.3".into(),
        modules: None,
        default_features: vec![],
    };
    generate(&[asm], &opts).unwrap()
}

/// The root module's types (the crate root only declares modules and re-exports them).
fn lib(g: &Generated) -> &str {
    &g.files["src/root.rs"]
}

fn string() -> serde_json::Value {
    json!({"primitive": "string"})
}

#[test]
fn structs_flatten_inherited_properties_into_option_fields() {
    let g = gen_from(
        json!({
            "calc.BaseProps": {"kind": "interface", "datatype": true, "fqn": "calc.BaseProps", "name": "BaseProps",
                "properties": [{"name": "baseName", "type": string(), "immutable": true}]},
            "calc.ChildProps": {"kind": "interface", "datatype": true, "fqn": "calc.ChildProps", "name": "ChildProps",
                "interfaces": ["calc.BaseProps"],
                "properties": [{"name": "count", "type": {"primitive": "number"}, "optional": true, "immutable": true}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    let child = &src[src.find("pub struct ChildProps").unwrap()..];
    let child = &child[..child.find('}').unwrap()];
    assert!(child.contains("pub count: rt::Option<f64>,"), "{child}");
    assert!(
        child.contains("pub base_name: rt::Option<rt::String>,"),
        "{child}"
    );
    assert!(
        src.contains("/// Required."),
        "required fields are documented as such"
    );
    // Structs go to the kernel as $jsii.struct with their own fqn, unset fields left out.
    assert!(src.contains("rt::put(&mut data, \"baseName\", &self.base_name);"));
    assert!(src.contains("pub const FQN: &'static str = \"calc.ChildProps\";"));
    assert!(src.contains("#[derive(Clone, Debug, Default, PartialEq)]\npub struct ChildProps"));
}

#[test]
fn reserved_words_are_escaped() {
    let g = gen_from(
        json!({
            "calc.Keywords": {"kind": "class", "fqn": "calc.Keywords", "name": "Keywords",
                "initializer": {"parameters": [{"name": "type", "type": string()}]},
                "properties": [{"name": "async", "type": string(), "immutable": true}, {"name": "self", "type": string()}],
                "methods": [{"name": "match", "parameters": [{"name": "in", "type": string()}]}]},
            "calc.KeywordProps": {"kind": "interface", "datatype": true, "fqn": "calc.KeywordProps", "name": "KeywordProps",
                "properties": [{"name": "type", "type": string(), "immutable": true}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    assert!(
        src.contains("pub fn new(r#type: &str) -> rt::R<Self>"),
        "{src}"
    );
    assert!(src.contains("fn r#async(&self) -> rt::R<rt::String>"));
    assert!(src.contains("fn self_(&self) -> rt::R<rt::String>"));
    assert!(src.contains("fn set_self(&self, value: rt::String)"));
    assert!(src.contains("fn r#match(&self, r#in: &str) -> rt::R<()>"));
    assert!(src.contains("pub r#type: rt::Option<rt::String>,"));
    // The wire keeps the library's names.
    assert!(src.contains("rt::invoke(self.jsii_ref(), \"match\""));
    assert!(src.contains("rt::put(&mut data, \"type\", &self.r#type);"));
}

#[test]
fn unions_become_enums_with_conversions() {
    let g = gen_from(
        json!({
            "calc.Shape": {"kind": "class", "fqn": "calc.Shape", "name": "Shape",
                "methods": [{"name": "resize", "parameters": [
                    {"name": "size", "type": {"union": {"types": [string(), {"primitive": "number"}]}}},
                    {"name": "hint", "optional": true, "type": {"union": {"types": [string(), {"primitive": "number"}]}}},
                ]}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    assert!(
        src.contains("pub enum StringOrNumber {\n    String(rt::String),\n    Number(f64),\n}"),
        "{src}"
    );
    assert!(src.contains("impl From<f64> for StringOrNumber"));
    assert!(src.contains("impl From<&str> for StringOrNumber"));
    // Required: anything convertible; optional: the enum itself, so `None` needs no annotation.
    assert!(src.contains(
        "fn resize(&self, size: impl Into<StringOrNumber>, hint: rt::Option<StringOrNumber>)"
    ));
    assert!(src.contains("rt::to_wire(&size.into())"));
    assert_eq!(
        src.matches("pub enum StringOrNumber").count(),
        1,
        "one enum per distinct union"
    );
}

#[test]
fn optional_trailing_and_variadic_parameters() {
    let g = gen_from(
        json!({
            "calc.Calc": {"kind": "class", "fqn": "calc.Calc", "name": "Calc",
                "initializer": {"parameters": [{"name": "id", "type": string()}, {"name": "props", "optional": true, "type": {"fqn": "calc.CalcProps"}}]},
                "methods": [
                    {"name": "sum", "variadic": true, "parameters": [{"name": "first", "type": {"primitive": "number"}}, {"name": "rest", "variadic": true, "type": {"primitive": "number"}}], "returns": {"type": {"primitive": "number"}}},
                    {"name": "later", "async": true, "returns": {"type": {"primitive": "number"}}},
                    {"name": "describe", "static": true, "parameters": [{"name": "calc", "type": {"fqn": "calc.Calc"}, "optional": true}], "returns": {"type": string(), "optional": true}},
                ]},
            "calc.CalcProps": {"kind": "interface", "datatype": true, "fqn": "calc.CalcProps", "name": "CalcProps", "properties": []},
        }),
        json!({}),
    );
    let src = lib(&g);
    assert!(
        src.contains("pub fn new(id: &str, props: rt::Option<&crate::CalcProps>) -> rt::R<Self>"),
        "{src}"
    );
    assert!(src.contains("fn sum(&self, first: f64, rest: &[f64]) -> rt::R<f64>"));
    assert!(src.contains("rt::args_variadic(vec![rt::to_wire(&first)], rest)"));
    assert!(src.contains("pub fn describe(calc: rt::Option<&dyn rt::IsA<crate::Calc>>) -> rt::R<rt::Option<rt::String>>"));
    assert!(src.contains("rt::sinvoke(Self::FQN, \"describe\""));
    // Async methods block on the kernel's promise (begin + end).
    assert!(src.contains("fn later(&self) -> rt::R<f64>"), "{src}");
    assert!(src.contains("rt::from_wire(rt::invoke_async(self.jsii_ref(), \"later\", vec![])?)"));
}

#[test]
fn subclasses_are_their_bases_and_interfaces_transitively() {
    let g = gen_from(
        json!({
            "calc.IBase": {"kind": "interface", "fqn": "calc.IBase", "name": "IBase",
                "properties": [{"name": "id", "type": string(), "immutable": true, "abstract": true}]},
            "calc.IGrantable": {"kind": "interface", "fqn": "calc.IGrantable", "name": "IGrantable", "interfaces": ["calc.IBase"],
                "methods": [{"name": "grant", "abstract": true, "parameters": [{"name": "to", "type": {"fqn": "calc.IGrantable"}}]}]},
            "calc.Base": {"kind": "class", "fqn": "calc.Base", "name": "Base", "abstract": true,
                "initializer": {}, "methods": [{"name": "hello"}]},
            "calc.Table": {"kind": "class", "fqn": "calc.Table", "name": "Table", "base": "calc.Base", "interfaces": ["calc.IGrantable"],
                "initializer": {},
                "properties": [{"name": "id", "type": string(), "immutable": true, "overrides": "calc.IBase"}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    for anc in ["crate::Base", "crate::IGrantable", "crate::IBase"] {
        assert!(
            src.contains(&format!("impl rt::IsA<{anc}> for Table {{}}")),
            "Table is a {anc}\n{src}"
        );
    }
    assert!(src.contains("impl rt::IsA<crate::IBase> for IGrantable {}"));
    // Members live in extension traits blanket-implemented for every subtype.
    assert!(src.contains("pub trait BaseExt: rt::IsA<Base>"));
    assert!(src.contains("impl<O: rt::IsA<Base> + ?Sized> BaseExt for O {}"));
    assert!(src.contains("fn grant(&self, to: &dyn rt::IsA<crate::IGrantable>) -> rt::R<()>"));
    // A re-declared (overriding) member is not repeated, so calls are never ambiguous.
    let table_ext = &src[src.find("pub trait TableExt").unwrap()..];
    let table_ext = &table_ext[..table_ext.find("}\n").unwrap()];
    assert!(!table_ext.contains("fn id("), "{table_ext}");
    // An abstract class has no constructor; the concrete one does.
    assert!(
        !src[src.find("pub struct Base(").unwrap()..src.find("pub trait BaseExt").unwrap()]
            .contains("pub fn new")
    );
    assert!(src.contains("rt::create(Self::FQN, vec![], false).map(Self)"));
    // Behavioural interfaces can be implemented in Rust (callbacks).
    assert!(src.contains("pub trait IGrantableImpl: Send + Sync + 'static {"));
    assert!(src.contains("fn grant(&self, to: crate::IGrantable) -> rt::R<()>;"));
    assert!(
        src.contains("fn id(&self) -> rt::R<rt::String>;"),
        "inherited members are part of the Impl trait"
    );
    assert!(src.contains("\"grant\" => Ok(rt::to_wire(&self.0.grant(args.next()?)?)),"));
}

#[test]
fn enums_become_rust_enums() {
    let g = gen_from(
        json!({
            "calc.Encryption": {"kind": "enum", "fqn": "calc.Encryption", "name": "Encryption",
                "members": [{"name": "KMS_MANAGED"}, {"name": "SQS_MANAGED"}, {"name": "UNENCRYPTED"}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    assert!(
        src.contains(
            "pub enum Encryption {\n    KmsManaged,\n    SqsManaged,\n    Unencrypted,\n}"
        ),
        "{src}"
    );
    assert!(src.contains("Self::KmsManaged => \"KMS_MANAGED\","));
    assert!(src.contains("\"KMS_MANAGED\" => Ok(Self::KmsManaged),"));
}

#[test]
fn docs_become_rustdoc_and_deprecations_are_marked() {
    let g = gen_from(
        json!({
            "calc.Old": {"kind": "class", "fqn": "calc.Old", "name": "Old",
                "docs": {"summary": "An old thing.", "remarks": "Use it so:\n\n```ts\nnew Old();\n```", "deprecated": "use New", "stability": "deprecated"},
                "properties": [{"name": "size", "type": {"primitive": "number"}, "immutable": true, "docs": {"summary": "How big.", "deprecated": "gone soon"}}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    assert!(src.contains("/// An old thing.\n///\n/// Use it so:\n///\n/// ```text\n/// new Old();\n/// ```\n///\n/// Stability: deprecated.\n#[deprecated(note = \"use New\")]\n"), "{src}");
    assert!(
        src.contains(
            "    /// How big.\n    #[deprecated(note = \"gone soon\")]\n    fn size(&self)"
        )
    );
}

#[test]
fn submodules_are_feature_gated_modules_and_gate_members_that_cross_them() {
    let g = gen_from(
        json!({
            "calc.Root": {"kind": "class", "fqn": "calc.Root", "name": "Root", "initializer": {},
                "methods": [{"name": "toQueue", "returns": {"type": {"fqn": "calc.sqs.Queue"}}}]},
            "calc.sqs.Queue": {"kind": "class", "fqn": "calc.sqs.Queue", "name": "Queue", "namespace": "sqs", "base": "calc.Root"},
        }),
        json!({"calc.sqs": {}}),
    );
    let crate_root = &g.files["src/lib.rs"];
    assert!(crate_root.contains("#[cfg(feature = \"sqs\")]\n#[rustfmt::skip]\npub mod sqs;"));
    assert!(
        crate_root.contains("    #[cfg(feature = \"sqs\")]\n    pub use crate::sqs::prelude::*;")
    );
    assert!(
        lib(&g).contains(
            "    #[cfg(feature = \"sqs\")]\n    fn to_queue(&self) -> rt::R<crate::sqs::Queue>"
        ),
        "{}",
        lib(&g)
    );
    let sqs = &g.files["src/sqs.rs"];
    assert!(sqs.contains("impl rt::IsA<crate::Root> for Queue {}"));
    assert!(g.files["Cargo.toml"].contains("\nsqs = []\n"));
}

#[test]
fn unknown_types_are_reported_not_guessed() {
    let g = gen_from(
        json!({
            "calc.Root": {"kind": "class", "fqn": "calc.Root", "name": "Root",
                "methods": [{"name": "other", "returns": {"type": {"fqn": "elsewhere.Thing"}}}]},
        }),
        json!({}),
    );
    assert!(!lib(&g).contains("fn other("));
    assert_eq!(g.skipped, vec!["Root.other".to_string()]);
}

#[test]
fn bad_assemblies_are_errors_naming_the_field() {
    let err = parse_assembly(Path::new("x.jsii"), br#"{"schema":"jsii/0.10.0","name":"x","version":"1","types":{"x.A":{"kind":"class","fqn":"x.A","name":"A","methods":[{"name":3}]}}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.jsii") && err.contains("types"), "{err}");
    let err = parse_assembly(
        Path::new("y.jsii"),
        br#"{"schema":"jsii/9","name":"y","version":"1"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unsupported jsii schema"), "{err}");
}

#[test]
fn classes_get_overrides_traits_chained_through_their_bases() {
    let num = json!({"primitive": "number"});
    let g = gen_from(
        json!({
            "calc.Base": {"kind": "class", "fqn": "calc.Base", "name": "Base", "abstract": true,
                "initializer": {},
                "properties": [{"name": "value", "type": num, "abstract": true, "immutable": true}],
                "methods": [{"name": "hook", "protected": true, "returns": {"type": string()}}]},
            "calc.Leaf": {"kind": "class", "fqn": "calc.Leaf", "name": "Leaf", "base": "calc.Base",
                "initializer": {"parameters": [{"name": "start", "type": num}]},
                "properties": [
                    {"name": "value", "type": num, "immutable": true, "overrides": "calc.Base"},
                    {"name": "label", "type": string()}],
                "methods": [
                    {"name": "compute", "async": true, "parameters": [{"name": "n", "type": num}], "returns": {"type": num}},
                    {"name": "make", "static": true}]},
        }),
        json!({}),
    );
    let src = lib(&g);
    let leaf = &src[src.find("pub trait LeafOverrides").unwrap()..];
    let leaf = &leaf[..leaf.find("\n}\n").unwrap()];
    // The base class's trait is the supertrait; inherited members live only there.
    assert!(
        leaf.starts_with("pub trait LeafOverrides: crate::BaseOverrides {"),
        "{leaf}"
    );
    assert!(!leaf.contains("fn value("), "{leaf}");
    assert!(
        !leaf.contains("fn make("),
        "statics are not overridable: {leaf}"
    );
    // Defaults are the library's implementation; async members block on begin/end.
    assert!(
        leaf.contains("fn label(&self, this: &Leaf) -> rt::R<rt::String> {\n        rt::from_wire(rt::get(&this.0, \"label\")?)"),
        "{leaf}"
    );
    assert!(
        leaf.contains("fn set_label(&self, this: &Leaf, value: rt::String) -> rt::R<()>"),
        "{leaf}"
    );
    assert!(
        leaf.contains("rt::invoke_async(&this.0, \"compute\", vec![rt::to_wire(&n)])"),
        "{leaf}"
    );
    // OVERRIDES names map to the kernel's override list; unknown ones are errors; the rest
    // is the base class's.
    assert!(src.contains("\"label\" | \"set_label\" => rt::Override::property(\"label\"),"));
    assert!(src.contains("\"compute\" => rt::Override::method(\"compute\"),"));
    assert!(src.contains("other => return Err(rt::not_overridable(Self::FQN, other)),"));
    assert!(src.contains("crate::Base::__jsii_overrides::<T>(out)"));
    assert!(src.contains("call => crate::Base::__jsii_dispatch(imp, this, call),"));
    // The subclass constructor; the abstract base's requires its abstract property.
    assert!(
        src.contains(
            "pub fn new_subclass<T: LeafOverrides>(overrides: T, start: f64) -> rt::R<Self>"
        ),
        "{src}"
    );
    let base = &src[src.find("pub fn new_subclass<T: BaseOverrides>").unwrap()..];
    assert!(
        base.contains("rt::require_overrides(Self::FQN, &members, &[(\"value\", \"value\")])?;"),
        "{base}"
    );
    assert!(
        src.contains("pub fn new(start: f64) -> rt::R<Self>"),
        "Leaf is concrete"
    );
    assert!(
        !src.contains("pub fn new() -> rt::R<Self>"),
        "Base is abstract: {src}"
    );
    // Protected members are reachable from Rust (for overrides calling `super`).
    let ext = &src[src.find("pub trait BaseExt").unwrap()..];
    assert!(ext.contains("fn hook(&self) -> rt::R<rt::String>"), "{ext}");
    assert!(ext.contains("Protected in the library"), "{ext}");
}
