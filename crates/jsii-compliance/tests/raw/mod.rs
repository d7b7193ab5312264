//! The cases through the host runtime's API: wire values in, wire values out.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use jsii::CallbackError;
use jsii::wire;
use serde_json::{Value, json};

use crate::support::{Cx, Native, b, f, num, text};

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

fn cb(e: anyhow::Error) -> CallbackError {
    CallbackError::new(format!("{e:#}"))
}

// ---- kernel -------------------------------------------------------------------------------

// ---- values -------------------------------------------------------------------------------

// ---- collections --------------------------------------------------------------------------

// ---- structs ------------------------------------------------------------------------------

// ---- references ---------------------------------------------------------------------------

pub fn subclassing(cx: &mut Cx) -> Result<()> {
    // A Value whose `value` is computed in Rust: add ten to the wrapped number.
    let add_ten = cx.subclass(
        &b("Num"),
        vec![json!(33)],
        Native::new().getter("value", |c| {
            let inner = num(&c.kernel.get(c.this, "value")?).map_err(cb)?;
            Ok(json!(inner + 10.0))
        }),
    )?;
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.set(&acc, "curr", add_ten.to_wire())?;
    cx.call(&acc, "neg", vec![])?;
    cx.eq("value", num(&cx.get(&acc, "value")?)?, -43.0)
}

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

fn sync_overrides(
    cx: &Cx,
    multiplier: Arc<AtomicUsize>,
    return_super: Arc<AtomicBool>,
) -> Result<jsii::ObjRef> {
    cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().method("virtualMethod", move |c, args| {
            if return_super.load(Ordering::SeqCst) {
                return Ok(c.kernel.invoke(c.this, "virtualMethod", args)?);
            }
            let n = args[0].as_f64().unwrap_or_default();
            Ok(json!(n * 5.0 * multiplier.load(Ordering::SeqCst) as f64))
        }),
    )
}

pub fn sync_overrides_case(cx: &mut Cx) -> Result<()> {
    let multiplier = Arc::new(AtomicUsize::new(1));
    let o = sync_overrides(cx, multiplier.clone(), Arc::new(AtomicBool::new(false)))?;
    cx.eq(
        "callerIsMethod",
        cx.call(&o, "callerIsMethod", vec![])?,
        json!(50),
    )?;
    multiplier.store(5, Ordering::SeqCst);
    cx.eq(
        "multiplier 5",
        cx.call(&o, "callerIsMethod", vec![])?,
        json!(250),
    )?;
    cx.eq(
        "callerIsProperty",
        cx.get(&o, "callerIsProperty")?,
        json!(250),
    )
}

pub fn sync_overrides_calls_super(cx: &mut Cx) -> Result<()> {
    let return_super = Arc::new(AtomicBool::new(false));
    let o = sync_overrides(cx, Arc::new(AtomicUsize::new(1)), return_super.clone())?;
    cx.eq("override", cx.get(&o, "callerIsProperty")?, json!(50))?;
    return_super.store(true, Ordering::SeqCst);
    cx.eq("super", cx.get(&o, "callerIsProperty")?, json!(20))
}

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

pub fn property_overrides_get_set(cx: &mut Cx) -> Result<()> {
    let store = Arc::new(Mutex::new(String::from("I am an override!")));
    let (g, s) = (store.clone(), store.clone());
    let o = cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new()
            .getter("theProperty", move |_| {
                Ok(json!(*g.lock().expect("not poisoned")))
            })
            .setter("theProperty", move |_, v| {
                *s.lock().expect("not poisoned") = v.as_str().unwrap_or_default().to_owned();
                Ok(())
            }),
    )?;
    cx.eq(
        "retrieve",
        cx.call(&o, "retrieveValueOfTheProperty", vec![])?,
        json!("I am an override!"),
    )?;
    cx.call(&o, "modifyValueOfTheProperty", vec![json!("New Value")])?;
    cx.eq(
        "host saw the write",
        store.lock().expect("not poisoned").clone(),
        "New Value".to_owned(),
    )
}

pub fn property_overrides_get_calls_super(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().getter("theProperty", |c| {
            let sup = c.kernel.get(c.this, "theProperty")?;
            Ok(json!(format!("super:{}", sup.as_str().unwrap_or_default())))
        }),
    )?;
    cx.eq(
        "retrieve",
        cx.call(&o, "retrieveValueOfTheProperty", vec![])?,
        json!("super:initial value"),
    )?;
    cx.eq(
        "kernel get",
        cx.get(&o, "theProperty")?,
        json!("initial value"),
    )
}

