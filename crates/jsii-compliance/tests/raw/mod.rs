//! The cases through the host runtime's API: wire values in, wire values out.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use jsii::CallbackError;
use jsii::wire;
use serde_json::{Map, Value, json};

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

fn n(cx: &Cx, value: f64) -> Result<Value> {
    Ok(cx.new_obj(&b("Num"), vec![json!(value)])?.to_wire())
}

fn value_of(cx: &Cx, v: &Value) -> Result<f64> {
    num(&cx.get(&cx.obj(v)?, "value")?)
}

fn e(enum_fqn: &str, member: &str) -> Value {
    wire::enum_member(enum_fqn, member)
}

fn cb(e: anyhow::Error) -> CallbackError {
    CallbackError::new(format!("{e:#}"))
}

// ---- kernel -------------------------------------------------------------------------------

pub fn call_methods(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.call(&acc, "add", vec![json!(10)])?;
    cx.eq("after add", num(&cx.get(&acc, "value")?)?, 10.0)?;
    cx.call(&acc, "mul", vec![json!(2)])?;
    cx.eq("after mul", num(&cx.get(&acc, "value")?)?, 20.0)?;
    cx.call(&acc, "pow", vec![json!(5)])?;
    cx.eq("after pow", num(&cx.get(&acc, "value")?)?, 3_200_000.0)?;
    cx.call(&acc, "neg", vec![])?;
    cx.eq("after neg", num(&cx.get(&acc, "value")?)?, -3_200_000.0)
}

pub fn get_set_primitive_properties(cx: &mut Cx) -> Result<()> {
    let twenty = cx.new_obj(&b("Num"), vec![json!(20)])?;
    cx.eq("value", num(&cx.get(&twenty, "value")?)?, 20.0)?;
    cx.eq("doubled", num(&cx.get(&twenty, "doubled")?)?, 40.0)?;
    let plus = cx.new_obj(&f("Plus"), vec![n(cx, 20.0)?, n(cx, 10.0)?])?;
    let neg = cx.new_obj(&f("Negation"), vec![plus.to_wire()])?;
    cx.eq("-(20+10)", num(&cx.get(&neg, "value")?)?, -30.0)?;
    let pow = cx.new_obj(&f("Power"), vec![n(cx, 3.0)?, n(cx, 4.0)?])?;
    cx.eq("3^4", num(&cx.get(&pow, "value")?)?, 81.0)?;
    let sink = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&sink, "numberProperty", json!(1234))?;
    cx.eq(
        "numberProperty",
        cx.get(&sink, "numberProperty")?,
        json!(1234),
    )
}

pub fn get_and_set_non_primitive_properties(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.call(&acc, "add", vec![json!(3_200_000)])?;
    cx.call(&acc, "neg", vec![])?;
    let curr = cx.get(&acc, "curr")?;
    let doubled = cx.new_obj(&f("Product"), vec![n(cx, 2.0)?, curr])?;
    cx.set(&acc, "curr", doubled.to_wire())?;
    cx.eq("value", num(&cx.get(&acc, "value")?)?, -6_400_000.0)?;
    let back = cx.obj(&cx.get(&acc, "curr")?)?;
    cx.eq("curr is the object set", back, doubled)
}

pub fn create_object_and_ctor_overloads(cx: &mut Cx) -> Result<()> {
    let without = cx.new_obj(&f("Optionals"), vec![json!("a")])?;
    cx.eq("without", cx.get(&without, "description")?, json!("a"))?;
    let with = cx.new_obj(&f("Optionals"), vec![json!("a"), json!(2)])?;
    cx.eq("with", cx.get(&with, "description")?, json!("a:2"))?;
    let acc = cx.new_obj(&f("Accumulator"), vec![json!({"initial": 5})])?;
    cx.eq("with props", num(&cx.get(&acc, "value")?)?, 5.0)
}

pub fn test_fluent_api_with_derived_classes(cx: &mut Cx) -> Result<()> {
    let child = cx.new_obj(&f("KitchenSinkChild"), vec![])?;
    cx.set(&child, "stringProperty", json!("Hello"))?;
    cx.set(&child, "numberProperty", json!(12))?;
    cx.eq("string", cx.get(&child, "stringProperty")?, json!("Hello"))?;
    cx.eq("number", cx.get(&child, "numberProperty")?, json!(12))
}

pub fn statics(cx: &mut Cx) -> Result<()> {
    let s = f("Statics");
    cx.eq(
        "greet",
        cx.scall(&s, "greet", vec![json!("Yoyo")])?,
        json!("hello, Yoyo!"),
    )?;
    let default = cx.obj(&cx.sget(&s, "instance")?)?;
    cx.eq(
        "default instance",
        cx.get(&default, "value")?,
        json!("default"),
    )?;
    let fresh = cx.new_obj(&s, vec![json!("new value")])?;
    cx.sset(&s, "instance", fresh.to_wire())?;
    let now = cx.obj(&cx.sget(&s, "instance")?)?;
    cx.eq("same instance back", now.clone(), fresh)?;
    cx.eq("its value", cx.get(&now, "value")?, json!("new value"))?;
    cx.eq("nonConstStatic", cx.sget(&s, "nonConstStatic")?, json!(100))?;
    cx.sset(&s, "instance", default.to_wire())
}

pub fn consts(cx: &mut Cx) -> Result<()> {
    let s = f("Statics");
    cx.eq("FOO", cx.sget(&s, "FOO")?, json!("hello"))?;
    cx.eq("BAR", cx.sget(&s, "BAR")?, json!(1234))?;
    let obj = cx.obj(&cx.sget(&s, "CONST_OBJ")?)?;
    cx.eq(
        "CONST_OBJ.hello()",
        cx.call(&obj, "hello", vec![])?,
        json!("world"),
    )?;
    cx.eq(
        "ZOO_BAR",
        plain(&cx.sget(&s, "ZOO_BAR")?),
        json!({"hello": "world"}),
    )
}

pub fn variadic_method_can_be_invoked(cx: &mut Cx) -> Result<()> {
    let v = cx.new_obj(&f("Variadic"), vec![json!(1)])?;
    let got = cx.call(&v, "asArray", vec![json!(3), json!(4), json!(5), json!(6)])?;
    cx.eq("asArray", got, json!([1, 3, 4, 5, 6]))
}

