//! The cases through the fixture's generated bindings (`bindings/`, made by jsii-bindgen):
//! typed Rust calls, no wire values.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use jsii_compliance_bindings as fx;
use jsii_compliance_bindings::infra_gen_compliance_base as base;
use jsii_compliance_bindings::prelude::*;
use jsii_compliance_bindings::runtime::{self as rt, JsiiObject, Upcast};

use crate::support::Cx;

fn num(v: f64) -> Result<base::Num> {
    Ok(base::Num::new(v)?)
}

fn same(a: &dyn JsiiObject, b: &dyn JsiiObject) -> bool {
    a.jsii_ref() == b.jsii_ref()
}

// ---- kernel -------------------------------------------------------------------------------

pub fn call_methods(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    acc.add(10.0)?;
    cx.eq("after add", acc.value()?, 10.0)?;
    acc.mul(2.0)?;
    cx.eq("after mul", acc.value()?, 20.0)?;
    acc.pow(5.0)?;
    cx.eq("after pow", acc.value()?, 3_200_000.0)?;
    acc.neg()?;
    cx.eq("after neg", acc.value()?, -3_200_000.0)
}

pub fn get_set_primitive_properties(cx: &mut Cx) -> Result<()> {
    let twenty = num(20.0)?;
    cx.eq("value", twenty.value()?, 20.0)?;
    cx.eq("doubled", twenty.doubled()?, 40.0)?;
    let (a, b) = (num(20.0)?, num(10.0)?);
    let plus = fx::Plus::new(&a, &b)?;
    cx.eq("-(20+10)", fx::Negation::new(&plus)?.value()?, -30.0)?;
    let (x, y) = (num(3.0)?, num(4.0)?);
    cx.eq("3^4", fx::Power::new(&x, &y)?.value()?, 81.0)?;
    let sink = fx::KitchenSink::new()?;
    sink.set_number_property(1234.0)?;
    cx.eq("numberProperty", sink.number_property()?, 1234.0)
}

pub fn get_and_set_non_primitive_properties(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    acc.add(3_200_000.0)?;
    acc.neg()?;
    let two = num(2.0)?;
    let curr = acc.curr()?;
    let doubled = fx::Product::new(&two, &curr)?;
    acc.set_curr(doubled.upcast())?;
    cx.eq("value", acc.value()?, -6_400_000.0)?;
    cx.check("curr is the object set", same(&acc.curr()?, &doubled))
}

pub fn create_object_and_ctor_overloads(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "without",
        fx::Optionals::new("a", None)?.description()?,
        "a".to_owned(),
    )?;
    cx.eq(
        "with",
        fx::Optionals::new("a", Some(2.0))?.description()?,
        "a:2".to_owned(),
    )?;
    let props = fx::AccumulatorProps {
        initial: Some(5.0),
        ..Default::default()
    };
    cx.eq(
        "with props",
        fx::Accumulator::new(Some(&props))?.value()?,
        5.0,
    )
}

pub fn test_fluent_api_with_derived_classes(cx: &mut Cx) -> Result<()> {
    let child = fx::KitchenSinkChild::new()?;
    child.set_string_property("Hello".into())?;
    child.set_number_property(12.0)?;
    cx.eq("string", child.string_property()?, "Hello".to_owned())?;
    cx.eq("number", child.number_property()?, 12.0)
}

pub fn statics(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "greet",
        fx::Statics::greet("Yoyo")?,
        "hello, Yoyo!".to_owned(),
    )?;
    let default = fx::Statics::instance()?;
    cx.eq("default instance", default.value()?, "default".to_owned())?;
    let fresh = fx::Statics::new("new value")?;
    fx::Statics::set_instance(fresh.clone())?;
    let now = fx::Statics::instance()?;
    cx.check("same instance back", same(&now, &fresh))?;
    cx.eq("its value", now.value()?, "new value".to_owned())?;
    cx.eq("nonConstStatic", fx::Statics::non_const_static()?, 100.0)?;
    fx::Statics::set_instance(default)?;
    Ok(())
}

pub fn consts(cx: &mut Cx) -> Result<()> {
    cx.eq("FOO", fx::Statics::foo()?, "hello".to_owned())?;
    cx.eq("BAR", fx::Statics::bar()?, 1234.0)?;
    cx.eq(
        "CONST_OBJ.hello()",
        fx::Statics::const_obj()?.hello()?,
        "world".to_owned(),
    )?;
    let zoo = fx::Statics::zoo_bar()?;
    cx.eq(
        "ZOO_BAR",
        zoo.get("hello").cloned(),
        Some("world".to_owned()),
    )
}

pub fn variadic_method_can_be_invoked(cx: &mut Cx) -> Result<()> {
    let v = fx::Variadic::new(&[1.0])?;
    cx.eq(
        "asArray",
        v.as_array(3.0, &[4.0, 5.0, 6.0])?,
        vec![1.0, 3.0, 4.0, 5.0, 6.0],
    )
}

pub fn class_with_private_constructor_and_automatic_properties(cx: &mut Cx) -> Result<()> {
    let o = fx::PrivateCtor::create("Hello", "Bye")?;
    cx.eq("readWriteString", o.read_write_string()?, "Bye".to_owned())?;
    o.set_read_write_string("Hello".into())?;
    cx.eq("readOnlyString", o.read_only_string()?, "Hello".to_owned())?;
    cx.eq("after set", o.read_write_string()?, "Hello".to_owned())
}

pub fn node_standard_library(cx: &mut Cx) -> Result<()> {
    let o = fx::NodeStandardLibrary::new()?;
    cx.eq("fs", o.fs_round_trip_sync()?, "Hello, resource!".to_owned())?;
    cx.check("os.platform", !o.os_platform()?.is_empty())?;
    cx.eq(
        "sha256",
        o.crypto_sha256()?,
        "1307990e6ba5ca145eb35e99182a9bec46531bc54ddf656a602c780fa0240dee".to_owned(),
    )?;
    // The async fs call blocks until its promise settles, so the kernel's event loop is
    // proven too.
    cx.eq(
        "async fs",
        o.fs_round_trip()?,
        "Hello, async resource!".to_owned(),
    )
}

pub fn test_jsii_agent(cx: &mut Cx) -> Result<()> {
    let agent = fx::JsiiAgent::value()?.context("JSII_AGENT is set")?;
    cx.check(
        &format!("JSII_AGENT names Rust: {agent}"),
        agent.starts_with("Rust/"),
    )
}

pub fn stripped_deprecated_member_can_be_received(cx: &mut Cx) -> Result<()> {
    cx.eq("answer", fx::ModernFactory::create()?.answer()?, 42.0)
}

// ---- values -------------------------------------------------------------------------------

fn date(text: &str) -> Result<rt::Date> {
    Ok(chrono::DateTime::parse_from_rfc3339(text)?.with_timezone(&chrono::Utc))
}

pub fn primitive_types(cx: &mut Cx) -> Result<()> {
    let s = fx::KitchenSink::new()?;
    s.set_boolean_property(true)?;
    cx.eq("boolean", s.boolean_property()?, true)?;
    s.set_string_property("foo".into())?;
    cx.eq("string", s.string_property()?, "foo".to_owned())?;
    s.set_number_property(1234.0)?;
    cx.eq("number", s.number_property()?, 1234.0)?;
    s.set_json_property(serde_json::json!({"Foo": {"Bar": 123}}))?;
    cx.eq(
        "json",
        s.json_property()?["Foo"]["Bar"].as_f64(),
        Some(123.0),
    )?;
    let d = date("1970-01-01T00:00:00.123Z")?;
    s.set_date_property(d)?;
    cx.eq("date", s.date_property()?, d)
}

pub fn dates(cx: &mut Cx) -> Result<()> {
    let s = fx::KitchenSink::new()?;
    let d = date("1970-01-01T00:02:08Z")?;
    s.set_date_property(d)?;
    cx.eq("typed", s.date_property()?, d)?;
    let any = date("1970-01-01T00:16:39Z")?;
    s.set_any_property(rt::to_wire(&any))?;
    cx.eq("any", rt::from_wire::<rt::Date>(s.any_property()?)?, any)?;
    cx.eq("JS saw a Date", s.any_is_date()?, true)
}