pub fn property_overrides_set_calls_super(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().setter("theProperty", |c, v| {
            let value = format!("{}:by override", v.as_str().unwrap_or_default());
            Ok(c.kernel.set(c.this, "theProperty", json!(value))?)
        }),
    )?;
    cx.call(&o, "modifyValueOfTheProperty", vec![json!("New Value")])?;
    cx.eq(
        "value",
        cx.call(&o, "retrieveValueOfTheProperty", vec![])?,
        json!("New Value:by override"),
    )
}

pub fn property_overrides_get_throws(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().getter("theProperty", |_| {
            Err(CallbackError::new("Oh no, this is bad"))
        }),
    )?;
    let msg = cx.fails(
        "retrieve",
        cx.k.invoke(&o, "retrieveValueOfTheProperty", vec![]),
    )?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Oh no, this is bad"),
    )
}

pub fn property_overrides_set_throws(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("SyncVirtual"),
        vec![],
        Native::new().setter("theProperty", |_, _| {
            Err(CallbackError::new("Exception from overloaded setter"))
        }),
    )?;
    let msg = cx.fails(
        "modify",
        cx.k.invoke(&o, "modifyValueOfTheProperty", vec![json!("Hii")]),
    )?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Exception from overloaded setter"),
    )
}

pub fn can_override_protected_method(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("OverridableProtected"),
        vec![],
        Native::new().method("overrideMe", |_, _| Ok(json!("Cthulhu Fhtagn!"))),
    )?;
    cx.eq(
        "valueFromProtected",
        cx.call(&o, "valueFromProtected", vec![])?,
        json!("Cthulhu Fhtagn!"),
    )
}

pub fn can_override_protected_getter(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("OverridableProtected"),
        vec![],
        Native::new()
            .getter("overrideReadOnly", |_| Ok(json!("Cthulhu ")))
            .getter("overrideReadWrite", |_| Ok(json!("Fhtagn!"))),
    )?;
    cx.eq(
        "valueFromProtected",
        cx.call(&o, "valueFromProtected", vec![])?,
        json!("Cthulhu Fhtagn!"),
    )
}

pub fn can_override_protected_setter(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("OverridableProtected"),
        vec![],
        Native::new().setter("overrideReadWrite", |c, v| {
            let value = format!("zzz{}", v.as_str().unwrap_or_default());
            Ok(c.kernel.set(c.this, "overrideReadWrite", json!(value))?)
        }),
    )?;
    cx.call(&o, "switchModes", vec![])?;
    cx.eq(
        "valueFromProtected",
        cx.call(&o, "valueFromProtected", vec![])?,
        json!("Bazzzzaar..."),
    )
}

pub fn abstract_members_are_correctly_handled(cx: &mut Cx) -> Result<()> {
    let store = Arc::new(Mutex::new(String::new()));
    let (g, s) = (store.clone(), store);
    let o = cx.subclass(
        &f("AbstractSuite"),
        vec![],
        Native::new()
            .method("someMethod", |_, args| {
                Ok(json!(format!(
                    "Wrapped<{}>",
                    args[0].as_str().unwrap_or_default()
                )))
            })
            .getter("property", move |_| {
                Ok(json!(*g.lock().expect("not poisoned")))
            })
            .setter("property", move |_, v| {
                *s.lock().expect("not poisoned") =
                    format!("String<{}>", v.as_str().unwrap_or_default());
                Ok(())
            }),
    )?;
    cx.eq(
        "workItAll",
        cx.call(&o, "workItAll", vec![json!("Oomf!")])?,
        json!("Wrapped<String<Oomf!>>"),
    )
}

pub fn callbacks_correctly_deserialize_arguments(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("DataRenderer"),
        vec![],
        Native::new().method("renderMap", |c, args| {
            let mut map = plain(&args[0]);
            map.as_object_mut()
                .ok_or_else(|| CallbackError::new(format!("not a map: {}", args[0])))?
                .insert("custom".into(), json!("value"));
            Ok(c.kernel.invoke(c.this, "renderMap", vec![map])?)
        }),
    )?;
    let got = text(&cx.call(&o, "render", vec![json!({"label": "50", "count": 50})])?)?;
    cx.eq(
        "render",
        got.as_str(),
        "{\n  \"count\": 50,\n  \"custom\": \"value\",\n  \"label\": \"50\"\n}",
    )
}

