//! Strict reading of the JOSE header and the JWT claims set (RFC 7515, RFC 7519).
//!
//! Each part's JSON is parsed once, borrowing strings from it: the members the authorizer
//! checks are classified by JSON type, every other member is skipped unread, and every member
//! name is kept to find duplicates. `jsonwebtoken`'s own parsing is lenient where a front door
//! must not be (an `iss` array matches if it contains the issuer, `crit` is never looked at,
//! header extras are last-wins), so the authorizer no longer uses it for either part. The
//! decision for each shape, and the RFC clause behind it, is the table in functions/README.md.

use std::borrow::Cow;
use std::fmt;

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{Claims, Denial};

/// The header parameters that are checked; all others are ignored (RFC 7515 §4).
const HEADER_PARAMETERS: [&str; 11] = [
    "alg", "kid", "typ", "cty", "crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256",
];

/// The claims that are checked; all others are ignored (RFC 7519 §4).
const CLAIMS: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp",
];

/// A JOSE header that passed every check: the algorithm it claims and the key it names.
#[derive(Debug)]
pub struct Header<'a> {
    pub alg: Algorithm,
    pub kid: Cow<'a, str>,
}

impl<'a> Header<'a> {
    /// Reads and checks a decoded JOSE header.
    pub fn parse(json: &'a str) -> Result<Self, Denial> {
        let object = parse_object(json, &HEADER_PARAMETERS)?;
        if object.duplicate_name {
            return Err(Denial::DuplicateHeaderParameter);
        }
        let [alg, kid, typ, cty, crit, jku, jwk, x5u, x5c, x5t, x5t_s256] = object.values;
        let alg = string(alg, Denial::HeaderType("alg"))?;
        let kid = string(kid, Denial::HeaderType("kid"))?;
        let typ = string(typ, Denial::HeaderType("typ"))?;
        // The key-carrying parameters are never used (the kid alone selects a configured key),
        // but a header whose registered parameters have the wrong type is not a valid JWS.
        for (value, name) in [
            (jku, "jku"),
            (x5u, "x5u"),
            (x5t, "x5t"),
            (x5t_s256, "x5t#S256"),
        ] {
            string(value, Denial::HeaderType(name))?;
        }
        match x5c {
            None => {}
            Some(Shape::Strings(certificates)) if !certificates.is_empty() => {}
            Some(_) => return Err(Denial::HeaderType("x5c")),
        }
        if !matches!(jwk, None | Some(Shape::Object)) {
            return Err(Denial::HeaderType("jwk"));
        }

        // RFC 7515 §4.1.1: a case-sensitive name; only these three have keys here.
        let alg = match alg.as_deref() {
            Some("RS256") => Algorithm::RS256,
            Some("ES256") => Algorithm::ES256,
            Some("HS256") => Algorithm::HS256,
            _ => return Err(Denial::Algorithm),
        };
        // RFC 7515 §4.1.11: a non-empty array of extension names, each of which the recipient
        // must understand. This authorizer implements no extension, so a well-formed `crit`
        // always names one it does not understand.
        match crit {
            None => {}
            Some(Shape::Strings(names)) if !names.is_empty() => {
                return Err(Denial::UnsupportedCritical);
            }
            Some(_) => return Err(Denial::InvalidCritical),
        }
        if typ.is_some_and(|typ| !is_jwt_type(&typ)) {
            return Err(Denial::TokenType);
        }
        // RFC 7519 §5.2: `cty` is for nested tokens (value "JWT") and otherwise not
        // recommended; a nested token's outer signature says nothing about the inner claims.
        if cty.is_some() {
            return Err(Denial::ContentType);
        }
        let kid = kid.ok_or(Denial::UnknownKid)?;
        Ok(Self { alg, kid })
    }
}

/// Whether a `typ` names a JWT: "JWT" (RFC 7519 §5.1) or an OAuth access token "at+jwt"
/// (RFC 9068 §2.1). Media types compare case-insensitively and "application/" may be left out
/// (RFC 7515 §4.1.9). Other JWT kinds, such as DPoP proofs ("dpop+jwt") or security event
/// tokens ("secevent+jwt"), must not be accepted as bearer tokens (RFC 8725 §3.11).
fn is_jwt_type(typ: &str) -> bool {
    let subtype = match typ.split_once('/') {
        None => typ,
        Some((top, subtype)) if top.eq_ignore_ascii_case("application") => subtype,
        Some(_) => return false,
    };
    subtype.eq_ignore_ascii_case("jwt") || subtype.eq_ignore_ascii_case("at+jwt")
}