pub fn dynamic_types(cx: &mut Cx) -> Result<()> {
    use serde_json::json;
    let s = fx::KitchenSink::new()?;
    for v in [json!(false), json!("String"), json!(12.5)] {
        s.set_any_property(v.clone())?;
        cx.eq("scalar any", s.any_property()?, v)?;
    }
    s.set_any_property(json!({"Goo": ["Hello", {"World": 123}]}))?;
    cx.eq(
        "nested json",
        s.any_property()?["Goo"][1]["World"].as_f64(),
        Some(123.0),
    )?;
    s.set_any_property(json!(["Hello", "World"]))?;
    cx.eq("array", s.any_property()?, json!(["Hello", "World"]))?;
    let twelve = num(12.0)?;
    s.set_any_property(json!(["Hybrid", rt::to_wire(&twelve), 123, false]))?;
    let got = s.any_property()?;
    cx.eq("array of any[2]", got[2].as_f64(), Some(123.0))?;
    let back: base::Num = rt::from_wire(got[1].clone())?;
    cx.eq("array of any[1] is the object", back.value()?, 12.0)?;
    s.set_any_property(json!({"MapKey": "MapValue"}))?;
    cx.eq(
        "map",
        s.any_property()?["MapKey"].as_str(),
        Some("MapValue"),
    )?;
    let (ten, twenty) = (num(10.0)?, num(20.0)?);
    let product = fx::Product::new(&ten, &twenty)?;
    s.set_any_property(rt::to_wire(&product))?;
    let back: fx::Product = rt::from_wire(s.any_property()?)?;
    cx.check("object identity", same(&back, &product))?;
    cx.eq("object value", back.value()?, 200.0)?;
    let d = date("1970-01-01T00:20:34Z")?;
    s.set_any_property(rt::to_wire(&d))?;
    cx.eq("date", rt::from_wire::<rt::Date>(s.any_property()?)?, d)
}

pub fn undefined_and_null(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    cx.eq("unset max", acc.max_value()?, None)?;
    acc.set_max_value(Some(10.0))?;
    cx.eq("set max", acc.max_value()?, Some(10.0))?;
    acc.set_max_value(None)?;
    cx.eq("reset max", acc.max_value()?, None)
}

pub fn null_should_be_treated_as_undefined(cx: &mut Cx) -> Result<()> {
    // Each call throws in JavaScript unless it saw `undefined` where Rust passed None.
    let o = fx::NullAsUndefined::new("hello", None)?;
    o.give_me_undefined(None)?;
    cx.checks += 1;
    o.give_me_undefined_inside_an_object(&fx::NullData {
        this_should_be_undefined: None,
        array_with_three_elements_and_undefined_as_second_argument: Some(vec![
            serde_json::json!("hello"),
            serde_json::Value::Null,
            serde_json::json!("boom"),
        ]),
    })?;
    cx.checks += 1;
    o.set_change_me_to_undefined(None)?;
    o.verify_property_is_undefined()?;
    cx.checks += 1;
    Ok(())
}

pub fn erase_unset_data_values(cx: &mut Cx) -> Result<()> {
    let opts = fx::EraseOptions {
        option1: Some("option1".into()),
        ..Default::default()
    };
    cx.eq(
        "option1",
        fx::EraseUnset::does_key_exist(&opts, "option1")?,
        true,
    )?;
    cx.eq(
        "option2 absent",
        fx::EraseUnset::does_key_exist(&opts, "option2")?,
        false,
    )?;
    let p1 = fx::EraseUnset::prop1_is_null()?;
    cx.eq(
        "prop1IsNull keys",
        p1.keys().cloned().collect::<Vec<_>>(),
        vec!["prop2".to_owned()],
    )?;
    let p2 = fx::EraseUnset::prop2_is_undefined()?;
    cx.eq(
        "prop2IsUndefined keys",
        p2.keys().cloned().collect::<Vec<_>>(),
        vec!["prop1".to_owned()],
    )
}

pub fn structs_are_undecorated_on_the_way_to_kernel(cx: &mut Cx) -> Result<()> {
    let s = fx::StructB {
        required_string: Some("Bazinga!".into()),
        optional_boolean: Some(false),
        ..Default::default()
    };
    let text = fx::JsonFormatter::stringify(Some(&rt::to_wire(&s)))?.context("some JSON")?;
    let seen: serde_json::Value = serde_json::from_str(&text)?;
    cx.eq(
        "JSON the library saw",
        seen,
        serde_json::json!({"requiredString": "Bazinga!", "optionalBoolean": false}),
    )
}

pub fn exceptions(cx: &mut Cx) -> Result<()> {
    let props = fx::AccumulatorProps {
        initial: Some(20.0),
        max: Some(30.0),
    };
    let acc = fx::Accumulator::new(Some(&props))?;
    acc.add(3.0)?;
    cx.eq("23", acc.value()?, 23.0)?;
    let msg = cx.fails("add past max", acc.add(10.0))?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("exceed the maximum value 30"),
    )?;
    acc.set_max_value(Some(40.0))?;
    acc.add(10.0)?;
    cx.eq("still usable", acc.value()?, 33.0)
}

pub fn exception_message(cx: &mut Cx) -> Result<()> {
    let err = match fx::Thrower::throw_with_message("a custom message") {
        Ok(()) => anyhow::bail!("expected an error"),
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

pub fn get_and_set_enum_values(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    acc.add(9.0)?;
    cx.eq("default", acc.style()?, fx::RenderStyle::Plain)?;
    acc.set_style(fx::RenderStyle::Fancy)?;
    cx.eq("set", acc.style()?, fx::RenderStyle::Fancy)?;
    cx.eq("render", acc.render()?, "<<(0 + 9)>>".to_owned())
}

pub fn can_load_enum_values(cx: &mut Cx) -> Result<()> {
    let s = fx::EnumSource::random_string_like()?;
    cx.check(
        "string-like",
        matches!(s, fx::StringLike::A | fx::StringLike::B),
    )?;
    let i = fx::EnumSource::random_integer_like()?;
    cx.check(
        "integer-like",
        matches!(i, fx::IntegerLike::One | fx::IntegerLike::Two),
    )
}

pub fn use_enum_from_scoped_module(cx: &mut Cx) -> Result<()> {
    let h = fx::ToneHolder::new()?;
    cx.eq("default", h.tone()?, base::Tone::Loud)?;
    h.set_tone(base::Tone::Calm)?;
    cx.eq("loadTone", h.load_tone()?, base::Tone::Calm)?;
    h.save_tone(base::Tone::Loud)?;
    cx.eq("after save", h.tone()?, base::Tone::Loud)
}

// ---- collections --------------------------------------------------------------------------

pub fn collection_types(cx: &mut Cx) -> Result<()> {
    let s = fx::KitchenSink::new()?;
    s.set_array_property(vec!["Hello".into(), "World".into()])?;
    cx.eq(
        "array",
        s.array_property()?.get(1).cloned(),
        Some("World".to_owned()),
    )?;
    let n = num(123.0)?;
    s.set_map_property(rt::Map::from([("Foo".to_owned(), n.clone())]))?;
    let got = s.map_property()?;
    cx.eq("map", got.get("Foo").context("Foo")?.value()?, 123.0)
}

pub fn arrays(cx: &mut Cx) -> Result<()> {
    let total = fx::Total::new()?;
    let (five, ten, two, three) = (num(5.0)?, num(10.0)?, num(2.0)?, num(3.0)?);
    let product = fx::Product::new(&two, &three)?;
    total.set_parts(vec![five.upcast(), ten.upcast(), product.upcast()])?;
    cx.eq("sum", total.value()?, 21.0)?;
    let parts = total.parts()?;
    cx.eq("parts[0]", parts[0].value()?, 5.0)?;
    cx.check("parts[2] identity", same(&parts[2], &product))
}

pub fn maps(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    acc.add(10.0)?;
    acc.add(20.0)?;
    acc.mul(2.0)?;
    let log = acc.operations_log()?;
    let adds = log.get("add").context("add")?;
    cx.eq("adds", adds.len(), 2)?;
    cx.eq("muls", log.get("mul").context("mul")?.len(), 1)?;
    cx.eq("second add", adds[1].value()?, 30.0)
}

pub fn array_returned_by_method_can_be_read(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "list",
        fx::Collections::create_a_list()?,
        vec!["one".to_owned(), "two".to_owned()],
    )
}

fn key_values() -> rt::Map<String, String> {
    rt::Map::from([
        ("key1".to_owned(), "value1".to_owned()),
        ("key2".to_owned(), "value2".to_owned()),
    ])
}

pub fn map_returned_by_method_can_be_read(cx: &mut Cx) -> Result<()> {
    cx.eq("map", fx::Collections::create_a_map()?, key_values())
}

pub fn list_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    let c = fx::Collections::new(&rt::Map::new(), &["one".into(), "two".into()])?;
    cx.eq(
        "array",
        c.array()?,
        vec!["one".to_owned(), "two".to_owned()],
    )
}