pub fn class_with_private_constructor_and_automatic_properties(cx: &mut Cx) -> Result<()> {
    let o = cx.obj(&cx.scall(
        &f("PrivateCtor"),
        "create",
        vec![json!("Hello"), json!("Bye")],
    )?)?;
    cx.eq(
        "readWriteString",
        cx.get(&o, "readWriteString")?,
        json!("Bye"),
    )?;
    cx.set(&o, "readWriteString", json!("Hello"))?;
    cx.eq(
        "readOnlyString",
        cx.get(&o, "readOnlyString")?,
        json!("Hello"),
    )?;
    cx.eq("after set", cx.get(&o, "readWriteString")?, json!("Hello"))
}

pub fn node_standard_library(cx: &mut Cx) -> Result<()> {
    let o = cx.new_obj(&f("NodeStandardLibrary"), vec![])?;
    cx.eq(
        "fs",
        cx.call(&o, "fsRoundTripSync", vec![])?,
        json!("Hello, resource!"),
    )?;
    cx.check(
        "os.platform",
        !text(&cx.call(&o, "osPlatform", vec![])?)?.is_empty(),
    )?;
    cx.eq(
        "sha256",
        cx.call(&o, "cryptoSha256", vec![])?,
        json!("1307990e6ba5ca145eb35e99182a9bec46531bc54ddf656a602c780fa0240dee"),
    )?;
    let promise = cx.k.begin(&o, "fsRoundTrip", vec![])?;
    cx.eq(
        "async fs",
        cx.k.end(promise)?,
        json!("Hello, async resource!"),
    )
}

pub fn test_jsii_agent(cx: &mut Cx) -> Result<()> {
    let agent = text(&cx.sget(&f("JsiiAgent"), "value")?)?;
    cx.check(
        &format!("JSII_AGENT names Rust: {agent}"),
        agent.starts_with("Rust/"),
    )
}

pub fn stripped_deprecated_member_can_be_received(cx: &mut Cx) -> Result<()> {
    let got = cx.scall(&f("ModernFactory"), "create", vec![])?;
    let o = cx.obj(&got)?;
    cx.eq("answer", cx.get(&o, "answer")?, json!(42))
}

// ---- values -------------------------------------------------------------------------------

pub fn primitive_types(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&s, "booleanProperty", json!(true))?;
    cx.eq("boolean", cx.get(&s, "booleanProperty")?, json!(true))?;
    cx.set(&s, "stringProperty", json!("foo"))?;
    cx.eq("string", cx.get(&s, "stringProperty")?, json!("foo"))?;
    cx.set(&s, "numberProperty", json!(1234))?;
    cx.eq("number", cx.get(&s, "numberProperty")?, json!(1234))?;
    cx.set(&s, "jsonProperty", json!({"Foo": {"Bar": 123}}))?;
    cx.eq(
        "json",
        plain(&cx.get(&s, "jsonProperty")?)["Foo"]["Bar"].clone(),
        json!(123),
    )?;
    cx.set(&s, "dateProperty", wire::date("1970-01-01T00:00:00.123Z"))?;
    cx.eq(
        "date",
        cx.get(&s, "dateProperty")?,
        wire::date("1970-01-01T00:00:00.123Z"),
    )
}

pub fn dynamic_types(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    for v in [json!(false), json!("String"), json!(12.5)] {
        cx.set(&s, "anyProperty", v.clone())?;
        cx.eq("scalar any", cx.get(&s, "anyProperty")?, v)?;
    }
    cx.set(&s, "anyProperty", json!({"Goo": ["Hello", {"World": 123}]}))?;
    cx.eq(
        "nested json",
        plain(&cx.get(&s, "anyProperty")?)["Goo"][1]["World"].clone(),
        json!(123),
    )?;
    cx.set(&s, "anyProperty", json!(["Hello", "World"]))?;
    cx.eq(
        "array",
        plain(&cx.get(&s, "anyProperty")?),
        json!(["Hello", "World"]),
    )?;
    let twelve = n(cx, 12.0)?;
    cx.set(&s, "anyProperty", json!(["Hybrid", twelve, 123, false]))?;
    let got = cx.get(&s, "anyProperty")?;
    cx.eq("array of any[2]", got[2].clone(), json!(123))?;
    cx.eq(
        "array of any[1] is the object",
        value_of(cx, &got[1])?,
        12.0,
    )?;
    cx.set(&s, "anyProperty", json!({"MapKey": "MapValue"}))?;
    cx.eq(
        "map",
        plain(&cx.get(&s, "anyProperty")?),
        json!({"MapKey": "MapValue"}),
    )?;
    let product = cx.new_obj(&f("Product"), vec![n(cx, 10.0)?, n(cx, 20.0)?])?;
    cx.set(&s, "anyProperty", product.to_wire())?;
    let back = cx.obj(&cx.get(&s, "anyProperty")?)?;
    cx.eq("object identity", back.clone(), product)?;
    cx.eq("object value", num(&cx.get(&back, "value")?)?, 200.0)?;
    cx.set(&s, "anyProperty", wire::date("1970-01-01T00:20:34.000Z"))?;
    cx.eq(
        "date",
        cx.get(&s, "anyProperty")?,
        wire::date("1970-01-01T00:20:34.000Z"),
    )
}

pub fn dates(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&s, "dateProperty", wire::date("1970-01-01T00:02:08.000Z"))?;
    cx.eq(
        "typed",
        cx.get(&s, "dateProperty")?,
        wire::date("1970-01-01T00:02:08.000Z"),
    )?;
    cx.set(&s, "anyProperty", wire::date("1970-01-01T00:16:39.000Z"))?;
    cx.eq(
        "any",
        cx.get(&s, "anyProperty")?,
        wire::date("1970-01-01T00:16:39.000Z"),
    )?;
    cx.eq(
        "JS saw a Date",
        cx.call(&s, "anyIsDate", vec![])?,
        json!(true),
    )
}