/// What a token's claims are checked against.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub leeway_seconds: u64,
    /// Seconds since the epoch.
    pub now: u64,
}

/// Reads a decoded claims set, checks its types, required claims, times, issuer and audience,
/// and returns the claims the authorizer passes on.
pub fn claims(json: &str, expected: &Expected<'_>) -> Result<Claims, Denial> {
    let object = parse_object(json, &CLAIMS)?;
    if object.duplicate_name {
        return Err(Denial::DuplicateClaim);
    }
    let [iss, sub, aud, exp, nbf, iat, jti, scope, scp] = object.values;
    // RFC 7519 §4.1: `iss` and `sub` are one StringOrURI, `jti` a string; `exp`, `nbf` and
    // `iat` NumericDates; `aud` one StringOrURI or an array of them. RFC 8693 §4.2: `scope`
    // is one space-separated string. `scp` (not registered) is the array form some issuers use.
    let iss = string(iss, Denial::ClaimType("iss"))?;
    let sub = string(sub, Denial::ClaimType("sub"))?;
    let aud = match aud {
        None => None,
        Some(Shape::String(one)) => Some(vec![one]),
        Some(Shape::Strings(many)) => Some(many),
        Some(_) => return Err(Denial::ClaimType("aud")),
    };
    let exp = numeric_date(exp, "exp")?;
    let nbf = numeric_date(nbf, "nbf")?;
    // `iat` is informational (RFC 7519 §4.1.6): its type is checked, its value is not.
    numeric_date(iat, "iat")?;
    string(jti, Denial::ClaimType("jti"))?;
    let scope = string(scope, Denial::ClaimType("scope"))?;
    let scp = match scp {
        None => None,
        Some(Shape::Strings(list)) => Some(list),
        Some(_) => return Err(Denial::ClaimType("scp")),
    };

    let exp = exp.ok_or(Denial::MissingClaim("exp"))?;
    let iss = iss.ok_or(Denial::MissingClaim("iss"))?;
    let aud = aud.ok_or(Denial::MissingClaim("aud"))?;
    // Integer seconds are exact in an f64 for the next 285 million years.
    let now = expected.now as f64;
    let leeway = expected.leeway_seconds as f64;
    if exp < now - leeway {
        return Err(Denial::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + leeway) {
        return Err(Denial::NotYetValid);
    }
    // RFC 7519 §2: StringOrURI values compare as case-sensitive strings, untransformed.
    if iss != expected.issuer {
        return Err(Denial::Issuer);
    }
    // RFC 7519 §4.1.3: the recipient must find itself in `aud`; an empty array names no one.
    if !aud.iter().any(|name| name == expected.audience) {
        return Err(Denial::Audience);
    }
    Ok(Claims {
        sub: sub.map(Cow::into_owned),
        scope: scope.map(Cow::into_owned),
        scp: scp.map(|list| list.into_iter().map(Cow::into_owned).collect()),
    })
}

/// A member that must be a string when present.
fn string<'a>(value: Option<Shape<'a>>, wrong: Denial) -> Result<Option<Cow<'a, str>>, Denial> {
    match value {
        None => Ok(None),
        Some(Shape::String(text)) => Ok(Some(text)),
        Some(_) => Err(wrong),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, which may have a fraction; a string is not one.
fn numeric_date(value: Option<Shape<'_>>, name: &'static str) -> Result<Option<f64>, Denial> {
    match value {
        None => Ok(None),
        Some(Shape::Number(seconds)) => Ok(Some(seconds)),
        Some(_) => Err(Denial::ClaimType(name)),
    }
}

/// A member's value, as much of it as the checks need.
#[derive(Debug)]
enum Shape<'a> {
    String(Cow<'a, str>),
    Number(f64),
    /// An array whose elements are all strings (possibly none).
    Strings(Vec<Cow<'a, str>>),
    Object,
    /// `null`, `true`, `false`, or an array holding anything but strings.
    Other,
}

/// One JSON object: the value of each member named in the list it was read with, in that
/// list's order, and whether any member name occurs twice.
struct Object<'a, const N: usize> {
    values: [Option<Shape<'a>>; N],
    duplicate_name: bool,
}

/// Parses `json`, which must be exactly one JSON object.
fn parse_object<'a, const N: usize>(
    json: &'a str,
    names: &'static [&'static str; N],
) -> Result<Object<'a, N>, Denial> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let object = ObjectSeed { names }
        .deserialize(&mut deserializer)
        .and_then(|object| deserializer.end().map(|()| object))
        // serde_json's messages can quote the input; the reason must not carry token bytes.
        .map_err(|e| {
            Denial::Malformed(if e.is_data() {
                "not a JSON object"
            } else {
                "invalid JSON"
            })
        })?;
    Ok(object)
}