pub fn map_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    let m = rt::Map::from([("key".to_owned(), "value".to_owned())]);
    let c = fx::Collections::new(&m, &[])?;
    cx.eq("map", c.map()?, m)
}

pub fn static_list_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    cx.eq(
        "staticArray",
        fx::Collections::static_array()?,
        vec!["one".to_owned(), "two".to_owned()],
    )
}

pub fn static_map_in_class_can_be_read_correctly(cx: &mut Cx) -> Result<()> {
    cx.eq("staticMap", fx::Collections::static_map()?, key_values())
}

pub fn test_null_is_a_valid_optional_list(cx: &mut Cx) -> Result<()> {
    cx.eq("maybeList", fx::Disappointing::maybe_list()?, None)
}

pub fn test_null_is_a_valid_optional_map(cx: &mut Cx) -> Result<()> {
    cx.eq("maybeMap", fx::Disappointing::maybe_map()?, None)
}

pub fn collection_of_interfaces_list_of_structs(cx: &mut Cx) -> Result<()> {
    let list = fx::InterfaceCollections::list_of_structs()?;
    cx.eq(
        "requiredString",
        list[0].required_string.clone(),
        Some("Hello, I am a struct!".to_owned()),
    )
}

pub fn collection_of_interfaces_map_of_structs(cx: &mut Cx) -> Result<()> {
    let map = fx::InterfaceCollections::map_of_structs()?;
    cx.eq(
        "A",
        map.get("A").context("A")?.required_string.clone(),
        Some("Hello, I am a struct!".to_owned()),
    )
}

pub fn collection_of_interfaces_list_of_interfaces(cx: &mut Cx) -> Result<()> {
    let bells = fx::InterfaceCollections::list_of_interfaces()?;
    cx.eq("two bells", bells.len(), 2)?;
    for bell in &bells {
        bell.ring()?;
        cx.checks += 1;
    }
    Ok(())
}

pub fn collection_of_interfaces_map_of_interfaces(cx: &mut Cx) -> Result<()> {
    let bells = fx::InterfaceCollections::map_of_interfaces()?;
    cx.eq("two bells", bells.len(), 2)?;
    for bell in bells.values() {
        bell.ring()?;
        cx.checks += 1;
    }
    Ok(())
}

// ---- structs ------------------------------------------------------------------------------

pub fn structs_serialize_to_jsii(cx: &mut Cx) -> Result<()> {
    let reader = fx::StructReader::new()?;
    let first = base::Measure {
        label: Some("FirstString".into()),
        count: Some(999.0),
        tags: Some(vec!["First".into(), "Optional".into()]),
    };
    cx.eq("readCount", reader.read_count(&first)?, 999.0)?;
    let trouble = fx::DoubleTrouble::new()?;
    let derived = fx::DerivedMeasure {
        label: Some("String".into()),
        count: Some(1234.0),
        tags: Some(vec!["one".into(), "two".into()]),
        non_primitive: Some(trouble.clone()),
        another_required: Some(date("2026-01-01T00:00:00Z")?),
        flag: Some(false),
        another_optional: None,
    };
    let back = reader.read_derived_non_primitive(&derived)?;
    cx.check("nonPrimitive identity", same(&back, &trouble))?;
    cx.eq(
        "date field",
        reader.read_derived_time(&derived)?,
        1_767_225_600_000.0,
    )?;
    let literal = reader.struct_literal()?;
    cx.eq(
        "first",
        literal.first,
        Some("first from a literal".to_owned()),
    )?;
    cx.eq("second", literal.second, None)?;
    cx.eq("third", literal.third, Some(false))
}

/// `a == b` must hold and `a == c` must not: equality that compares the fields.
fn equality<T: PartialEq + std::fmt::Debug>(
    cx: &mut Cx,
    what: &str,
    a: &T,
    b: &T,
    c: &T,
) -> Result<()> {
    cx.eq(&format!("{what}: equal fields"), a, b)?;
    cx.check(
        &format!("{what}: a different field makes them unequal ({a:?} vs {c:?})"),
        a != c,
    )
}

pub fn structs_returned_literal_equals_native_built(cx: &mut Cx) -> Result<()> {
    let returned = fx::StructReader::new()?.struct_literal()?;
    let native = base::OnlyOptionals {
        first: Some("first from a literal".into()),
        third: Some(false),
        ..Default::default()
    };
    cx.eq(
        "a literal from JavaScript equals the Rust-built struct",
        returned,
        native,
    )
}

fn struct_b(optional_boolean: Option<bool>, required: &str) -> fx::StructB {
    fx::StructB {
        required_string: Some(required.into()),
        optional_boolean,
        ..Default::default()
    }
}

pub fn structs_non_optional_equals(cx: &mut Cx) -> Result<()> {
    let (a, b) = (
        struct_b(None, "this is required"),
        struct_b(None, "this is required"),
    );
    equality(cx, "StructB", &a, &b, &struct_b(None, "something else"))
}

pub fn structs_optional_equals(cx: &mut Cx) -> Result<()> {
    let (a, b) = (
        struct_b(Some(true), "required"),
        struct_b(Some(true), "required"),
    );
    equality(cx, "StructB", &a, &b, &struct_b(Some(false), "required"))
}

fn diamond(top: &str) -> fx::DiamondBottom {
    fx::DiamondBottom {
        base_level: Some("base".into()),
        left_level: Some("left".into()),
        right_level: Some("right".into()),
        bottom_level: Some(top.into()),
    }
}

pub fn structs_multiple_properties_equals(cx: &mut Cx) -> Result<()> {
    equality(
        cx,
        "DiamondBottom",
        &diamond("top"),
        &diamond("top"),
        &diamond("other"),
    )
}

pub fn equals_is_resistant_to_property_shadowing_result_variable(cx: &mut Cx) -> Result<()> {
    // Fields named like the locals a generated `eq` might use (result, other, that, hash).
    let shadowing = |default: &str| fx::ShadowingStruct {
        default: Some(default.into()),
        result: Some("result".into()),
        other: Some("other".into()),
        ..Default::default()
    };
    equality(
        cx,
        "ShadowingStruct",
        &shadowing("one"),
        &shadowing("one"),
        &shadowing("two"),
    )
}

pub fn structs_with_diamond_inheritance_correctly_dedupe_properties(cx: &mut Cx) -> Result<()> {
    let s = fx::DiamondBottom {
        base_level: Some("base".into()),
        left_level: Some("left".into()),
        right_level: Some("right".into()),
        bottom_level: Some("bottom".into()),
    };
    cx.eq(
        "describe",
        fx::DiamondReader::describe(&s)?,
        "base/left/right/bottom".to_owned(),
    )
}

pub fn test_structs_can_be_downcasted_to_parent_type(cx: &mut Cx) -> Result<()> {
    let parent = fx::StructDowncast::take_this()?;
    cx.eq("parent field", parent.foo, Some("parent field".to_owned()))?;
    let child = fx::StructDowncast::take_child()?;
    cx.eq("child foo", child.foo, Some("parent field".to_owned()))?;
    cx.eq("child bar", child.bar, Some(42.0))
}

pub fn use_nested_struct(cx: &mut Cx) -> Result<()> {
    let s = fx::NestingNestedStruct {
        name: Some("Bond, James Bond".into()),
    };
    cx.eq(
        "namespace struct",
        fx::Nesting::consume(&s)?,
        "Bond, James Bond".to_owned(),
    )?;
    let d = fx::deep::HolderNested {
        name: Some("deep".into()),
        level: Some(2.0),
    };
    cx.eq(
        "submodule struct",
        fx::deep::Holder::consume(&d)?,
        "deep (2)".to_owned(),
    )
}

