//! Runtime glue of generated jsii bindings (copied verbatim into every generated crate by
//! jsii-bindgen): the traits the generated types implement and the calls they make through
//! the `jsii` host crate.

use std::sync::Arc;

pub use std::boxed::Box;
pub use std::collections::BTreeMap as Map;
pub use std::option::Option;
pub use std::string::String;
pub use std::vec::Vec;

pub use jsii::Error;
pub use serde_json::Map as JsonMap;
pub use serde_json::Value;

/// The result of every call into the kernel.
pub type R<T> = std::result::Result<T, Error>;

/// A jsii `date`: an instant in UTC.
pub type Date = chrono::DateTime<chrono::Utc>;

/// A reference to an object living in the kernel; the kernel frees it when the last clone drops
/// (unless pinned: see [`create`] and [`object_from_wire`]).
pub type ObjRef = jsii::ObjRef;

// ------------------------------------------------------------------- object model

/// A generated handle: a class instance, or an object seen through one of its interfaces.
pub trait JsiiObject {
    /// The kernel object behind the handle.
    fn jsii_ref(&self) -> &ObjRef;
}

/// A handle type that can be made from any kernel object reference (no check).
pub trait FromObjRef: Sized {
    /// The jsii fully qualified name of the class or interface.
    const FQN: &'static str;
    /// Wraps `r`; the caller vouches that the object is a `Self`.
    fn from_obj_ref(r: ObjRef) -> Self;
}

/// `Self` can be used wherever a `T` is expected: it is `T`, a subclass of it, or implements it.
/// Generated bindings take `&dyn IsA<T>` parameters, so a `Table` goes where an `IGrantable` or
/// a `Construct` is expected without a cast.
pub trait IsA<T>: JsiiObject {}

/// Conversions between handle types.
pub trait Upcast: JsiiObject {
    /// This object as one of the types it is (a base class or an implemented interface).
    fn upcast<T: FromObjRef>(&self) -> T
    where
        Self: IsA<T>,
    {
        T::from_obj_ref(self.jsii_ref().clone())
    }

    /// This object as `T` when the kernel reported `T` as its class or one of its interfaces.
    /// (Subclasses of `T` are not recognised: the bindings carry no class hierarchy at run time.)
    fn downcast<T: FromObjRef>(&self) -> Option<T> {
        let r = self.jsii_ref();
        (r.fqn() == T::FQN || r.interfaces().iter().any(|i| i == T::FQN))
            .then(|| T::from_obj_ref(r.clone()))
    }
}
impl<O: JsiiObject + ?Sized> Upcast for O {}

impl<T> ToWire for dyn IsA<T> + '_ {
    fn to_wire(&self) -> Value {
        self.jsii_ref().to_wire()
    }
}

/// Declares a handle type's `JsiiObject`, `FromObjRef`, `IsA<Self>` and wire conversions.
#[macro_export]
#[doc(hidden)]
macro_rules! __jsii_handle {
    ($name:ident, $fqn:literal) => {
        impl $crate::runtime::JsiiObject for $name {
            fn jsii_ref(&self) -> &$crate::runtime::ObjRef {
                &self.0
            }
        }
        impl $crate::runtime::FromObjRef for $name {
            const FQN: &'static str = $fqn;
            fn from_obj_ref(r: $crate::runtime::ObjRef) -> Self {
                Self(r)
            }
        }
        impl $crate::runtime::IsA<$name> for $name {}
        impl $name {
            /// The jsii fully qualified name.
            pub const FQN: &'static str = $fqn;
        }
        impl $crate::runtime::ToWire for $name {
            fn to_wire(&self) -> $crate::runtime::Value {
                self.0.to_wire()
            }
        }
        impl $crate::runtime::FromWire for $name {
            fn from_wire(v: $crate::runtime::Value) -> $crate::runtime::R<Self> {
                $crate::runtime::object_from_wire(v).map(Self)
            }
        }
    };
}
pub use __jsii_handle as handle;

// ------------------------------------------------------------------- wire conversions

/// A Rust value as the kernel expects it.
pub trait ToWire {
    fn to_wire(&self) -> Value;
}

/// A Rust value from what the kernel returned.
pub trait FromWire: Sized {
    fn from_wire(v: Value) -> R<Self>;
}