struct ObjectSeed<const N: usize> {
    names: &'static [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for ObjectSeed<N> {
    type Value = Object<'de, N>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for ObjectSeed<N> {
    type Value = Object<'de, N>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = std::array::from_fn(|_| None);
        // Real headers have 2-6 members and claims sets 5-20.
        let mut seen: Vec<Cow<'de, str>> = Vec::with_capacity(16);
        while let Some(Text(name)) = map.next_key()? {
            match self.names.iter().position(|known| *known == name) {
                Some(index) => values[index] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            seen.push(name);
        }
        // RFC 7515 §4 and RFC 7519 §4: member names must be unique, and a parser that keeps
        // the last of two (serde_json's `Value` does) could read a different token than a
        // parser that keeps the first. Names compare after unescaping ("k\u0069d" is "kid").
        // Sorting keeps a header padded with thousands of names (before its signature is
        // checked) from costing a quadratic scan.
        seen.sort_unstable();
        let duplicate_name = seen.windows(2).any(|pair| pair[0] == pair[1]);
        Ok(Object {
            values,
            duplicate_name,
        })
    }
}

/// A JSON string, borrowed from the input unless it contains escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for Shape<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Shape::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Shape::String(Cow::Owned(text.to_owned())))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Shape::Number(number as f64))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Shape::Number(number as f64))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Shape::Number(number))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Shape::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut strings = Vec::new();
        let mut only_strings = true;
        while let Some(element) = seq.next_element::<Shape<'de>>()? {
            match element {
                Shape::String(text) if only_strings => strings.push(text),
                _ => only_strings = false,
            }
        }
        Ok(if only_strings {
            Shape::Strings(strings)
        } else {
            Shape::Other
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://issuer",
            audience: "api",
            leeway_seconds: 30,
            now: 1_000_000,
        }
    }

    #[test]
    fn escaped_names_are_the_same_name() {
        assert_eq!(
            Header::parse(r#"{"alg":"RS256","kid":"a","k\u0069d":"b"}"#).unwrap_err(),
            Denial::DuplicateHeaderParameter
        );
        let header = Header::parse(r#"{"alg":"RS256","kid":"a\/b"}"#).unwrap();
        assert_eq!(header.kid, "a/b");
    }

    #[test]
    fn numeric_dates_may_have_fractions_but_not_be_strings() {
        let base = r#""iss":"https://issuer","aud":"api""#;
        assert!(claims(&format!(r#"{{{base},"exp":1000000.5}}"#), &expected()).is_ok());
        // At the edge of the leeway, in both directions.
        assert!(claims(&format!(r#"{{{base},"exp":999970}}"#), &expected()).is_ok());
        assert_eq!(
            claims(&format!(r#"{{{base},"exp":999969.9}}"#), &expected()).unwrap_err(),
            Denial::Expired
        );
        assert!(
            claims(
                &format!(r#"{{{base},"exp":2000000,"nbf":1000030}}"#),
                &expected()
            )
            .is_ok()
        );
        assert_eq!(
            claims(
                &format!(r#"{{{base},"exp":2000000,"nbf":1000030.5}}"#),
                &expected()
            )
            .unwrap_err(),
            Denial::NotYetValid
        );
        assert_eq!(
            claims(&format!(r#"{{{base},"exp":-5}}"#), &expected()).unwrap_err(),
            Denial::Expired
        );
        assert_eq!(
            claims(&format!(r#"{{{base},"exp":"2000000"}}"#), &expected()).unwrap_err(),
            Denial::ClaimType("exp")
        );
    }

    #[test]
    fn non_json_objects_and_trailing_bytes_are_malformed() {
        for json in ["[1]", "\"x\"", "{} {}", "{\"alg\":", ""] {
            assert!(
                matches!(Header::parse(json), Err(Denial::Malformed(_))),
                "{json}"
            );
        }
    }

    #[test]
    fn jwt_types() {
        for typ in [
            "JWT",
            "jwt",
            "application/jwt",
            "APPLICATION/JWT",
            "at+jwt",
            "application/at+JWT",
        ] {
            assert!(is_jwt_type(typ), "{typ}");
        }
        for typ in [
            "",
            "JWS",
            "dpop+jwt",
            "secevent+jwt",
            "text/jwt",
            "application/",
            "jwt; x=1",
        ] {
            assert!(!is_jwt_type(typ), "{typ}");
        }
    }
}