pub fn lifted_kwarg_with_same_name_as_positional_arg(cx: &mut Cx) -> Result<()> {
    let bell = fx::PublicBell::new()?;
    let props = fx::ScopeProps {
        scope: Some("Driiiing!".into()),
    };
    let amb = fx::Ambiguous::new(&bell, &props)?;
    cx.check("scope", same(&amb.scope()?, &bell))?;
    cx.eq("props", amb.props()?.scope, Some("Driiiing!".to_owned()))
}

// ---- references ---------------------------------------------------------------------------

pub fn test_native_objects_with_interfaces(cx: &mut Cx) -> Result<()> {
    struct Counter(AtomicUsize);
    impl base::IRandomImpl for Counter {
        fn next(&self) -> rt::R<f64> {
            Ok(1000.0 * (self.0.fetch_add(1, Ordering::SeqCst) + 1) as f64)
        }
    }
    let native = base::IRandom::from_impl(Counter(AtomicUsize::new(0)))?;
    let generator = fx::NumberGenerator::new(&native)?;
    cx.check("generator identity", same(&generator.generator()?, &native))?;
    cx.eq("first", generator.next_times100()?, 100_000.0)?;
    cx.eq("second", generator.next_times100()?, 200_000.0)?;
    cx.eq(
        "isSameGenerator",
        generator.is_same_generator(&native)?,
        true,
    )
}

pub fn classes_can_self_reference_during_class_initialization(cx: &mut Cx) -> Result<()> {
    let outer = fx::Outer::new()?;
    let inner = outer.inner()?;
    cx.check("inner.outer", same(&inner.outer()?, &outer))
}

pub fn obj_refs_are_labelled_using_with_the_most_correct_type(cx: &mut Cx) -> Result<()> {
    let class = fx::Makers::make_class()?;
    let mid = class
        .downcast::<fx::MidClass>()
        .context("the BaseClass is a MidClass")?;
    cx.eq("MidClass member", mid.mid()?, true)?;
    cx.eq(
        "interface call",
        fx::Makers::make_interface()?.bye()?,
        "bye".to_owned(),
    )
}

pub fn receive_instance_of_private_class(cx: &mut Cx) -> Result<()> {
    let r = fx::ReturnsPrivate::new()?;
    cx.eq("success", r.private_implementation()?.success()?, true)
}

pub fn return_abstract(cx: &mut Cx) -> Result<()> {
    let r = fx::AbstractReturner::new()?;
    let a = r.give_me_abstract()?;
    cx.eq(
        "abstractMethod",
        a.abstract_method("John")?,
        "Hello, John!!".to_owned(),
    )?;
    cx.eq(
        "propFromInterface",
        a.upcast::<fx::IPropFromInterface>().prop_from_interface()?,
        "propFromInterfaceValue".to_owned(),
    )?;
    cx.eq("nonAbstractMethod", a.non_abstract_method()?, 42.0)?;
    cx.eq(
        "interface prop",
        r.give_me_interface()?.prop_from_interface()?,
        "propFromInterfaceValue".to_owned(),
    )?;
    cx.eq(
        "abstractProperty",
        r.return_abstract_from_property()?.abstract_property()?,
        "hello-abstract-property".to_owned(),
    )
}

pub fn unmarshall_into_abstract_type(cx: &mut Cx) -> Result<()> {
    let acc = fx::Accumulator::new(None)?;
    acc.add(120.0)?;
    cx.eq("curr value", acc.curr()?.value()?, 120.0)
}

pub fn return_subclass_that_implements_interface976(cx: &mut Cx) -> Result<()> {
    cx.eq("foo", fx::SubclassReturner::return_return()?.foo()?, 333.0)
}

pub fn test_js_object_literal_to_native(cx: &mut Cx) -> Result<()> {
    let o = fx::LiteralMaker::new()?.return_literal()?;
    cx.eq("propA", o.prop_a()?, "Hello".to_owned())?;
    cx.eq("propB", o.prop_b()?, 102.0)
}

pub fn downcasting(cx: &mut Cx) -> Result<()> {
    // `any` arrives as a handle to the nearest exported class (PublicBase); the unchecked cast
    // (the caller vouches, like Go's UnsafeCast) makes it an IReturnsFoo.
    let any = fx::SubclassReturner::return_anonymous()?;
    let r = rt::object_from_wire(any)?;
    let has_foo = <fx::IReturnsFoo as rt::FromObjRef>::from_obj_ref(r);
    cx.eq("foo through the interface", has_foo.foo()?, 333.0)
}

// ---- interfaces ---------------------------------------------------------------------------

struct NativeGreeter;
impl base::IGreeterImpl for NativeGreeter {
    fn hello(&self) -> rt::R<String> {
        Ok("I am a native!".into())
    }
}

pub fn test_interfaces(cx: &mut Cx) -> Result<()> {
    let (a, b) = (num(10.0)?, num(20.0)?);
    let plus = fx::Plus::new(&a, &b)?;
    cx.eq(
        "Plus as IGreeter",
        plus.hello()?,
        "Hello from a binary operation".to_owned(),
    )?;
    let c = num(30.0)?;
    let product = fx::Product::new(&a, &c)?;
    cx.eq(
        "Product as IFarewell",
        product.goodbye()?,
        "Goodbye from a product".to_owned(),
    )?;
    cx.eq("Product as IRandom", product.next()?, 89.0)?;
    let trouble = fx::DoubleTrouble::new()?;
    cx.eq("DoubleTrouble hello", trouble.hello()?, "world".to_owned())?;
    cx.eq("DoubleTrouble next", trouble.next()?, 12.0)?;
    let poly = fx::Polymorphism::new()?;
    cx.eq(
        "sayHello(product)",
        poly.say_hello(&product)?,
        "oh, Hello from a binary operation".to_owned(),
    )?;
    cx.eq(
        "sayHello(trouble)",
        poly.say_hello(&trouble)?,
        "oh, world".to_owned(),
    )?;
    let native = base::IGreeter::from_impl(NativeGreeter)?;
    cx.eq(
        "sayHello(native)",
        poly.say_hello(&native)?,
        "oh, I am a native!".to_owned(),
    )
}

pub fn test_interface_parameter(cx: &mut Cx) -> Result<()> {
    let greeter = fx::LiteralMaker::new()?.give_me_greeter()?;
    cx.eq(
        "hello",
        greeter.hello()?,
        "I am literally friendly!".to_owned(),
    )?;
    let aug = fx::GreetingAugmenter::new()?;
    cx.eq(
        "betterGreeting",
        aug.better_greeting(&greeter)?,
        "I am literally friendly! Let me buy you a drink!".to_owned(),
    )
}

pub fn test_literal_interface(cx: &mut Cx) -> Result<()> {
    let maker = fx::LiteralMaker::new()?;
    cx.eq(
        "hello",
        maker.give_me_greeter()?.hello()?,
        "I am literally friendly!".to_owned(),
    )?;
    let gr = maker.give_me_greeting_random()?;
    cx.eq("gen hello", gr.hello()?, "greeting random".to_owned())?;
    cx.eq("gen next", gr.next()?, 42.0)
}

pub fn can_use_interface_setters(cx: &mut Cx) -> Result<()> {
    let o = fx::PropertyProvider::provide()?;
    cx.eq("not yet set", o.was_set()?, false)?;
    o.set_property("New Value".into())?;
    cx.eq("wasSet", o.was_set()?, true)?;
    cx.eq("value", o.property()?, "New Value".to_owned())
}

struct Props {
    read_only: &'static str,
    suffix: &'static str,
    value: Mutex<String>,
}
impl fx::IInterfaceWithPropertiesImpl for Props {
    fn read_only_string(&self) -> rt::R<String> {
        Ok(self.read_only.into())
    }
    fn read_write_string(&self) -> rt::R<String> {
        Ok(format!(
            "{}{}",
            self.value.lock().expect("not poisoned"),
            self.suffix
        ))
    }
    fn set_read_write_string(&self, value: String) -> rt::R<()> {
        *self.value.lock().expect("not poisoned") = value;
        Ok(())
    }
}

