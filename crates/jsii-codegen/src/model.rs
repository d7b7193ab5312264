//! The jsii assembly schema (`.jsii`, schema `jsii/0.10.0`), read with serde into a typed model.
//!
//! Only what binding generation needs is modelled; unknown keys are ignored so newer compilers'
//! additions do not break reading.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole assembly: one npm package's types, submodules and dependencies.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assembly {
    pub schema: String,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub submodules: BTreeMap<String, Submodule>,
    #[serde(default)]
    pub types: BTreeMap<String, Type>,
    #[serde(default)]
    pub docs: Docs,
}

/// A submodule (namespace) of an assembly, e.g. `aws-cdk-lib.aws_sqs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Submodule {}

/// A `.jsii` that points at the real (compressed) file next to it.
#[derive(Debug, Clone, Deserialize)]
pub struct FileRedirect {
    pub schema: String,
    pub compression: Option<String>,
    pub filename: String,
}

/// A type: the three kinds the schema has.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Type {
    Class(ClassType),
    Interface(InterfaceType),
    Enum(EnumType),
}

impl Type {
    pub fn fqn(&self) -> &str {
        match self {
            Type::Class(c) => &c.fqn,
            Type::Interface(i) => &i.fqn,
            Type::Enum(e) => &e.fqn,
        }
    }
    pub fn docs(&self) -> &Docs {
        match self {
            Type::Class(c) => &c.docs,
            Type::Interface(i) => &i.docs,
            Type::Enum(e) => &e.docs,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassType {
    pub fqn: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub interfaces: Vec<String>,
    #[serde(default)]
    pub initializer: Option<Callable>,
    #[serde(default)]
    pub methods: Vec<Method>,
    #[serde(default)]
    pub properties: Vec<Property>,
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InterfaceType {
    pub fqn: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Structs (data types) are interfaces with only immutable properties, passed by value.
    #[serde(default)]
    pub datatype: bool,
    #[serde(default)]
    pub interfaces: Vec<String>,
    #[serde(default)]
    pub methods: Vec<Method>,
    #[serde(default)]
    pub properties: Vec<Property>,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnumType {
    pub fqn: String,
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub members: Vec<EnumMember>,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnumMember {
    pub name: String,
    #[serde(default)]
    pub docs: Docs,
}

/// An initializer: parameters only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callable {
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub protected: bool,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    pub name: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub returns: Option<OptionalValue>,
    #[serde(default, rename = "static")]
    pub is_static: bool,
    #[serde(default, rename = "async")]
    pub is_async: bool,
    #[serde(default)]
    pub variadic: bool,
    #[serde(default)]
    pub protected: bool,
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    /// The fqn of the ancestor that declares this member first, when this is a re-declaration.
    #[serde(default)]
    pub overrides: Option<String>,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub type_ref: TypeRef,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub variadic: bool,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionalValue {
    #[serde(rename = "type")]
    pub type_ref: TypeRef,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub name: String,
    #[serde(rename = "type")]
    pub type_ref: TypeRef,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub immutable: bool,
    #[serde(default, rename = "static")]
    pub is_static: bool,
    #[serde(default, rename = "const")]
    pub is_const: bool,
    #[serde(default)]
    pub protected: bool,
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    #[serde(default)]
    pub overrides: Option<String>,
    #[serde(default)]
    pub docs: Docs,
}

/// A reference to a type, as it appears on a property, parameter or return value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(untagged)]
pub enum TypeRef {
    Primitive { primitive: Primitive },
    Named { fqn: String },
    Collection { collection: Collection },
    Union { union: Compound },
    Intersection { intersection: Compound },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Primitive {
    String,
    Number,
    Boolean,
    Date,
    Json,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    pub kind: CollectionKind,
    pub elementtype: Box<TypeRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CollectionKind {
    Array,
    Map,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct Compound {
    pub types: Vec<TypeRef>,
}

/// Documentation of a type or member; `example` and `see` are not carried into rustdoc.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Docs {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub remarks: Option<String>,
    #[serde(default)]
    pub deprecated: Option<String>,
    #[serde(default)]
    pub stability: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub returns: Option<String>,
}