pub fn iso8601_does_not_deserialize_to_date(cx: &mut Cx) -> Result<()> {
    let iso = "2026-11-30T20:00:00.000Z";
    let clock = cx.implement(
        &[&f("IClock")],
        Native::new().method("iso", move |_, _| Ok(json!(iso))),
    )?;
    let reader = cx.new_obj(&f("ClockReader"), vec![clock.to_wire()])?;
    cx.eq("read", cx.call(&reader, "read", vec![])?, json!(iso))?;
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&s, "anyProperty", json!(iso))?;
    cx.eq(
        "JS saw a string",
        cx.call(&s, "anyIsDate", vec![])?,
        json!(false),
    )?;
    cx.eq("string back", cx.get(&s, "anyProperty")?, json!(iso))
}

pub fn get_and_set_enum_values(cx: &mut Cx) -> Result<()> {
    let style = f("RenderStyle");
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.call(&acc, "add", vec![json!(9)])?;
    cx.eq("default", cx.get(&acc, "style")?, e(&style, "PLAIN"))?;
    cx.set(&acc, "style", e(&style, "FANCY"))?;
    cx.eq("set", cx.get(&acc, "style")?, e(&style, "FANCY"))?;
    cx.eq(
        "render",
        cx.call(&acc, "render", vec![])?,
        json!("<<(0 + 9)>>"),
    )
}

pub fn can_load_enum_values(cx: &mut Cx) -> Result<()> {
    let src = f("EnumSource");
    let s = cx.scall(&src, "randomStringLike", vec![])?;
    let (fqn, _) = wire::as_enum(&s).context("string-like enum")?;
    cx.eq("string-like fqn", fqn, f("StringLike").as_str())?;
    let i = cx.scall(&src, "randomIntegerLike", vec![])?;
    let (fqn, member) = wire::as_enum(&i).context("integer-like enum")?;
    cx.eq("integer-like fqn", fqn, f("IntegerLike").as_str())?;
    cx.check("integer-like member", ["ONE", "TWO"].contains(&member))
}

pub fn use_enum_from_scoped_module(cx: &mut Cx) -> Result<()> {
    let tone = b("Tone");
    let h = cx.new_obj(&f("ToneHolder"), vec![])?;
    cx.eq("default", cx.get(&h, "tone")?, e(&tone, "LOUD"))?;
    cx.set(&h, "tone", e(&tone, "CALM"))?;
    cx.eq(
        "loadTone",
        cx.call(&h, "loadTone", vec![])?,
        e(&tone, "CALM"),
    )?;
    cx.call(&h, "saveTone", vec![e(&tone, "LOUD")])?;
    cx.eq("after save", cx.get(&h, "tone")?, e(&tone, "LOUD"))
}

pub fn undefined_and_null(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.eq("unset max", cx.get(&acc, "maxValue")?, Value::Null)?;
    cx.set(&acc, "maxValue", json!(10))?;
    cx.set(&acc, "maxValue", Value::Null)?;
    cx.eq("reset max", cx.get(&acc, "maxValue")?, Value::Null)
}

pub fn null_should_be_treated_as_undefined(cx: &mut Cx) -> Result<()> {
    let o = cx.new_obj(&f("NullAsUndefined"), vec![json!("hello"), Value::Null])?;
    cx.call(&o, "giveMeUndefined", vec![Value::Null])?;
    cx.call(
        &o,
        "giveMeUndefinedInsideAnObject",
        vec![json!({
            "thisShouldBeUndefined": null,
            "arrayWithThreeElementsAndUndefinedAsSecondArgument": ["hello", null, "boom"],
        })],
    )?;
    cx.set(&o, "changeMeToUndefined", Value::Null)?;
    cx.call(&o, "verifyPropertyIsUndefined", vec![])?;
    cx.checks += 4; // each call above throws in JavaScript unless it saw undefined
    Ok(())
}

// ---- collections --------------------------------------------------------------------------

pub fn collection_types(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&s, "arrayProperty", json!(["Hello", "World"]))?;
    cx.eq(
        "array",
        cx.get(&s, "arrayProperty")?[1].clone(),
        json!("World"),
    )?;
    let num123 = n(cx, 123.0)?;
    cx.set(
        &s,
        "mapProperty",
        wire::map(Map::from_iter([("Foo".into(), num123)])),
    )?;
    let got = plain(&cx.get(&s, "mapProperty")?);
    cx.eq("map", value_of(cx, &got["Foo"])?, 123.0)
}

pub fn arrays(cx: &mut Cx) -> Result<()> {
    let total = cx.new_obj(&f("Total"), vec![])?;
    let product = cx.new_obj(&f("Product"), vec![n(cx, 2.0)?, n(cx, 3.0)?])?;
    cx.set(
        &total,
        "parts",
        json!([n(cx, 5.0)?, n(cx, 10.0)?, product.to_wire()]),
    )?;
    cx.eq("sum", num(&cx.get(&total, "value")?)?, 21.0)?;
    let parts = cx.get(&total, "parts")?;
    cx.eq("parts[0]", value_of(cx, &parts[0])?, 5.0)?;
    cx.eq("parts[2] identity", cx.obj(&parts[2])?, product)?;
    cx.eq(
        "toString",
        cx.call(&total, "toString", vec![])?,
        json!("5 + 10 + (2 * 3)"),
    )
}

pub fn maps(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.call(&acc, "add", vec![json!(10)])?;
    cx.call(&acc, "add", vec![json!(20)])?;
    cx.call(&acc, "mul", vec![json!(2)])?;
    let log = plain(&cx.get(&acc, "operationsLog")?);
    let adds = log["add"].as_array().context("add list")?;
    cx.eq("adds", adds.len(), 2)?;
    cx.eq("muls", log["mul"].as_array().context("mul list")?.len(), 1)?;
    cx.eq("second add", value_of(cx, &adds[1])?, 30.0)
}

pub fn array_returned_by_method_can_be_read(cx: &mut Cx) -> Result<()> {
    let got = cx.scall(&f("Collections"), "createAList", vec![])?;
    cx.eq("list", got, json!(["one", "two"]))
}

pub fn map_returned_by_method_can_be_read(cx: &mut Cx) -> Result<()> {
    let got = plain(&cx.scall(&f("Collections"), "createAMap", vec![])?);
    cx.eq("map", got, json!({"key1": "value1", "key2": "value2"}))
}