fn uses_properties(
    cx: &mut Cx,
    read_only: &'static str,
    suffix: &'static str,
    expect: &str,
) -> Result<()> {
    let host = fx::IInterfaceWithProperties::from_impl(Props {
        read_only,
        suffix,
        value: Mutex::new(String::new()),
    })?;
    let uses = fx::UsesInterfaceWithProperties::new(&host)?;
    cx.eq("justRead", uses.just_read()?, read_only.to_owned())?;
    cx.eq(
        "writeAndRead",
        uses.write_and_read("Hello")?,
        expect.to_owned(),
    )
}

pub fn interface_builder(cx: &mut Cx) -> Result<()> {
    uses_properties(cx, "READ_ONLY", "", "Hello")
}

pub fn property_overrides_interfaces(cx: &mut Cx) -> Result<()> {
    uses_properties(cx, "READ_ONLY_STRING", "?", "Hello?")
}

fn britney() -> fx::StructB {
    fx::StructB {
        required_string: Some("It's Britney b**ch!".into()),
        ..Default::default()
    }
}

struct Delegate;
impl fx::IStructReturningDelegateImpl for Delegate {
    fn return_struct(&self) -> rt::R<fx::StructB> {
        Ok(britney())
    }
}

pub fn pure_interfaces_can_be_used_transparently(cx: &mut Cx) -> Result<()> {
    let delegate = fx::IStructReturningDelegate::from_impl(Delegate)?;
    let got = fx::ConsumePureInterface::new(&delegate)?.work_it_baby()?;
    cx.eq("workItBaby", got.required_string, britney().required_string)
}

/// Implements IGreeter and IRandom only through a blanket impl over another trait: the Rust
/// counterpart of implementing an interface through a base class.
trait Friendly: Send + Sync + 'static {
    fn name(&self) -> String;
}
struct Transitive;
impl Friendly for Transitive {
    fn name(&self) -> String {
        "hi".into()
    }
}
struct ViaFriendly<T>(T);
impl<T: Friendly> fx::IGreetingRandomImpl for ViaFriendly<T> {
    fn hello(&self) -> rt::R<String> {
        Ok(self.0.name())
    }
    fn next(&self) -> rt::R<f64> {
        Ok(4.0)
    }
}

pub fn pure_interfaces_can_be_used_transparently_when_transitively_implementing(
    cx: &mut Cx,
) -> Result<()> {
    let delegate = fx::IGreetingRandom::from_impl(ViaFriendly(Transitive))?;
    let generator = fx::NumberGenerator::new(&delegate)?;
    cx.eq("as IRandom", generator.next_times100()?, 400.0)?;
    cx.eq(
        "as IGreeter",
        fx::Polymorphism::new()?.say_hello(&delegate)?,
        "oh, hi".to_owned(),
    )
}

pub fn can_leverage_indirect_interface_polymorphism(cx: &mut Cx) -> Result<()> {
    let p = fx::AnonymousProvider::new()?;
    cx.eq("as class", p.provide_as_class()?.value()?, 1337.0)?;
    let iface = p.provide_as_interface()?;
    cx.eq("as interface value", iface.value()?, 1337.0)?;
    cx.eq(
        "as interface verb",
        iface.verb()?,
        "to implement".to_owned(),
    )
}

struct Ringer;
impl fx::IBellRingerImpl for Ringer {
    fn your_turn(&self, bell: fx::IBell) -> rt::R<()> {
        bell.ring()
    }
}

pub fn callback_parameter_is_interface(cx: &mut Cx) -> Result<()> {
    let ringer = fx::IBellRinger::from_impl(Ringer)?;
    cx.eq(
        "object literal",
        fx::ConsumerCanRingBell::implemented_by_object_literal(&ringer)?,
        true,
    )?;
    cx.eq(
        "private class",
        fx::ConsumerCanRingBell::implemented_by_private_class(&ringer)?,
        true,
    )?;
    cx.eq(
        "public class",
        fx::ConsumerCanRingBell::implemented_by_public_class(&ringer)?,
        true,
    )
}

pub fn iso8601_does_not_deserialize_to_date(cx: &mut Cx) -> Result<()> {
    struct Clock;
    impl fx::IClockImpl for Clock {
        fn iso(&self) -> rt::R<String> {
            Ok("2026-11-30T20:00:00.000Z".into())
        }
    }
    let reader = fx::ClockReader::new(&fx::IClock::from_impl(Clock)?)?;
    cx.eq(
        "read",
        reader.read()?,
        "2026-11-30T20:00:00.000Z".to_owned(),
    )
}

// ---- unions -------------------------------------------------------------------------------

pub fn union_types(cx: &mut Cx) -> Result<()> {
    let s = fx::KitchenSink::new()?;
    s.set_union_property(fx::StringOrNumberOrProduct::Number(1234.0))?;
    cx.check(
        "number",
        matches!(s.union_property()?, fx::StringOrNumberOrProduct::Number(n) if n == 1234.0),
    )?;
    s.set_union_property(fx::StringOrNumberOrProduct::String("Hello".into()))?;
    cx.check(
        "string",
        matches!(s.union_property()?, fx::StringOrNumberOrProduct::String(t) if t == "Hello"),
    )?;
    let (two, twelve) = (num(2.0)?, num(12.0)?);
    let product = fx::Product::new(&two, &twelve)?;
    s.set_union_property(fx::StringOrNumberOrProduct::Product(product.clone()))?;
    match s.union_property()? {
        fx::StringOrNumberOrProduct::Product(p) => cx.eq("object value", p.value()?, 24.0)?,
        other => anyhow::bail!("expected a Product, got {other:?}"),
    }
    let n99 = num(99.0)?;
    s.set_union_map_property(rt::Map::from([(
        "Foo".to_owned(),
        fx::StringOrNumberOrNum::Num(n99.clone()),
    )]))?;
    match s.union_map_property()?.remove("Foo") {
        Some(fx::StringOrNumberOrNum::Num(n)) => cx.eq("map member", n.value()?, 99.0)?,
        other => anyhow::bail!("expected a Num, got {other:?}"),
    }
    let n33 = num(33.0)?;
    s.set_union_array_property(vec![
        fx::NumberOrValue::Number(123.0),
        fx::NumberOrValue::Value(n33.upcast()),
    ])?;
    let a = s.union_array_property()?;
    cx.check(
        "array number",
        matches!(a[0], fx::NumberOrValue::Number(n) if n == 123.0),
    )?;
    match &a[1] {
        fx::NumberOrValue::Value(v) => cx.eq("array object", v.value()?, 33.0),
        other => anyhow::bail!("expected a Value, got {other:?}"),
    }
}

pub fn union_properties(cx: &mut Cx) -> Result<()> {
    let props = fx::AccumulatorProps {
        initial: Some(0.0),
        max: Some(f64::MAX),
    };
    let acc = fx::Accumulator::new(Some(&props))?;
    let (nine, three, ten) = (num(9.0)?, num(3.0)?, num(10.0)?);
    let product = fx::Product::new(&nine, &three)?;
    acc.set_union_property(Some(fx::ProductOrPower::Product(product)))?;
    cx.check(
        "Product",
        matches!(acc.union_property()?, Some(fx::ProductOrPower::Product(_))),
    )?;
    cx.eq("readUnionValue", acc.read_union_value()?, 27.0)?;
    let power = fx::Power::new(&ten, &three)?;
    acc.set_union_property(Some(fx::ProductOrPower::Power(power)))?;
    cx.check(
        "Power",
        matches!(acc.union_property()?, Some(fx::ProductOrPower::Power(_))),
    )
}

pub fn union_properties_with_builder(cx: &mut Cx) -> Result<()> {
    let sink = fx::KitchenSink::new()?;
    for (bag, expected) in [
        (
            fx::UnionBag {
                bar: Some(fx::StringOrNumberOrKitchenSink::Number(12.0)),
                foo: Some(fx::StringOrNumber::String("Hello".into())),
            },
            "number/string",
        ),
        (
            fx::UnionBag {
                bar: Some(fx::StringOrNumberOrKitchenSink::String(
                    "BarIsString".into(),
                )),
                foo: None,
            },
            "string/undefined",
        ),
        (
            fx::UnionBag {
                bar: Some(fx::StringOrNumberOrKitchenSink::KitchenSink(sink.clone())),
                foo: Some(fx::StringOrNumber::Number(999.0)),
            },
            "KitchenSink/number",
        ),
    ] {
        cx.eq(
            expected,
            fx::StructUnionConsumer::describe_bag(&bag)?,
            expected.to_owned(),
        )?;
    }
    Ok(())
}