/// Creates a DoNotOverridePrivates whose host object offers members named like its privates;
/// the harness must not send them as overrides (they are not in the assembly).
fn do_not_override_privates(cx: &Cx, member: &str) -> Result<jsii::ObjRef> {
    let _ = member; // the Rust-side member exists only on the Rust type, never on the wire
    cx.new_obj(&f("DoNotOverridePrivates"), vec![])
}

pub fn do_not_override_privates_method(cx: &mut Cx) -> Result<()> {
    let o = do_not_override_privates(cx, "privateMethod")?;
    cx.eq(
        "privateMethodValue",
        cx.call(&o, "privateMethodValue", vec![])?,
        json!("privateMethod"),
    )
}

pub fn do_not_override_privates_property(cx: &mut Cx) -> Result<()> {
    let o = do_not_override_privates(cx, "privateProperty")?;
    cx.eq(
        "privatePropertyValue",
        cx.call(&o, "privatePropertyValue", vec![])?,
        json!("privateProperty"),
    )?;
    cx.call(&o, "changePrivatePropertyValue", vec![json!("MyNewValue")])?;
    cx.eq(
        "after change",
        cx.call(&o, "privatePropertyValue", vec![])?,
        json!("MyNewValue"),
    )
}

// ---- async --------------------------------------------------------------------------------

pub fn async_overrides_override_async_method(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("AsyncVirtual"),
        vec![],
        Native::new().method("overrideMe", |_, args| {
            Ok(json!(args[0].as_f64().unwrap_or_default() * 2.0))
        }),
    )?;
    let p = cx.k.begin(&o, "callMe", vec![])?;
    cx.eq("callMe", cx.k.end(p)?, json!(28))
}

pub fn async_overrides_override_async_method_by_parent_class(cx: &mut Cx) -> Result<()> {
    // The override is declared on AsyncVirtual's method; the kernel must call it when the
    // method is reached from callMeDoubleAsync, a different entry point of the same class.
    let o = cx.subclass(
        &f("AsyncVirtual"),
        vec![],
        Native::new().method("overrideMe", |_, args| {
            Ok(json!(args[0].as_f64().unwrap_or_default() * 3.0))
        }),
    )?;
    let p = cx.k.begin(&o, "callMeDoubleAsync", vec![])?;
    cx.eq("callMeDoubleAsync", cx.k.end(p)?, json!(76))
}

pub fn async_overrides_override_calls_super(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("AsyncDefaults"),
        vec![],
        Native::new().method("overrideMe", |c, args| {
            let p = c.kernel.begin(c.this, "overrideMe", args)?;
            let sup = c.kernel.end(p)?.as_f64().unwrap_or_default();
            Ok(json!(sup * 10.0 + 1.0))
        }),
    )?;
    // callMe (JavaScript) reaches the override, which awaits the JavaScript overrideMe
    // (132) and returns 1321; callMe adds one. (A host-initiated call of an overridden member
    // runs the JavaScript implementation: that is how `super` is spelled on the wire.)
    let p = cx.k.begin(&o, "callMe", vec![])?;
    cx.eq("callMe", cx.k.end(p)?, json!(1322))
}

pub fn async_overrides_two_overrides(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("AsyncVirtual"),
        vec![],
        Native::new()
            .method("overrideMe", |_, args| {
                Ok(json!(args[0].as_f64().unwrap_or_default() * 4.0))
            })
            .method("overrideMeToo", |_, _| Ok(json!(666))),
    )?;
    let p = cx.k.begin(&o, "callMe", vec![])?;
    cx.eq("callMe", cx.k.end(p)?, json!(714))
}

pub fn async_overrides_override_throws(cx: &mut Cx) -> Result<()> {
    let o = cx.subclass(
        &f("AsyncVirtual"),
        vec![],
        Native::new().method("overrideMe", |_, _| {
            Err(CallbackError::new("Thrown by native code"))
        }),
    )?;
    let p = cx.k.begin(&o, "callMe", vec![])?;
    let msg = cx.fails("callMe", cx.k.end(p))?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Thrown by native code"),
    )
}

// ---- naming (the wire keeps the jsii names) -----------------------------------------------