pub fn list_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    let c = cx.new_obj(&f("Collections"), vec![json!({}), json!(["one", "two"])])?;
    cx.eq("array", cx.get(&c, "array")?, json!(["one", "two"]))
}

pub fn map_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    let c = cx.new_obj(&f("Collections"), vec![json!({"key": "value"}), json!([])])?;
    cx.eq("map", plain(&cx.get(&c, "map")?), json!({"key": "value"}))
}

pub fn static_list_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "staticArray",
        cx.sget(&f("Collections"), "staticArray")?,
        json!(["one", "two"]),
    )
}

pub fn static_map_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    let got = plain(&cx.sget(&f("Collections"), "staticMap")?);
    cx.eq(
        "staticMap",
        got,
        json!({"key1": "value1", "key2": "value2"}),
    )
}

pub fn test_null_is_a_valid_optional_list(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "maybeList",
        cx.scall(&f("Disappointing"), "maybeList", vec![])?,
        Value::Null,
    )
}

pub fn test_null_is_a_valid_optional_map(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "maybeMap",
        cx.scall(&f("Disappointing"), "maybeMap", vec![])?,
        Value::Null,
    )
}

pub fn collection_of_interfaces_list_of_structs(cx: &mut Cx) -> Result<()> {
    let got = cx.scall(&f("InterfaceCollections"), "listOfStructs", vec![])?;
    let first = cx.read_struct(&got[0], &["requiredString"])?;
    cx.eq(
        "requiredString",
        first["requiredString"].clone(),
        json!("Hello, I am a struct!"),
    )
}

pub fn collection_of_interfaces_map_of_structs(cx: &mut Cx) -> Result<()> {
    let got = plain(&cx.scall(&f("InterfaceCollections"), "mapOfStructs", vec![])?);
    let a = cx.read_struct(&got["A"], &["requiredString"])?;
    cx.eq(
        "A",
        a["requiredString"].clone(),
        json!("Hello, I am a struct!"),
    )
}

pub fn collection_of_interfaces_list_of_interfaces(cx: &mut Cx) -> Result<()> {
    let got = cx.scall(&f("InterfaceCollections"), "listOfInterfaces", vec![])?;
    let bells = got.as_array().context("list")?;
    cx.eq("two bells", bells.len(), 2)?;
    for bell in bells {
        let o = cx.obj(bell)?;
        cx.call(&o, "ring", vec![])?;
        cx.checks += 1;
    }
    Ok(())
}

pub fn collection_of_interfaces_map_of_interfaces(cx: &mut Cx) -> Result<()> {
    let got = plain(&cx.scall(&f("InterfaceCollections"), "mapOfInterfaces", vec![])?);
    let bells = got.as_object().context("map")?;
    cx.eq("two bells", bells.len(), 2)?;
    for bell in bells.values() {
        let o = cx.obj(bell)?;
        cx.eq("ring", cx.call(&o, "ring", vec![])?, Value::Null)?;
    }
    Ok(())
}

// ---- structs ------------------------------------------------------------------------------

pub fn structs_serialize_to_jsii(cx: &mut Cx) -> Result<()> {
    let reader = cx.new_obj(&f("StructReader"), vec![])?;
    let first = json!({"label": "FirstString", "count": 999, "tags": ["First", "Optional"]});
    cx.eq(
        "readCount",
        cx.call(&reader, "readCount", vec![first])?,
        json!(999),
    )?;
    let trouble = cx.new_obj(&f("DoubleTrouble"), vec![])?;
    let derived = json!({
        "label": "String", "count": 1234, "tags": ["one", "two"],
        "nonPrimitive": trouble.to_wire(),
        "anotherRequired": wire::date("2026-01-01T00:00:00.000Z"),
        "flag": false,
    });
    cx.eq(
        "derived as parent",
        cx.call(&reader, "readCount", vec![derived.clone()])?,
        json!(1234),
    )?;
    let back = cx.call(&reader, "readDerivedNonPrimitive", vec![derived.clone()])?;
    cx.eq("nonPrimitive identity", cx.obj(&back)?, trouble)?;
    cx.eq(
        "date field",
        cx.call(&reader, "readDerivedTime", vec![derived])?,
        json!(1_767_225_600_000i64),
    )?;
    let literal = cx.read_struct(
        &cx.call(&reader, "structLiteral", vec![])?,
        &["first", "second", "third"],
    )?;
    cx.eq(
        "literal",
        literal,
        json!({"first": "first from a literal", "third": false}),
    )
}

pub fn structs_are_undecorated_on_the_way_to_kernel(cx: &mut Cx) -> Result<()> {
    let s = wire::struct_value(
        &f("StructB"),
        Map::from_iter([
            ("requiredString".into(), json!("Bazinga!")),
            ("optionalBoolean".into(), json!(false)),
        ]),
    );
    let j = text(&cx.scall(&f("JsonFormatter"), "stringify", vec![s])?)?;
    let parsed: Value = serde_json::from_str(&j)?;
    cx.eq(
        "JSON the library saw",
        parsed,
        json!({"requiredString": "Bazinga!", "optionalBoolean": false}),
    )
}

pub fn structs_with_diamond_inheritance_correctly_dedupe_properties(cx: &mut Cx) -> Result<()> {
    let s = json!({"baseLevel": "base", "leftLevel": "left", "rightLevel": "right", "bottomLevel": "bottom"});
    cx.eq(
        "describe",
        cx.scall(&f("DiamondReader"), "describe", vec![s])?,
        json!("base/left/right/bottom"),
    )
}

pub fn test_structs_can_be_downcasted_to_parent_type(cx: &mut Cx) -> Result<()> {
    let parent = cx.read_struct(
        &cx.scall(&f("StructDowncast"), "takeThis", vec![])?,
        &["foo"],
    )?;
    cx.eq("parent field", parent["foo"].clone(), json!("parent field"))?;
    let child = cx.read_struct(
        &cx.scall(&f("StructDowncast"), "takeChild", vec![])?,
        &["foo", "bar"],
    )?;
    cx.eq("child", child, json!({"foo": "parent field", "bar": 42}))
}