pub fn correctly_deserializes_struct_unions(cx: &mut Cx) -> Result<()> {
    let a0 = fx::StructA {
        required_string: Some("Present!".into()),
        optional_string: Some("Bazinga!".into()),
        ..Default::default()
    };
    let a1 = fx::StructA {
        required_string: Some("Present!".into()),
        optional_number: Some(1337.0),
        ..Default::default()
    };
    let b0 = fx::StructB {
        required_string: Some("Present!".into()),
        optional_boolean: Some(true),
        ..Default::default()
    };
    let b1 = fx::StructB {
        required_string: Some("Present!".into()),
        optional_struct_a: Some(a1.clone()),
        ..Default::default()
    };
    for (s, is_a) in [
        (fx::StructAOrStructB::from(a0), true),
        (fx::StructAOrStructB::from(a1), true),
        (fx::StructAOrStructB::from(b0), false),
        (fx::StructAOrStructB::from(b1), false),
    ] {
        cx.eq(
            "isStructA",
            fx::StructUnionConsumer::is_struct_a(s.clone())?,
            is_a,
        )?;
        cx.eq("isStructB", fx::StructUnionConsumer::is_struct_b(s)?, !is_a)?;
    }
    cx.check(
        "provide(false) is a StructA",
        matches!(
            fx::StructUnionConsumer::provide(false)?,
            fx::StructAOrStructB::StructA(_)
        ),
    )?;
    cx.check(
        "provide(true) is a StructB",
        matches!(
            fx::StructUnionConsumer::provide(true)?,
            fx::StructAOrStructB::StructB(_)
        ),
    )
}

pub fn can_obtain_reference_with_overloaded_setter(cx: &mut Cx) -> Result<()> {
    let o = fx::ConfusingSetter::make_instance()?;
    let one = num(1.0)?;
    o.set_union_property(Some(fx::IGreeterOrStringOrNumList::StringOrNumList(vec![
        fx::StringOrNum::String("a".into()),
        fx::StringOrNum::Num(one),
    ])))?;
    match o.union_property()? {
        Some(fx::IGreeterOrStringOrNumList::StringOrNumList(l)) => cx.check(
            "list member",
            matches!(&l[0], fx::StringOrNum::String(s) if s == "a"),
        ),
        other => anyhow::bail!("expected the list, got {other:?}"),
    }
}

pub fn can_obtain_struct_reference_with_overloaded_setter(cx: &mut Cx) -> Result<()> {
    let s = fx::ConfusingSetter::make_struct_instance()?;
    cx.check("an empty struct came back", s.union_property.is_none())
}

// ---- naming -------------------------------------------------------------------------------

pub fn reserved_keywords_are_slugified_in_method_names(cx: &mut Cx) -> Result<()> {
    let k = fx::Keywords::new()?;
    cx.eq("match", k.r#match()?, "match".to_owned())?;
    cx.eq("impl", k.r#impl()?, "impl".to_owned())?;
    cx.eq("fn", k.r#fn()?, "fn".to_owned())?;
    cx.eq("self", k.self_()?, "self".to_owned())
}

pub fn reserved_keywords_are_slugified_in_class_properties(cx: &mut Cx) -> Result<()> {
    let k = fx::Keywords::new()?;
    cx.eq("type", k.r#type()?, "type".to_owned())?;
    k.set_ref("changed".into())?;
    cx.eq("ref", k.r#ref()?, "changed".to_owned())?;
    cx.eq("loop", k.r#loop()?, "loop".to_owned())
}

pub fn reserved_keywords_are_slugified_in_struct_properties(cx: &mut Cx) -> Result<()> {
    let s = fx::KeywordStruct {
        r#type: Some("t".into()),
        r#move: Some("m".into()),
        r#impl: Some("i".into()),
        r#match: None,
    };
    cx.eq(
        "readStruct",
        fx::Keywords::read_struct(&s)?,
        "t,m,i".to_owned(),
    )
}

// ---- async --------------------------------------------------------------------------------

pub fn async_overrides_call_async_method(cx: &mut Cx) -> Result<()> {
    let o = fx::AsyncDefaults::new()?;
    cx.eq("callMe", o.call_me()?, 133.0)?;
    cx.eq("overrideMe", o.override_me(44.0)?, 484.0)
}

pub fn void_returning_async(cx: &mut Cx) -> Result<()> {
    let o = fx::AsyncVirtual::new()?;
    o.do_nothing()?;
    // The promise settled without a value, and the object is still usable afterwards.
    cx.eq("dontOverrideMe after doNothing", o.dont_override_me()?, 8.0)
}

// ---- overrides (Rust subclasses through the generated `...Overrides` traits) ---------------

/// An error raised by Rust override code (the kernel rethrows it in JavaScript).
fn thrown(message: &str) -> jsii::Error {
    jsii::CallbackError::new(message).into()
}

/// A Num whose `value` (declared by its base class Value) is ten more than the library's.
struct AddTen;
impl base::ValueOverrides for AddTen {
    const OVERRIDES: &'static [&'static str] = &["value"];
    fn value(&self, this: &base::Value) -> rt::R<f64> {
        // The handle's member is the library's implementation: `super.value`.
        Ok(base::ValueExt::value(this)? + 10.0)
    }
}
impl base::NumOverrides for AddTen {}

pub fn subclassing(cx: &mut Cx) -> Result<()> {
    let add_ten = base::Num::new_subclass(AddTen, 33.0)?;
    let acc = fx::Accumulator::new(None)?;
    acc.set_curr(add_ten.upcast())?;
    acc.neg()?;
    cx.eq("value", acc.value()?, -43.0)
}

struct SyncOverrides {
    multiplier: std::sync::Arc<AtomicUsize>,
    return_super: std::sync::Arc<std::sync::atomic::AtomicBool>,
}
impl fx::SyncVirtualOverrides for SyncOverrides {
    const OVERRIDES: &'static [&'static str] = &["virtual_method"];
    fn virtual_method(&self, this: &fx::SyncVirtual, n: f64) -> rt::R<f64> {
        if self.return_super.load(Ordering::SeqCst) {
            return this.virtual_method(n);
        }
        Ok(n * 5.0 * self.multiplier.load(Ordering::SeqCst) as f64)
    }
}

fn sync_overrides() -> Result<(fx::SyncVirtual, SyncOverridesControl)> {
    let control = SyncOverridesControl {
        multiplier: std::sync::Arc::new(AtomicUsize::new(1)),
        return_super: Default::default(),
    };
    let o = fx::SyncVirtual::new_subclass(SyncOverrides {
        multiplier: control.multiplier.clone(),
        return_super: control.return_super.clone(),
    })?;
    Ok((o, control))
}

struct SyncOverridesControl {
    multiplier: std::sync::Arc<AtomicUsize>,
    return_super: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

pub fn sync_overrides_case(cx: &mut Cx) -> Result<()> {
    let (o, control) = sync_overrides()?;
    cx.eq("callerIsMethod", o.caller_is_method()?, 50.0)?;
    control.multiplier.store(5, Ordering::SeqCst);
    cx.eq("multiplier 5", o.caller_is_method()?, 250.0)?;
    cx.eq("callerIsProperty", o.caller_is_property()?, 250.0)?;
    control.multiplier.store(3, Ordering::SeqCst);
    cx.eq("from an async method", o.caller_is_async()?, 150.0)
}

pub fn sync_overrides_calls_super(cx: &mut Cx) -> Result<()> {
    let (o, control) = sync_overrides()?;
    cx.eq("override", o.caller_is_property()?, 50.0)?;
    control.return_super.store(true, Ordering::SeqCst);
    cx.eq("super", o.caller_is_property()?, 20.0)
}

/// Overrides SyncVirtual.theProperty with the given getter and setter.
struct TheProperty<G, S> {
    get: G,
    set: S,
}
impl<G, S> fx::SyncVirtualOverrides for TheProperty<G, S>
where
    G: Fn(&fx::SyncVirtual) -> rt::R<String> + Send + Sync + 'static,
    S: Fn(&fx::SyncVirtual, String) -> rt::R<()> + Send + Sync + 'static,
{
    const OVERRIDES: &'static [&'static str] = &["the_property", "set_the_property"];
    fn the_property(&self, this: &fx::SyncVirtual) -> rt::R<String> {
        (self.get)(this)
    }
    fn set_the_property(&self, this: &fx::SyncVirtual, value: String) -> rt::R<()> {
        (self.set)(this, value)
    }
}

fn the_property<G, S>(get: G, set: S) -> Result<fx::SyncVirtual>
where
    G: Fn(&fx::SyncVirtual) -> rt::R<String> + Send + Sync + 'static,
    S: Fn(&fx::SyncVirtual, String) -> rt::R<()> + Send + Sync + 'static,
{
    Ok(fx::SyncVirtual::new_subclass(TheProperty { get, set })?)
}

/// The library's getter and setter (`super`): a handle's members run the library's code.
fn super_get(this: &fx::SyncVirtual) -> rt::R<String> {
    this.the_property()
}
fn super_set(this: &fx::SyncVirtual, value: String) -> rt::R<()> {
    this.set_the_property(value)
}

pub fn property_overrides_get_set(cx: &mut Cx) -> Result<()> {
    let store = std::sync::Arc::new(Mutex::new(String::from("I am an override!")));
    let (g, s) = (store.clone(), store.clone());
    let o = the_property(
        move |_| Ok(g.lock().expect("not poisoned").clone()),
        move |_, v| {
            *s.lock().expect("not poisoned") = v;
            Ok(())
        },
    )?;
    cx.eq(
        "retrieve",
        o.retrieve_value_of_the_property()?,
        "I am an override!".to_owned(),
    )?;
    o.modify_value_of_the_property("New Value")?;
    cx.eq(
        "the override saw the write",
        store.lock().expect("not poisoned").clone(),
        "New Value".to_owned(),
    )
}

pub fn property_overrides_get_calls_super(cx: &mut Cx) -> Result<()> {
    let o = the_property(|this| Ok(format!("super:{}", super_get(this)?)), super_set)?;
    cx.eq(
        "retrieve",
        o.retrieve_value_of_the_property()?,
        "super:initial value".to_owned(),
    )?;
    // From Rust, the handle's getter is the library's (the override is the Rust value's).
    cx.eq("handle get", o.the_property()?, "initial value".to_owned())
}

pub fn property_overrides_set_calls_super(cx: &mut Cx) -> Result<()> {
    let o = the_property(super_get, |this, v| {
        super_set(this, format!("{v}:by override"))
    })?;
    o.modify_value_of_the_property("New Value")?;
    cx.eq(
        "value",
        o.retrieve_value_of_the_property()?,
        "New Value:by override".to_owned(),
    )
}

pub fn property_overrides_get_throws(cx: &mut Cx) -> Result<()> {
    let o = the_property(|_| Err(thrown("Oh no, this is bad")), super_set)?;
    let msg = cx.fails("retrieve", o.retrieve_value_of_the_property())?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Oh no, this is bad"),
    )
}

pub fn property_overrides_set_throws(cx: &mut Cx) -> Result<()> {
    let o = the_property(super_get, |_, _| {
        Err(thrown("Exception from overloaded setter"))
    })?;
    let msg = cx.fails("modify", o.modify_value_of_the_property("Hii"))?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Exception from overloaded setter"),
    )
}

pub fn can_override_protected_method(cx: &mut Cx) -> Result<()> {
    struct Cthulhu;
    impl fx::OverridableProtectedOverrides for Cthulhu {
        const OVERRIDES: &'static [&'static str] = &["override_me"];
        fn override_me(&self, _: &fx::OverridableProtected) -> rt::R<String> {
            Ok("Cthulhu Fhtagn!".into())
        }
    }
    let o = fx::OverridableProtected::new_subclass(Cthulhu)?;
    cx.eq(
        "valueFromProtected",
        o.value_from_protected()?,
        "Cthulhu Fhtagn!".to_owned(),
    )
}

pub fn can_override_protected_getter(cx: &mut Cx) -> Result<()> {
    struct Getters;
    impl fx::OverridableProtectedOverrides for Getters {
        const OVERRIDES: &'static [&'static str] = &["override_read_only", "override_read_write"];
        fn override_read_only(&self, _: &fx::OverridableProtected) -> rt::R<String> {
            Ok("Cthulhu ".into())
        }
        fn override_read_write(&self, _: &fx::OverridableProtected) -> rt::R<String> {
            Ok("Fhtagn!".into())
        }
    }
    let o = fx::OverridableProtected::new_subclass(Getters)?;
    cx.eq(
        "valueFromProtected",
        o.value_from_protected()?,
        "Cthulhu Fhtagn!".to_owned(),
    )
}