pub fn to_wire<T: ToWire + ?Sized>(v: &T) -> Value {
    v.to_wire()
}

pub fn from_wire<T: FromWire>(v: Value) -> R<T> {
    T::from_wire(v)
}

/// The result of a `void` method (the kernel answers `null` or nothing).
pub fn void(_: Value) -> R<()> {
    Ok(())
}

fn mismatch(expected: &str, v: &Value) -> Error {
    Error::Usage(format!("expected {expected}, the kernel returned {v}"))
}

impl ToWire for str {
    fn to_wire(&self) -> Value {
        Value::String(self.to_owned())
    }
}
impl ToWire for String {
    fn to_wire(&self) -> Value {
        Value::String(self.clone())
    }
}
impl FromWire for String {
    fn from_wire(v: Value) -> R<Self> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(mismatch("a string", &other)),
        }
    }
}
impl ToWire for f64 {
    fn to_wire(&self) -> Value {
        serde_json::Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}
impl FromWire for f64 {
    fn from_wire(v: Value) -> R<Self> {
        v.as_f64().ok_or_else(|| mismatch("a number", &v))
    }
}
impl ToWire for bool {
    fn to_wire(&self) -> Value {
        Value::Bool(*self)
    }
}
impl FromWire for bool {
    fn from_wire(v: Value) -> R<Self> {
        v.as_bool().ok_or_else(|| mismatch("a boolean", &v))
    }
}
impl ToWire for Value {
    fn to_wire(&self) -> Value {
        self.clone()
    }
}
impl FromWire for Value {
    fn from_wire(v: Value) -> R<Self> {
        Ok(v)
    }
}
impl ToWire for Date {
    fn to_wire(&self) -> Value {
        jsii::wire::date(&self.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}
impl FromWire for Date {
    fn from_wire(v: Value) -> R<Self> {
        let text = jsii::wire::as_date(&v).ok_or_else(|| mismatch("a date", &v))?;
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&chrono::Utc))
            .map_err(|e| Error::Usage(format!("date {text:?}: {e}")))
    }
}
impl ToWire for () {
    fn to_wire(&self) -> Value {
        Value::Null
    }
}
impl<T: ToWire + ?Sized> ToWire for &T {
    fn to_wire(&self) -> Value {
        (**self).to_wire()
    }
}
impl<T: ToWire + ?Sized> ToWire for Box<T> {
    fn to_wire(&self) -> Value {
        (**self).to_wire()
    }
}
impl<T: FromWire> FromWire for Box<T> {
    fn from_wire(v: Value) -> R<Self> {
        T::from_wire(v).map(Box::new)
    }
}
impl<T: ToWire> ToWire for Option<T> {
    fn to_wire(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_wire)
    }
}
impl<T: FromWire> FromWire for Option<T> {
    fn from_wire(v: Value) -> R<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_wire(v).map(Some),
        }
    }
}
impl<T: ToWire> ToWire for [T] {
    fn to_wire(&self) -> Value {
        Value::Array(self.iter().map(T::to_wire).collect())
    }
}
impl<T: ToWire> ToWire for Vec<T> {
    fn to_wire(&self) -> Value {
        self.as_slice().to_wire()
    }
}
impl<T: FromWire> FromWire for Vec<T> {
    fn from_wire(v: Value) -> R<Self> {
        match v {
            Value::Array(items) => items.into_iter().map(T::from_wire).collect(),
            other => Err(mismatch("an array", &other)),
        }
    }
}
impl<T: ToWire> ToWire for Map<String, T> {
    fn to_wire(&self) -> Value {
        jsii::wire::map(self.iter().map(|(k, v)| (k.clone(), v.to_wire())).collect())
    }
}
impl<T: FromWire> FromWire for Map<String, T> {
    fn from_wire(v: Value) -> R<Self> {
        let entries = match v {
            Value::Object(mut o) => match o.remove(jsii::wire::MAP) {
                Some(Value::Object(inner)) => inner,
                Some(other) => return Err(mismatch("a map", &other)),
                None => o,
            },
            other => return Err(mismatch("a map", &other)),
        };
        entries
            .into_iter()
            .map(|(k, v)| Ok((k, T::from_wire(v)?)))
            .collect()
    }
}

