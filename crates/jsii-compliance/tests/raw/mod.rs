//! The cases through the host runtime's API: wire values in, wire values out.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use jsii::wire;
use serde_json::{Value, json};

use crate::support::{Cx, Native, b, f};

/// A case run through the host API.
pub type RawCase = fn(&mut Cx) -> Result<()>;

/// Wire values with the `$jsii.map` / `$jsii.struct` wrappers removed, for comparisons.
pub fn plain(v: &Value) -> Value {
    if let Some(m) = wire::as_map(v) {
        return Value::Object(m.iter().map(|(k, v)| (k.clone(), plain(v))).collect());
    }
    if let Some((_, data)) = wire::as_struct(v) {
        return Value::Object(data.iter().map(|(k, v)| (k.clone(), plain(v))).collect());
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(plain).collect()),
        Value::Object(o) if wire::as_byref(v).is_none() => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), plain(v))).collect())
        }
        other => other.clone(),
    }
}

fn e(enum_fqn: &str, member: &str) -> Value {
    wire::enum_member(enum_fqn, member)
}

// ---- kernel -------------------------------------------------------------------------------

// ---- values -------------------------------------------------------------------------------

// ---- collections --------------------------------------------------------------------------

// ---- structs ------------------------------------------------------------------------------

// ---- references ---------------------------------------------------------------------------

pub fn creation_of_native_objects_from_java_script_objects(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    let js = cx.new_obj(&b("Num"), vec![json!(44)])?;
    cx.set(&s, "anyProperty", js.to_wire())?;
    cx.eq(
        "kernel object back",
        cx.obj(&cx.get(&s, "anyProperty")?)?,
        js,
    )?;
    let native = cx.implement(
        &[&b("IRandom")],
        Native::new().method("next", |_, _| Ok(json!(7))),
    )?;
    cx.set(&s, "anyProperty", native.to_wire())?;
    cx.eq(
        "host object back",
        cx.obj(&cx.get(&s, "anyProperty")?)?,
        native,
    )
}

pub fn object_id_does_not_get_reallocated_when_the_constructor_passes_this_out(
    cx: &mut Cx,
) -> Result<()> {
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    let s = seen.clone();
    let consumer = cx.subclass(
        &f("PartialThisConsumer"),
        vec![],
        Native::new().method("consumePartiallyInitializedThis", move |_, args| {
            s.lock().expect("not poisoned").extend(args);
            Ok(json!("OK"))
        }),
    )?;
    let made = cx.new_obj(&f("ConstructorPassesThisOut"), vec![consumer.to_wire()])?;
    let args = seen.lock().expect("not poisoned").clone();
    cx.eq("three arguments", args.len(), 3)?;
    cx.eq(
        "this is the new object",
        wire::as_byref(&args[0]),
        Some(made.id()),
    )?;
    cx.eq(
        "date",
        args[1].clone(),
        wire::date("1970-01-01T00:00:00.000Z"),
    )?;
    cx.eq("enum", args[2].clone(), e(&f("RenderStyle"), "FANCY"))
}

pub fn class_can_be_used_when_not_expressedly_loaded(cx: &mut Cx) -> Result<()> {
    let seen = Arc::new(Mutex::new(None::<String>));
    let s = seen.clone();
    let unwrapper = cx.subclass(
        &f("Unwrapper"),
        vec![],
        Native::new().method("unwrap", move |c, args| {
            let rng = c.kernel.adopt(&args[0])?;
            *s.lock().expect("not poisoned") = Some(rng.fqn().to_owned());
            Ok(c.kernel.invoke(&rng, "next", vec![])?)
        }),
    )?;
    cx.eq("test", cx.call(&unwrapper, "test", vec![])?, json!(1337))?;
    cx.eq(
        "received type",
        seen.lock().expect("not poisoned").clone(),
        Some(b("FixedRandom")),
    )
}

// ---- interfaces ---------------------------------------------------------------------------

fn struct_b() -> Value {
    json!({"requiredString": "It's Britney b**ch!"})
}

pub fn interfaces_can_be_used_transparently_when_added_to_jsii_type(cx: &mut Cx) -> Result<()> {
    let sink = cx.create_native(
        &f("KitchenSink"),
        vec![],
        vec![f("IStructReturningDelegate")],
        Native::new().method("returnStruct", |_, _| Ok(struct_b())),
    )?;
    let consumer = cx.new_obj(&f("ConsumePureInterface"), vec![sink.to_wire()])?;
    let got = cx.call(&consumer, "workItBaby", vec![])?;
    cx.eq(
        "workItBaby",
        cx.read_struct(&got, &["requiredString", "optionalBoolean"])?,
        struct_b(),
    )
}

// ---- unions -------------------------------------------------------------------------------

// ---- errors -------------------------------------------------------------------------------

// ---- sync overrides -----------------------------------------------------------------------

/// The kernel's refusal of an async call made from inside a sync callback.
fn refused_async(cx: &mut Cx, msg: &str) -> Result<()> {
    cx.check(
        &format!("the kernel refused the nested async call: {msg}"),
        msg.contains("Cannot invoke async method"),
    )
}

fn double_async(cx: &Cx) -> Result<jsii::ObjRef> {
    cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().method("virtualMethod", |c, _| {
            // A sync callback that starts an async call: the kernel must refuse.
            let p = c.kernel.begin(c.this, "callerIsAsync", vec![])?;
            Ok(c.kernel.end(p)?)
        }),
    )
}

pub fn fail_sync_overrides_calls_double_async_method(cx: &mut Cx) -> Result<()> {
    let o = double_async(cx)?;
    let msg = cx.fails("callerIsMethod", cx.k.invoke(&o, "callerIsMethod", vec![]))?;
    refused_async(cx, &msg)
}

pub fn fail_sync_overrides_calls_double_async_property_getter(cx: &mut Cx) -> Result<()> {
    let o = double_async(cx)?;
    let msg = cx.fails("get callerIsProperty", cx.k.get(&o, "callerIsProperty"))?;
    refused_async(cx, &msg)
}

pub fn fail_sync_overrides_calls_double_async_property_setter(cx: &mut Cx) -> Result<()> {
    let o = double_async(cx)?;
    let msg = cx.fails(
        "set callerIsProperty",
        cx.k.set(&o, "callerIsProperty", json!(12)),
    )?;
    refused_async(cx, &msg)
}

// ---- async --------------------------------------------------------------------------------

// ---- naming (the wire keeps the jsii names) -----------------------------------------------