pub fn can_override_protected_setter(cx: &mut Cx) -> Result<()> {
    struct Setter;
    impl fx::OverridableProtectedOverrides for Setter {
        const OVERRIDES: &'static [&'static str] = &["set_override_read_write"];
        fn set_override_read_write(
            &self,
            this: &fx::OverridableProtected,
            value: String,
        ) -> rt::R<()> {
            // The protected setter of the library (`super`), exposed on the handle for overrides.
            this.set_override_read_write(format!("zzz{value}"))
        }
    }
    let o = fx::OverridableProtected::new_subclass(Setter)?;
    o.switch_modes()?;
    cx.eq(
        "valueFromProtected",
        o.value_from_protected()?,
        "Bazzzzaar...".to_owned(),
    )
}

pub fn abstract_members_are_correctly_handled(cx: &mut Cx) -> Result<()> {
    struct Suite(Mutex<String>);
    impl fx::AbstractSuiteOverrides for Suite {
        const OVERRIDES: &'static [&'static str] = &["some_method", "property"];
        fn some_method(&self, _: &fx::AbstractSuite, s: String) -> rt::R<String> {
            Ok(format!("Wrapped<{s}>"))
        }
        fn property(&self, _: &fx::AbstractSuite) -> rt::R<String> {
            Ok(self.0.lock().expect("not poisoned").clone())
        }
        fn set_property(&self, _: &fx::AbstractSuite, value: String) -> rt::R<()> {
            *self.0.lock().expect("not poisoned") = format!("String<{value}>");
            Ok(())
        }
    }
    let o = fx::AbstractSuite::new_subclass(Suite(Mutex::new(String::new())))?;
    cx.eq(
        "workItAll",
        o.work_it_all("Oomf!")?,
        "Wrapped<String<Oomf!>>".to_owned(),
    )?;
    // Leaving an abstract member to the library, which has no implementation, is refused.
    struct Incomplete;
    impl fx::AbstractSuiteOverrides for Incomplete {
        const OVERRIDES: &'static [&'static str] = &["some_method"];
    }
    let msg = cx.fails(
        "abstract property not overridden",
        fx::AbstractSuite::new_subclass(Incomplete),
    )?;
    cx.check(&format!("names it: {msg}"), msg.contains("property"))
}

pub fn callbacks_correctly_deserialize_arguments(cx: &mut Cx) -> Result<()> {
    struct Renderer;
    impl fx::DataRendererOverrides for Renderer {
        const OVERRIDES: &'static [&'static str] = &["render_map"];
        fn render_map(
            &self,
            this: &fx::DataRenderer,
            mut map: rt::Map<String, rt::Value>,
        ) -> rt::R<String> {
            map.insert("custom".into(), serde_json::json!("value"));
            this.render_map(&map)
        }
    }
    let o = fx::DataRenderer::new_subclass(Renderer)?;
    let got = o.render(&base::Measure {
        label: Some("50".into()),
        count: Some(50.0),
        tags: None,
    })?;
    cx.eq(
        "render",
        got.as_str(),
        "{\n  \"count\": 50,\n  \"custom\": \"value\",\n  \"label\": \"50\"\n}",
    )
}