/// The kernel object a `{"$jsii.byref": ...}` value names. It is pinned: JavaScript often keeps
/// what it returns (constructs in the tree, the cached `Aspects.of(scope)`) and the kernel
/// cannot hand an object back after `del` (see `jsii::ObjRef`).
pub fn object_from_wire(v: Value) -> R<ObjRef> {
    let obj = kernel()?.adopt(&v)?;
    obj.pin();
    Ok(obj)
}

/// `{"$jsii.enum": "<fqn>/<member>"}`.
pub fn wire_enum(fqn: &str, member: &str) -> Value {
    jsii::wire::enum_member(fqn, member)
}

/// The member name of an enum value of type `fqn`.
pub fn enum_member<'v>(v: &'v Value, fqn: &str) -> R<&'v str> {
    match jsii::wire::as_enum(v) {
        Some((f, m)) if f == fqn => Ok(m),
        _ => Err(mismatch(fqn, v)),
    }
}

pub fn unknown_enum_member(fqn: &str, member: &str) -> Error {
    Error::Usage(format!("{fqn} has no member {member} in these bindings"))
}

/// Sets `key` in a struct's data when the field is set (unset fields are left out).
pub fn put<T: ToWire>(data: &mut JsonMap<String, Value>, key: &str, value: &Option<T>) {
    if let Some(v) = value {
        data.insert(key.to_owned(), v.to_wire());
    }
}

/// A struct by value: `{"$jsii.struct": {"fqn", "data"}}`.
pub fn wire_struct(fqn: &str, data: JsonMap<String, Value>) -> Value {
    jsii::wire::struct_value(fqn, data)
}

/// Where a returned struct's fields are read from: the kernel returns structs by reference
/// (each field is then one `get`) or, inside other values, as plain data.
pub enum StructSource {
    ByRef(ObjRef),
    Data(JsonMap<String, Value>),
}

impl StructSource {
    pub fn new(v: Value) -> R<Self> {
        if jsii::wire::as_byref(&v).is_some() {
            return object_from_wire(v).map(StructSource::ByRef);
        }
        match v {
            Value::Object(mut o) => match o.remove(jsii::wire::STRUCT) {
                Some(Value::Object(mut s)) => match s.remove("data") {
                    Some(Value::Object(data)) => Ok(StructSource::Data(data)),
                    _ => Err(Error::Usage("a $jsii.struct without data".into())),
                },
                Some(other) => Err(mismatch("a struct", &other)),
                None => Ok(StructSource::Data(o)),
            },
            other => Err(mismatch("a struct", &other)),
        }
    }

    pub fn field<T: FromWire>(&self, name: &str) -> R<T> {
        match self {
            StructSource::ByRef(r) => T::from_wire(r.get(name)?),
            StructSource::Data(d) => T::from_wire(d.get(name).cloned().unwrap_or(Value::Null)),
        }
    }
}

/// The wire shape of a value, for picking a union's variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    Number,
    Bool,
    Date,
    Enum,
    Object,
    Struct,
    Array,
    Map,
    Any,
}

pub fn shape_of(v: &Value) -> Shape {
    match v {
        Value::String(_) => Shape::String,
        Value::Number(_) => Shape::Number,
        Value::Bool(_) => Shape::Bool,
        Value::Array(_) => Shape::Array,
        Value::Null => Shape::Any,
        Value::Object(o) => {
            if o.contains_key(jsii::wire::BYREF) {
                // Structs come back by reference too; their ids carry the struct's fqn, which
                // generated code cannot tell from a class here, so both decode as objects first.
                Shape::Object
            } else if o.contains_key(jsii::wire::ENUM) {
                Shape::Enum
            } else if o.contains_key(jsii::wire::DATE) {
                Shape::Date
            } else if o.contains_key(jsii::wire::STRUCT) {
                Shape::Struct
            } else {
                Shape::Map
            }
        }
    }
}

pub fn no_union_variant(union: &str, v: &Value) -> Error {
    Error::Usage(format!("no variant of {union} matches {v}"))
}

/// The arguments of a call with a variadic last parameter: the fixed ones, then each rest item.
pub fn args_variadic<T: ToWire>(mut fixed: Vec<Value>, rest: &[T]) -> Vec<Value> {
    fixed.extend(rest.iter().map(T::to_wire));
    fixed
}