pub fn use_nested_struct(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "namespace struct",
        cx.scall(
            &f("Nesting"),
            "consume",
            vec![json!({"name": "Bond, James Bond"})],
        )?,
        json!("Bond, James Bond"),
    )?;
    cx.eq(
        "submodule struct",
        cx.scall(
            &f("deep.Holder"),
            "consume",
            vec![json!({"name": "deep", "level": 2})],
        )?,
        json!("deep (2)"),
    )
}

pub fn erase_unset_data_values(cx: &mut Cx) -> Result<()> {
    let er = f("EraseUnset");
    let opts = json!({"option1": "option1"});
    cx.eq(
        "option1",
        cx.scall(&er, "doesKeyExist", vec![opts.clone(), json!("option1")])?,
        json!(true),
    )?;
    cx.eq(
        "option2",
        cx.scall(&er, "doesKeyExist", vec![opts, json!("option2")])?,
        json!(false),
    )?;
    cx.eq(
        "prop1IsNull",
        plain(&cx.scall(&er, "prop1IsNull", vec![])?),
        json!({"prop2": "value2"}),
    )?;
    cx.eq(
        "prop2IsUndefined",
        plain(&cx.scall(&er, "prop2IsUndefined", vec![])?),
        json!({"prop1": "value1"}),
    )
}

pub fn lifted_kwarg_with_same_name_as_positional_arg(cx: &mut Cx) -> Result<()> {
    let bell = cx.new_obj(&f("PublicBell"), vec![])?;
    let amb = cx.new_obj(
        &f("Ambiguous"),
        vec![bell.to_wire(), json!({"scope": "Driiiing!"})],
    )?;
    cx.eq("scope", cx.obj(&cx.get(&amb, "scope")?)?, bell)?;
    cx.eq(
        "props",
        cx.read_struct(&cx.get(&amb, "props")?, &["scope"])?,
        json!({"scope": "Driiiing!"}),
    )
}

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