/// A DoNotOverridePrivates subclass: the library's private members are in no trait, so
/// whatever the Rust type calls `private_method` / `private_property` is never routed.
fn do_not_override_privates<T: fx::DoNotOverridePrivatesOverrides>(
    cx: &mut Cx,
    imp: T,
    member: &str,
) -> Result<fx::DoNotOverridePrivates> {
    struct Listed;
    impl fx::DoNotOverridePrivatesOverrides for Listed {
        const OVERRIDES: &'static [&'static str] = &["private_method", "private_property"];
    }
    let msg = cx.fails(
        "listing a private member",
        fx::DoNotOverridePrivates::new_subclass(Listed),
    )?;
    cx.check(
        &format!("{member} is not overridable: {msg}"),
        msg.contains("no overridable member"),
    )?;
    Ok(fx::DoNotOverridePrivates::new_subclass(imp)?)
}

fn private_method_not_overridden(
    cx: &mut Cx,
    o: &fx::DoNotOverridePrivates,
    rust: String,
) -> Result<()> {
    cx.check("the Rust method differs", rust != "privateMethod")?;
    cx.eq(
        "privateMethodValue",
        o.private_method_value()?,
        "privateMethod".to_owned(),
    )
}

fn private_property_not_overridden(
    cx: &mut Cx,
    o: &fx::DoNotOverridePrivates,
    rust: String,
) -> Result<()> {
    cx.check("the Rust property differs", rust != "privateProperty")?;
    cx.eq(
        "privatePropertyValue",
        o.private_property_value()?,
        "privateProperty".to_owned(),
    )?;
    o.change_private_property_value("MyNewValue")?;
    cx.eq(
        "after change",
        o.private_property_value()?,
        "MyNewValue".to_owned(),
    )
}

pub fn do_not_override_privates_method_public(cx: &mut Cx) -> Result<()> {
    #[derive(Clone, Copy)]
    struct Public;
    impl Public {
        pub fn private_method(&self) -> String {
            "privateMethod-Override".into()
        }
    }
    impl fx::DoNotOverridePrivatesOverrides for Public {}
    let o = do_not_override_privates(cx, Public, "private_method")?;
    private_method_not_overridden(cx, &o, Public.private_method())
}

pub fn do_not_override_privates_method_private(cx: &mut Cx) -> Result<()> {
    #[derive(Clone, Copy)]
    struct Private;
    impl Private {
        fn private_method(&self) -> String {
            "privateMethod-Override".into()
        }
    }
    impl fx::DoNotOverridePrivatesOverrides for Private {}
    let o = do_not_override_privates(cx, Private, "private_method")?;
    private_method_not_overridden(cx, &o, Private.private_method())
}

pub fn do_not_override_privates_property_getter_public(cx: &mut Cx) -> Result<()> {
    #[derive(Clone, Copy)]
    struct Public;
    impl Public {
        pub fn private_property(&self) -> String {
            "privateProperty-Override".into()
        }
        pub fn set_private_property(&self, _: String) -> rt::R<()> {
            Err(thrown("Boom"))
        }
    }
    impl fx::DoNotOverridePrivatesOverrides for Public {}
    let o = do_not_override_privates(cx, Public, "private_property")?;
    cx.check(
        "the Rust setter would fail",
        Public.set_private_property("x".into()).is_err(),
    )?;
    private_property_not_overridden(cx, &o, Public.private_property())
}

pub fn do_not_override_privates_property_getter_private(cx: &mut Cx) -> Result<()> {
    #[derive(Clone, Copy)]
    struct Private;
    impl Private {
        fn private_property(&self) -> String {
            "privateProperty-Override".into()
        }
    }
    impl fx::DoNotOverridePrivatesOverrides for Private {}
    let o = do_not_override_privates(cx, Private, "private_property")?;
    private_property_not_overridden(cx, &o, Private.private_property())
}

pub fn do_not_override_privates_property_by_name_public(cx: &mut Cx) -> Result<()> {
    #[derive(Clone)]
    struct Public {
        pub private_property: String,
    }
    impl fx::DoNotOverridePrivatesOverrides for Public {}
    let imp = Public {
        private_property: "privateProperty-Override".into(),
    };
    let o = do_not_override_privates(cx, imp.clone(), "private_property")?;
    private_property_not_overridden(cx, &o, imp.private_property)
}

pub fn do_not_override_privates_property_by_name_private(cx: &mut Cx) -> Result<()> {
    #[derive(Clone)]
    struct Private {
        private_property: String,
    }
    impl fx::DoNotOverridePrivatesOverrides for Private {}
    let imp = Private {
        private_property: "privateProperty-Override".into(),
    };
    let o = do_not_override_privates(cx, imp.clone(), "private_property")?;
    private_property_not_overridden(cx, &o, imp.private_property)
}

/// AsyncVirtual.overrideMe multiplied by `factor`, and overrideMeToo when `too` is set.
struct AsyncOverrides {
    factor: f64,
    too: Option<f64>,
}
impl fx::AsyncVirtualOverrides for AsyncOverrides {
    const OVERRIDES: &'static [&'static str] = &["override_me", "override_me_too"];
    fn override_me(&self, _: &fx::AsyncVirtual, mult: f64) -> rt::R<f64> {
        Ok(mult * self.factor)
    }
    fn override_me_too(&self, this: &fx::AsyncVirtual) -> rt::R<f64> {
        match self.too {
            Some(v) => Ok(v),
            None => this.override_me_too(),
        }
    }
}

pub fn async_overrides_override_async_method(cx: &mut Cx) -> Result<()> {
    let o = fx::AsyncVirtual::new_subclass(AsyncOverrides {
        factor: 2.0,
        too: None,
    })?;
    cx.eq("callMe", o.call_me()?, 28.0)
}

/// The Rust counterpart of inheriting an override from a host base class: the override is
/// implemented once, for every type that provides `foo` (a "parent" trait).
trait OverridesByParent: Send + Sync + 'static {
    fn foo(&self) -> f64 {
        222.0
    }
}
struct Inherits<T>(T);
impl<T: OverridesByParent> fx::AsyncVirtualOverrides for Inherits<T> {
    const OVERRIDES: &'static [&'static str] = &["override_me"];
    fn override_me(&self, _: &fx::AsyncVirtual, _mult: f64) -> rt::R<f64> {
        Ok(self.0.foo() * 2.0)
    }
}
struct ByParent;
impl OverridesByParent for ByParent {}

pub fn async_overrides_override_async_method_by_parent_class(cx: &mut Cx) -> Result<()> {
    let o = fx::AsyncVirtual::new_subclass(Inherits(ByParent))?;
    cx.eq("callMe", o.call_me()?, 452.0)?;
    cx.eq("callMeDoubleAsync", o.call_me_double_async()?, 904.0)
}

pub fn async_overrides_override_calls_super(cx: &mut Cx) -> Result<()> {
    struct CallsSuper;
    impl fx::AsyncDefaultsOverrides for CallsSuper {
        const OVERRIDES: &'static [&'static str] = &["override_me"];
        fn override_me(&self, this: &fx::AsyncDefaults, mult: f64) -> rt::R<f64> {
            Ok(this.override_me(mult)? * 10.0 + 1.0)
        }
    }
    let o = fx::AsyncDefaults::new_subclass(CallsSuper)?;
    // callMe awaits the override (1321 from the library's 132), then adds one.
    cx.eq("callMe", o.call_me()?, 1322.0)
}

pub fn async_overrides_two_overrides(cx: &mut Cx) -> Result<()> {
    let o = fx::AsyncVirtual::new_subclass(AsyncOverrides {
        factor: 4.0,
        too: Some(666.0),
    })?;
    cx.eq("callMe", o.call_me()?, 714.0)
}

pub fn async_overrides_override_throws(cx: &mut Cx) -> Result<()> {
    struct Throws;
    impl fx::AsyncVirtualOverrides for Throws {
        const OVERRIDES: &'static [&'static str] = &["override_me"];
        fn override_me(&self, _: &fx::AsyncVirtual, _: f64) -> rt::R<f64> {
            Err(thrown("Thrown by native code"))
        }
    }
    let o = fx::AsyncVirtual::new_subclass(Throws)?;
    let msg = cx.fails("callMe", o.call_me())?;
    cx.check(
        &format!("message: {msg}"),
        msg.contains("Thrown by native code"),
    )
}