// ------------------------------------------------------------------- kernel calls

/// The process's kernel with this crate's assembly closure loaded (a no-op after the first time).
pub fn kernel() -> R<jsii::Kernel> {
    let k = jsii::global()?;
    k.require(crate::JSII_ASSEMBLY)?;
    Ok(k)
}

/// `new fqn(...args)`. Constructs are pinned (`pin`): they live in their tree, and JavaScript
/// hands them back (children, scopes) long after the handle that made them is gone.
pub fn create(fqn: &str, args: Vec<Value>, pin: bool) -> R<ObjRef> {
    let obj = kernel()?.create(fqn, args)?;
    if pin {
        obj.pin();
    }
    Ok(obj)
}

pub fn invoke(obj: &ObjRef, method: &str, args: Vec<Value>) -> R<Value> {
    obj.invoke(method, args)
}

/// An async method: `begin`, then `end`, which waits for the promise (callbacks are served).
pub fn invoke_async(obj: &ObjRef, method: &str, args: Vec<Value>) -> R<Value> {
    let kernel = obj.kernel();
    let promise = kernel.begin(obj, method, args)?;
    kernel.end(promise)
}

pub fn sinvoke(fqn: &str, method: &str, args: Vec<Value>) -> R<Value> {
    kernel()?.sinvoke(fqn, method, args)
}

pub fn get(obj: &ObjRef, property: &str) -> R<Value> {
    obj.get(property)
}

pub fn set(obj: &ObjRef, property: &str, value: Value) -> R<()> {
    obj.set(property, value)
}

pub fn sget(fqn: &str, property: &str) -> R<Value> {
    kernel()?.sget(fqn, property)
}

pub fn sset(fqn: &str, property: &str, value: Value) -> R<()> {
    kernel()?.sset(fqn, property, value)
}

// ------------------------------------------------------------------- host objects

/// A Rust object the kernel calls back into (generated per interface from its `...Impl` trait).
pub trait HostObject: Send + Sync + 'static {
    fn invoke(&self, method: &str, args: Vec<Value>) -> R<Value>;
    fn get(&self, property: &str) -> R<Value>;
    fn set(&self, property: &str, value: Value) -> R<()>;
}

struct Host<H>(H);