pub fn test_native_objects_with_interfaces(cx: &mut Cx) -> Result<()> {
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let native = cx.implement(
        &[&b("IRandom")],
        Native::new().method("next", move |_, _| {
            Ok(json!(1000 * (c.fetch_add(1, Ordering::SeqCst) + 1)))
        }),
    )?;
    let generator = cx.new_obj(&f("NumberGenerator"), vec![native.to_wire()])?;
    cx.eq(
        "generator identity",
        cx.obj(&cx.get(&generator, "generator")?)?,
        native.clone(),
    )?;
    cx.eq(
        "first",
        cx.call(&generator, "nextTimes100", vec![])?,
        json!(100_000),
    )?;
    cx.eq(
        "second",
        cx.call(&generator, "nextTimes100", vec![])?,
        json!(200_000),
    )?;
    cx.eq(
        "isSameGenerator",
        cx.call(&generator, "isSameGenerator", vec![native.to_wire()])?,
        json!(true),
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

pub fn classes_can_self_reference_during_class_initialization(cx: &mut Cx) -> Result<()> {
    let outer = cx.new_obj(&f("Outer"), vec![])?;
    let inner = cx.obj(&cx.get(&outer, "inner")?)?;
    cx.eq("inner.outer", cx.obj(&cx.get(&inner, "outer")?)?, outer)
}

pub fn obj_refs_are_labelled_using_with_the_most_correct_type(cx: &mut Cx) -> Result<()> {
    let class = cx.obj(&cx.scall(&f("Makers"), "makeClass", vec![])?)?;
    cx.eq("class fqn", class.fqn(), f("MidClass").as_str())?;
    let iface = cx.scall(&f("Makers"), "makeInterface", vec![])?;
    let o = cx.obj(&iface)?;
    cx.eq("interface call", cx.call(&o, "bye", vec![])?, json!("bye"))
}

pub fn receive_instance_of_private_class(cx: &mut Cx) -> Result<()> {
    let r = cx.new_obj(&f("ReturnsPrivate"), vec![])?;
    let o = cx.obj(&cx.get(&r, "privateImplementation")?)?;
    cx.eq("success", cx.get(&o, "success")?, json!(true))
}

pub fn return_abstract(cx: &mut Cx) -> Result<()> {
    let r = cx.new_obj(&f("AbstractReturner"), vec![])?;
    let a = cx.obj(&cx.call(&r, "giveMeAbstract", vec![])?)?;
    cx.eq(
        "abstractMethod",
        cx.call(&a, "abstractMethod", vec![json!("John")])?,
        json!("Hello, John!!"),
    )?;
    cx.eq(
        "propFromInterface",
        cx.get(&a, "propFromInterface")?,
        json!("propFromInterfaceValue"),
    )?;
    cx.eq(
        "nonAbstractMethod",
        cx.call(&a, "nonAbstractMethod", vec![])?,
        json!(42),
    )?;
    let i = cx.obj(&cx.call(&r, "giveMeInterface", vec![])?)?;
    cx.eq(
        "interface prop",
        cx.get(&i, "propFromInterface")?,
        json!("propFromInterfaceValue"),
    )?;
    let p = cx.obj(&cx.get(&r, "returnAbstractFromProperty")?)?;
    cx.eq(
        "abstractProperty",
        cx.get(&p, "abstractProperty")?,
        json!("hello-abstract-property"),
    )
}

pub fn unmarshall_into_abstract_type(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![])?;
    cx.call(&acc, "add", vec![json!(120)])?;
    let curr = cx.get(&acc, "curr")?;
    cx.eq("curr value", value_of(cx, &curr)?, 120.0)
}

pub fn return_subclass_that_implements_interface976(cx: &mut Cx) -> Result<()> {
    let o = cx.obj(&cx.scall(&f("SubclassReturner"), "returnReturn", vec![])?)?;
    cx.eq("foo", cx.get(&o, "foo")?, json!(333))
}

pub fn test_js_object_literal_to_native(cx: &mut Cx) -> Result<()> {
    let maker = cx.new_obj(&f("LiteralMaker"), vec![])?;
    let o = cx.obj(&cx.call(&maker, "returnLiteral", vec![])?)?;
    cx.eq("propA", cx.get(&o, "propA")?, json!("Hello"))?;
    cx.eq("propB", cx.get(&o, "propB")?, json!(102))
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

pub fn downcasting(cx: &mut Cx) -> Result<()> {
    // `any` arrives labelled with the nearest exported class (PublicBase), which has no
    // `foo`; the host narrows the reference by naming the interface on the wire.
    let any = cx.scall(&f("SubclassReturner"), "returnAnonymous", vec![])?;
    let id = wire::as_byref(&any).context("an object")?;
    let _keep = cx.obj(&any)?;
    let narrowed = wire::byref(id, &[f("IReturnsFoo")]);
    let got =
        cx.k.request(json!({"api": "get", "objref": narrowed, "property": "foo"}))?;
    cx.eq(
        "foo through the interface",
        got["value"].clone(),
        json!(333),
    )
}

// ---- interfaces ---------------------------------------------------------------------------

pub fn test_interfaces(cx: &mut Cx) -> Result<()> {
    let plus = cx.new_obj(&f("Plus"), vec![n(cx, 10.0)?, n(cx, 20.0)?])?;
    cx.eq(
        "Plus as IGreeter",
        cx.call(&plus, "hello", vec![])?,
        json!("Hello from a binary operation"),
    )?;
    let product = cx.new_obj(&f("Product"), vec![n(cx, 10.0)?, n(cx, 30.0)?])?;
    cx.eq(
        "Product as IFarewell",
        cx.call(&product, "goodbye", vec![])?,
        json!("Goodbye from a product"),
    )?;
    cx.eq(
        "Product as IRandom",
        cx.call(&product, "next", vec![])?,
        json!(89),
    )?;
    let trouble = cx.new_obj(&f("DoubleTrouble"), vec![])?;
    cx.eq(
        "DoubleTrouble hello",
        cx.call(&trouble, "hello", vec![])?,
        json!("world"),
    )?;
    cx.eq(
        "DoubleTrouble next",
        cx.call(&trouble, "next", vec![])?,
        json!(12),
    )?;
    let poly = cx.new_obj(&f("Polymorphism"), vec![])?;
    cx.eq(
        "sayHello(product)",
        cx.call(&poly, "sayHello", vec![product.to_wire()])?,
        json!("oh, Hello from a binary operation"),
    )?;
    cx.eq(
        "sayHello(trouble)",
        cx.call(&poly, "sayHello", vec![trouble.to_wire()])?,
        json!("oh, world"),
    )?;
    let native = cx.implement(
        &[&b("IGreeter")],
        Native::new().method("hello", |_, _| Ok(json!("I am a native!"))),
    )?;
    cx.eq(
        "sayHello(native)",
        cx.call(&poly, "sayHello", vec![native.to_wire()])?,
        json!("oh, I am a native!"),
    )
}

pub fn test_interface_parameter(cx: &mut Cx) -> Result<()> {
    let maker = cx.new_obj(&f("LiteralMaker"), vec![])?;
    let greeter = cx.obj(&cx.call(&maker, "giveMeGreeter", vec![])?)?;
    cx.eq(
        "hello",
        cx.call(&greeter, "hello", vec![])?,
        json!("I am literally friendly!"),
    )?;
    let aug = cx.new_obj(&f("GreetingAugmenter"), vec![])?;
    cx.eq(
        "betterGreeting",
        cx.call(&aug, "betterGreeting", vec![greeter.to_wire()])?,
        json!("I am literally friendly! Let me buy you a drink!"),
    )
}

pub fn test_literal_interface(cx: &mut Cx) -> Result<()> {
    let maker = cx.new_obj(&f("LiteralMaker"), vec![])?;
    let greeter = cx.obj(&cx.call(&maker, "giveMeGreeter", vec![])?)?;
    cx.eq(
        "hello",
        cx.call(&greeter, "hello", vec![])?,
        json!("I am literally friendly!"),
    )?;
    let greeting_random = cx.obj(&cx.call(&maker, "giveMeGreetingRandom", vec![])?)?;
    cx.eq(
        "gen hello",
        cx.call(&greeting_random, "hello", vec![])?,
        json!("greeting random"),
    )?;
    cx.eq(
        "gen next",
        cx.call(&greeting_random, "next", vec![])?,
        json!(42),
    )
}

pub fn can_use_interface_setters(cx: &mut Cx) -> Result<()> {
    let o = cx.obj(&cx.scall(&f("PropertyProvider"), "provide", vec![])?)?;
    cx.eq("not yet set", cx.call(&o, "wasSet", vec![])?, json!(false))?;
    cx.set(&o, "property", json!("New Value"))?;
    cx.eq("wasSet", cx.call(&o, "wasSet", vec![])?, json!(true))?;
    cx.eq("value", cx.get(&o, "property")?, json!("New Value"))
}

fn properties_host(read_only: &'static str, suffix: &'static str) -> Native {
    let store = Arc::new(Mutex::new(String::new()));
    let (g, s) = (store.clone(), store);
    Native::new()
        .getter("readOnlyString", move |_| Ok(json!(read_only)))
        .getter("readWriteString", move |_| {
            Ok(json!(format!(
                "{}{suffix}",
                g.lock().expect("not poisoned")
            )))
        })
        .setter("readWriteString", move |_, v| {
            *s.lock().expect("not poisoned") = v.as_str().unwrap_or_default().to_owned();
            Ok(())
        })
}

pub fn interface_builder(cx: &mut Cx) -> Result<()> {
    let host = cx.implement(
        &[&f("IInterfaceWithProperties")],
        properties_host("READ_ONLY", ""),
    )?;
    let uses = cx.new_obj(&f("UsesInterfaceWithProperties"), vec![host.to_wire()])?;
    cx.eq(
        "justRead",
        cx.call(&uses, "justRead", vec![])?,
        json!("READ_ONLY"),
    )?;
    cx.eq(
        "writeAndRead",
        cx.call(&uses, "writeAndRead", vec![json!("Hello")])?,
        json!("Hello"),
    )
}

pub fn property_overrides_interfaces(cx: &mut Cx) -> Result<()> {
    let host = cx.implement(
        &[&f("IInterfaceWithProperties")],
        properties_host("READ_ONLY_STRING", "?"),
    )?;
    let uses = cx.new_obj(&f("UsesInterfaceWithProperties"), vec![host.to_wire()])?;
    cx.eq(
        "justRead",
        cx.call(&uses, "justRead", vec![])?,
        json!("READ_ONLY_STRING"),
    )?;
    cx.eq(
        "writeAndRead",
        cx.call(&uses, "writeAndRead", vec![json!("Hello")])?,
        json!("Hello?"),
    )
}

fn struct_b() -> Value {
    json!({"requiredString": "It's Britney b**ch!"})
}

pub fn pure_interfaces_can_be_used_transparently(cx: &mut Cx) -> Result<()> {
    let delegate = cx.implement(
        &[&f("IStructReturningDelegate")],
        Native::new().method("returnStruct", |_, _| Ok(struct_b())),
    )?;
    let consumer = cx.new_obj(&f("ConsumePureInterface"), vec![delegate.to_wire()])?;
    let got = cx.call(&consumer, "workItBaby", vec![])?;
    cx.eq(
        "workItBaby",
        cx.read_struct(&got, &["requiredString", "optionalBoolean"])?,
        struct_b(),
    )
}

pub fn pure_interfaces_can_be_used_transparently_when_transitively_implementing(
    cx: &mut Cx,
) -> Result<()> {
    // The host object declares a sub-interface only; the kernel must accept it as the parent.
    let delegate = cx.implement(
        &[&f("IGreetingRandom")],
        Native::new()
            .method("hello", |_, _| Ok(json!("hi")))
            .method("next", |_, _| Ok(json!(4))),
    )?;
    let generator = cx.new_obj(&f("NumberGenerator"), vec![delegate.to_wire()])?;
    cx.eq(
        "as IRandom",
        cx.call(&generator, "nextTimes100", vec![])?,
        json!(400),
    )?;
    let poly = cx.new_obj(&f("Polymorphism"), vec![])?;
    cx.eq(
        "as IGreeter",
        cx.call(&poly, "sayHello", vec![delegate.to_wire()])?,
        json!("oh, hi"),
    )
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

pub fn can_leverage_indirect_interface_polymorphism(cx: &mut Cx) -> Result<()> {
    let p = cx.new_obj(&f("AnonymousProvider"), vec![])?;
    let class = cx.obj(&cx.call(&p, "provideAsClass", vec![])?)?;
    cx.eq("as class", cx.get(&class, "value")?, json!(1337))?;
    let iface = cx.obj(&cx.call(&p, "provideAsInterface", vec![])?)?;
    cx.eq("as interface value", cx.get(&iface, "value")?, json!(1337))?;
    cx.eq(
        "as interface verb",
        cx.call(&iface, "verb", vec![])?,
        json!("to implement"),
    )
}

pub fn callback_parameter_is_interface(cx: &mut Cx) -> Result<()> {
    let ringer = cx.implement(
        &[&f("IBellRinger")],
        Native::new().method("yourTurn", |c, args| {
            let bell = c.kernel.adopt(&args[0])?;
            c.kernel.invoke(&bell, "ring", vec![])?;
            Ok(Value::Null)
        }),
    )?;
    let ring = f("ConsumerCanRingBell");
    for how in [
        "implementedByObjectLiteral",
        "implementedByPrivateClass",
        "implementedByPublicClass",
    ] {
        cx.eq(
            how,
            cx.scall(&ring, how, vec![ringer.to_wire()])?,
            json!(true),
        )?;
    }
    Ok(())
}

// ---- unions -------------------------------------------------------------------------------

pub fn union_types(cx: &mut Cx) -> Result<()> {
    let s = cx.new_obj(&f("KitchenSink"), vec![])?;
    cx.set(&s, "unionProperty", json!(1234))?;
    cx.eq("number", cx.get(&s, "unionProperty")?, json!(1234))?;
    cx.set(&s, "unionProperty", json!("Hello"))?;
    cx.eq("string", cx.get(&s, "unionProperty")?, json!("Hello"))?;
    let product = cx.new_obj(&f("Product"), vec![n(cx, 2.0)?, n(cx, 12.0)?])?;
    cx.set(&s, "unionProperty", product.to_wire())?;
    let back = cx.obj(&cx.get(&s, "unionProperty")?)?;
    cx.eq("object fqn", back.fqn(), f("Product").as_str())?;
    cx.eq("object value", num(&cx.get(&back, "value")?)?, 24.0)?;
    let n99 = n(cx, 99.0)?;
    cx.set(
        &s,
        "unionMapProperty",
        wire::map(Map::from_iter([("Foo".into(), n99)])),
    )?;
    let m = plain(&cx.get(&s, "unionMapProperty")?);
    cx.eq("map member", value_of(cx, &m["Foo"])?, 99.0)?;
    let n33 = n(cx, 33.0)?;
    cx.set(&s, "unionArrayProperty", json!([123, n33]))?;
    let a = cx.get(&s, "unionArrayProperty")?;
    cx.eq("array number", a[0].clone(), json!(123))?;
    cx.eq("array object", value_of(cx, &a[1])?, 33.0)
}

pub fn union_properties(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(
        &f("Accumulator"),
        vec![json!({"initial": 0, "max": f64::MAX})],
    )?;
    let product = cx.new_obj(&f("Product"), vec![n(cx, 9.0)?, n(cx, 3.0)?])?;
    cx.set(&acc, "unionProperty", product.to_wire())?;
    cx.eq(
        "Product fqn",
        cx.obj(&cx.get(&acc, "unionProperty")?)?.fqn(),
        f("Product").as_str(),
    )?;
    cx.eq(
        "readUnionValue",
        cx.call(&acc, "readUnionValue", vec![])?,
        json!(27),
    )?;
    let power = cx.new_obj(&f("Power"), vec![n(cx, 10.0)?, n(cx, 3.0)?])?;
    cx.set(&acc, "unionProperty", power.to_wire())?;
    cx.eq(
        "Power fqn",
        cx.obj(&cx.get(&acc, "unionProperty")?)?.fqn(),
        f("Power").as_str(),
    )
}

pub fn union_properties_with_builder(cx: &mut Cx) -> Result<()> {
    let u = f("StructUnionConsumer");
    let sink = cx.new_obj(&f("KitchenSink"), vec![])?;
    for (bag, expected) in [
        (json!({"bar": 12, "foo": "Hello"}), "number/string"),
        (json!({"bar": "BarIsString"}), "string/undefined"),
        (
            json!({"bar": sink.to_wire(), "foo": 999}),
            "KitchenSink/number",
        ),
    ] {
        cx.eq(
            expected,
            cx.scall(&u, "describeBag", vec![bag])?,
            json!(expected),
        )?;
    }
    Ok(())
}

pub fn correctly_deserializes_struct_unions(cx: &mut Cx) -> Result<()> {
    let u = f("StructUnionConsumer");
    let a0 = json!({"requiredString": "Present!", "optionalString": "Bazinga!"});
    let a1 = json!({"requiredString": "Present!", "optionalNumber": 1337});
    let b0 = json!({"requiredString": "Present!", "optionalBoolean": true});
    let b1 = json!({"requiredString": "Present!", "optionalStructA": a1});
    // A union of structs is ambiguous as plain JSON (both have `requiredString`): the host
    // names the struct it means, as generated bindings must.
    let sa =
        |v: Value| wire::struct_value(&f("StructA"), v.as_object().cloned().unwrap_or_default());
    let sb =
        |v: Value| wire::struct_value(&f("StructB"), v.as_object().cloned().unwrap_or_default());
    for (s, is_a) in [
        (sa(a0), true),
        (sa(a1), true),
        (sb(b0), false),
        (sb(b1), false),
    ] {
        cx.eq(
            "isStructA",
            cx.scall(&u, "isStructA", vec![s.clone()])?,
            json!(is_a),
        )?;
        cx.eq(
            "isStructB",
            cx.scall(&u, "isStructB", vec![s])?,
            json!(!is_a),
        )?;
    }
    Ok(())
}

pub fn can_obtain_reference_with_overloaded_setter(cx: &mut Cx) -> Result<()> {
    let o = cx.obj(&cx.scall(&f("ConfusingSetter"), "makeInstance", vec![])?)?;
    cx.eq("fqn", o.fqn(), f("ConfusingSetter").as_str())?;
    cx.set(&o, "unionProperty", json!(["a", n(cx, 1.0)?]))?;
    cx.eq(
        "list member",
        cx.get(&o, "unionProperty")?[0].clone(),
        json!("a"),
    )
}

pub fn can_obtain_struct_reference_with_overloaded_setter(cx: &mut Cx) -> Result<()> {
    let s = cx.scall(&f("ConfusingSetter"), "makeStructInstance", vec![])?;
    cx.check(&format!("a struct came back: {s}"), !s.is_null())
}

// ---- errors -------------------------------------------------------------------------------

pub fn exceptions(cx: &mut Cx) -> Result<()> {
    let acc = cx.new_obj(&f("Accumulator"), vec![json!({"initial": 20, "max": 30})])?;
    cx.call(&acc, "add", vec![json!(3)])?;
    cx.eq("23", num(&cx.get(&acc, "value")?)?, 23.0)?;
    let msg = cx.fails("add past max", cx.k.invoke(&acc, "add", vec![json!(10)]))?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("exceed the maximum value 30"),
    )?;
    cx.set(&acc, "maxValue", json!(40))?;
    cx.call(&acc, "add", vec![json!(10)])?;
    cx.eq("still usable", num(&cx.get(&acc, "value")?)?, 33.0)
}

pub fn exception_message(cx: &mut Cx) -> Result<()> {
    let r = cx.k.sinvoke(
        &f("Thrower"),
        "throwWithMessage",
        vec![json!("a custom message")],
    );
    let err = match r {
        Ok(v) => anyhow::bail!("expected an error, got {v}"),
        Err(e) => e,
    };
    let k = err.kernel_error().context("a kernel error")?;
    // The kernel forwards the error's class name with its message.
    cx.eq(
        "message",
        k.message.as_str(),
        "FixtureError: a custom message",
    )?;
    cx.eq("kind", k.kind, jsii::KernelErrorKind::RuntimeError)
}

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
    cx.fails("callerIsMethod", cx.k.invoke(&o, "callerIsMethod", vec![]))?;
    Ok(())
}

pub fn fail_sync_overrides_calls_double_async_property_getter(cx: &mut Cx) -> Result<()> {
    let o = double_async(cx)?;
    cx.fails("get callerIsProperty", cx.k.get(&o, "callerIsProperty"))?;
    Ok(())
}

pub fn fail_sync_overrides_calls_double_async_property_setter(cx: &mut Cx) -> Result<()> {
    let o = double_async(cx)?;
    cx.fails(
        "set callerIsProperty",
        cx.k.set(&o, "callerIsProperty", json!(12)),
    )?;
    Ok(())
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

pub fn async_overrides_call_async_method(cx: &mut Cx) -> Result<()> {
    let o = cx.new_obj(&f("AsyncDefaults"), vec![])?;
    let p = cx.k.begin(&o, "callMe", vec![])?;
    cx.eq("callMe", cx.k.end(p)?, json!(133))?;
    let p = cx.k.begin(&o, "overrideMe", vec![json!(44)])?;
    cx.eq("overrideMe", cx.k.end(p)?, json!(484))
}

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

pub fn void_returning_async(cx: &mut Cx) -> Result<()> {
    let o = cx.new_obj(&f("AsyncVirtual"), vec![])?;
    let p = cx.k.begin(&o, "doNothing", vec![])?;
    cx.eq("doNothing", cx.k.end(p)?, Value::Null)
}

// ---- naming (the wire keeps the jsii names) -----------------------------------------------

pub fn reserved_keywords_on_the_wire(cx: &mut Cx) -> Result<()> {
    let k = cx.new_obj(&f("Keywords"), vec![])?;
    for m in ["match", "impl", "fn", "self"] {
        cx.eq(m, cx.call(&k, m, vec![])?, json!(m))?;
    }
    cx.eq("type", cx.get(&k, "type")?, json!("type"))?;
    cx.eq(
        "struct",
        cx.scall(
            &f("Keywords"),
            "readStruct",
            vec![json!({"type": "t", "move": "m", "impl": "i"})],
        )?,
        json!("t,m,i"),
    )
}