impl<H: HostObject> jsii::HostObject for Host<H> {
    fn invoke(
        &self,
        _cx: &jsii::CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, jsii::CallbackError> {
        Ok(self.0.invoke(method, args)?)
    }
    fn get(
        &self,
        _cx: &jsii::CallContext<'_>,
        property: &str,
    ) -> Result<Value, jsii::CallbackError> {
        Ok(self.0.get(property)?)
    }
    fn set(
        &self,
        _cx: &jsii::CallContext<'_>,
        property: &str,
        value: Value,
    ) -> Result<(), jsii::CallbackError> {
        Ok(self.0.set(property, value)?)
    }
}

/// Registers `imp` with the kernel as a new object implementing `interface`, whose `methods`
/// and `properties` call back into `imp`.
pub fn host_object<H: HostObject>(
    interface: &str,
    methods: &[&str],
    properties: &[&str],
    imp: H,
) -> R<ObjRef> {
    let overrides = methods
        .iter()
        .map(|m| jsii::Override::method(*m))
        .chain(properties.iter().map(|p| jsii::Override::property(*p)))
        .collect();
    let options = jsii::CreateOptions {
        interfaces: vec![interface.to_owned()],
        overrides,
        host: Some(Arc::new(Host(imp))),
    };
    kernel()?.create_with("Object", vec![], options)
}

// ------------------------------------------------------------------- subclasses

pub use jsii::CallbackError;
pub use jsii::Override;

/// A member access the kernel routes to a Rust subclass (an overridden member was used).
pub enum Call<'a> {
    /// A method call, with its arguments.
    Invoke(&'a str, Args),
    /// A property read.
    Get(&'a str),
    /// A property write.
    Set(&'a str, Value),
}

impl Call<'_> {
    /// The error for a member no `...Overrides` trait of `fqn`'s class chain declares.
    pub fn unknown(self, fqn: &str) -> Error {
        let member = match self {
            Call::Invoke(m, _) | Call::Get(m) | Call::Set(m, _) => m,
        };
        no_such_member(fqn, member)
    }
}

/// Routes one call to the overrides trait implementation `T` (generated per class).
pub type Dispatch<T> = fn(&T, &ObjRef, Call<'_>) -> R<Value>;

struct Subclass<T> {
    imp: T,
    dispatch: Dispatch<T>,
}

impl<T: Send + Sync + 'static> jsii::HostObject for Subclass<T> {
    fn invoke(
        &self,
        cx: &jsii::CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, jsii::CallbackError> {
        Ok((self.dispatch)(
            &self.imp,
            cx.this,
            Call::Invoke(method, Args::new(args)),
        )?)
    }
    fn get(
        &self,
        cx: &jsii::CallContext<'_>,
        property: &str,
    ) -> Result<Value, jsii::CallbackError> {
        Ok((self.dispatch)(&self.imp, cx.this, Call::Get(property))?)
    }
    fn set(
        &self,
        cx: &jsii::CallContext<'_>,
        property: &str,
        value: Value,
    ) -> Result<(), jsii::CallbackError> {
        (self.dispatch)(&self.imp, cx.this, Call::Set(property, value))?;
        Ok(())
    }
}

/// `new fqn(...args)` where the `overrides` are served by `imp` through `dispatch`.
///
/// Always pinned: the Rust value stays registered for the kernel's life anyway (see
/// `jsii::HostObject`), and JavaScript typically keeps the object and hands it back.
pub fn subclass<T: Send + Sync + 'static>(
    fqn: &str,
    args: Vec<Value>,
    overrides: Vec<Override>,
    imp: T,
    dispatch: Dispatch<T>,
) -> R<ObjRef> {
    // A property listed by both its getter and its setter is one override.
    let mut unique: Vec<Override> = Vec::with_capacity(overrides.len());
    for o in overrides {
        if !unique.contains(&o) {
            unique.push(o);
        }
    }
    let options = jsii::CreateOptions {
        interfaces: vec![],
        overrides: unique,
        host: Some(Arc::new(Subclass { imp, dispatch })),
    };
    let obj = kernel()?.create_with(fqn, args, options)?;
    obj.pin();
    Ok(obj)
}

/// A name in an `OVERRIDES` list that is no member of the trait it was listed in.
pub fn not_overridable(fqn: &str, name: &str) -> Error {
    Error::Usage(format!(
        "`{name}` is listed in OVERRIDES but is no overridable member of {fqn} (list the \
         Rust names of the trait's methods; a property by its getter or setter)"
    ))
}

/// Fails unless every abstract member (`(jsii name, Rust name)`) is among `overrides`: the
/// library has no implementation to fall back to.
pub fn require_overrides(fqn: &str, overrides: &[Override], abstracts: &[(&str, &str)]) -> R<()> {
    let missing: Vec<&str> = abstracts
        .iter()
        .filter(|(jsii, _)| {
            !overrides.iter().any(|o| match o {
                Override::Method(n) | Override::Property(n) => n == jsii,
            })
        })
        .map(|(_, rust)| *rust)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{fqn} is abstract: implement and list in OVERRIDES {}",
        missing.join(", ")
    )))
}

/// The arguments of a callback, decoded one by one in parameter order.
pub struct Args(std::vec::IntoIter<Value>);

impl Args {
    pub fn new(args: Vec<Value>) -> Self {
        Args(args.into_iter())
    }

    /// The next argument (a missing optional one is `null`).
    #[allow(clippy::should_implement_trait)]
    pub fn next<T: FromWire>(&mut self) -> R<T> {
        T::from_wire(self.0.next().unwrap_or(Value::Null))
    }

    /// All remaining arguments (a variadic parameter).
    pub fn rest<T: FromWire>(&mut self) -> R<Vec<T>> {
        self.0.by_ref().map(T::from_wire).collect()
    }
}

pub fn no_such_member(fqn: &str, member: &str) -> Error {
    Error::Usage(format!(
        "the Rust implementation of {fqn} has no member {member}"
    ))
}

pub fn read_only(property: &str) -> Error {
    Error::Usage(format!(
        "property {property} is read-only in this Rust implementation"
    ))
}
