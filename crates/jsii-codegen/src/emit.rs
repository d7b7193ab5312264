//! Rust source from a resolved assembly set. Plain string building: the output is large
//! (thousands of types), so it is written once, in order, without a syntax-tree round trip.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::model::{
    Assembly, ClassType, CollectionKind, Docs, EnumType, InterfaceType, Method, Parameter,
    Primitive, Property, Type, TypeRef,
};
use crate::names::{camel, escape, snake};
use crate::{Error, Options};

/// One generated module: a submodule of an assembly, or an assembly's root.
struct Module {
    /// `aws-cdk-lib.aws_sqs`, `constructs`
    key: String,
    /// Rust module path from the crate root (empty for the primary assembly's root).
    path: Vec<String>,
    /// The cargo feature that enables it; `None` for always-on modules.
    feature: Option<String>,
    /// fqns of the types defined directly in it, sorted.
    types: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Class,
    Interface,
    Struct,
    Enum,
}

struct TypeInfo<'a> {
    ty: &'a Type,
    module: usize,
    name: String,
    kind: Kind,
}

/// A union used in one module, emitted as an enum there.
struct UnionDef {
    name: String,
    /// `(variant, member type, Rust type, cfg gate)`.
    variants: Vec<(String, TypeRef, String, String)>,
}

pub(crate) struct Generator<'a> {
    opts: &'a Options,
    modules: Vec<Module>,
    types: HashMap<&'a str, TypeInfo<'a>>,
    /// Modules whose feature is on whenever module `i`'s is (base classes, interfaces, parent).
    hard: Vec<BTreeSet<usize>>,
    ancestors_memo: std::cell::RefCell<HashMap<String, Vec<String>>>,
    /// Per module: union key -> definition, filled while emitting that module.
    unions: Vec<BTreeMap<TypeRef, UnionDef>>,
    union_names: Vec<BTreeSet<String>>,
    /// Members left out because they name a type outside the assembly set.
    pub(crate) skipped: Vec<String>,
    /// Modules generated (all unless `Options::modules` narrows them).
    included: Vec<bool>,
}

type Used = BTreeSet<usize>;

impl<'a> Generator<'a> {
    pub(crate) fn new(asms: &'a [Assembly], opts: &'a Options) -> Result<Self, Error> {
        let primary = asms.first().ok_or(Error::NoAssembly)?;
        let mut modules: Vec<Module> = Vec::new();
        for asm in asms {
            let base: Vec<String> = if asm.name == primary.name {
                vec![]
            } else {
                vec![module_ident(&asm.name)]
            };
            modules.push(Module {
                key: asm.name.clone(),
                path: base.clone(),
                feature: None,
                types: vec![],
            });
            for sub in asm.submodules.keys() {
                let rest = &sub[asm.name.len() + 1..];
                let mut path = base.clone();
                path.extend(rest.split('.').map(module_ident));
                let feature = Some(path.join("__"));
                modules.push(Module {
                    key: sub.clone(),
                    path,
                    feature,
                    types: vec![],
                });
            }
        }
        modules.sort_by(|a, b| a.path.cmp(&b.path));
        let by_key: HashMap<String, usize> = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.key.clone(), i))
            .collect();
        let module_of = |fqn: &str| -> Option<usize> {
            let mut best = None;
            let mut end = 0;
            while let Some(dot) = fqn[end..].find('.') {
                end += dot;
                if let Some(&i) = by_key.get(&fqn[..end]) {
                    best = Some(i);
                }
                end += 1;
            }
            best
        };
        let mut types = HashMap::new();
        let mut taken: Vec<BTreeSet<String>> = vec![BTreeSet::new(); modules.len()];
        for asm in asms {
            for (fqn, ty) in &asm.types {
                let m = module_of(fqn)
                    .ok_or_else(|| Error::Model(format!("type {fqn} is in no module")))?;
                let rest = &fqn[modules[m].key.len() + 1..];
                let mut name: String = rest.split('.').collect();
                if name == "Self" || !taken[m].insert(name.clone()) {
                    name = rest.replace('.', "_");
                    taken[m].insert(name.clone());
                }
                let kind = match ty {
                    Type::Class(_) => Kind::Class,
                    Type::Interface(i) if i.datatype => Kind::Struct,
                    Type::Interface(_) => Kind::Interface,
                    Type::Enum(_) => Kind::Enum,
                };
                modules[m].types.push(fqn.clone());
                types.insert(
                    fqn.as_str(),
                    TypeInfo {
                        ty,
                        module: m,
                        name,
                        kind,
                    },
                );
            }
        }
        for m in &mut modules {
            m.types.sort();
        }
        let n = modules.len();
        let mut g = Generator {
            opts,
            modules,
            types,
            hard: vec![BTreeSet::new(); n],
            ancestors_memo: Default::default(),
            unions: (0..n).map(|_| BTreeMap::new()).collect(),
            union_names: vec![BTreeSet::new(); n],
            skipped: vec![],
            included: vec![true; n],
        };
        g.compute_hard_deps();
        // What an always-on module stands on (the root's base interfaces) is always on too.
        let always: Vec<usize> = (0..n).filter(|&i| g.modules[i].feature.is_none()).collect();
        for i in always {
            for d in g.hard[i].clone() {
                g.modules[d].feature = None;
            }
        }
        if let Some(wanted) = &opts.modules {
            let mut included: Vec<bool> = g.modules.iter().map(|m| m.feature.is_none()).collect();
            for w in wanted {
                let i = g
                    .modules
                    .iter()
                    .position(|m| m.feature.as_deref() == Some(w.as_str()))
                    .ok_or_else(|| Error::UnknownModule(w.clone()))?;
                included[i] = true;
                for &d in &g.hard[i] {
                    included[d] = true;
                }
            }
            g.included = included;
        }
        Ok(g)
    }

    /// A type of a generated module (`None` for unknown types and left-out modules).
    fn info(&self, fqn: &str) -> Option<&TypeInfo<'a>> {
        self.types.get(fqn).filter(|i| self.included[i.module])
    }

    /// Feature edges that cannot be gated member by member: base classes, implemented
    /// interfaces (the `IsA` impls name them) and the parent module that declares `mod x;`.
    fn compute_hard_deps(&mut self) {
        let mut direct: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); self.modules.len()];
        for (i, m) in self.modules.iter().enumerate() {
            if m.path.len() > 1 {
                let parent = &m.path[..m.path.len() - 1];
                if let Some(p) = self.modules.iter().position(|x| x.path == parent) {
                    direct[i].insert(p);
                }
            }
            for fqn in &m.types {
                for anc in self.ancestors(fqn) {
                    if let Some(a) = self.info(&anc) {
                        direct[i].insert(a.module);
                    }
                }
            }
        }
        for i in 0..self.modules.len() {
            let mut seen = BTreeSet::new();
            let mut stack = vec![i];
            while let Some(x) = stack.pop() {
                for &y in &direct[x] {
                    if seen.insert(y) {
                        stack.push(y);
                    }
                }
            }
            seen.remove(&i);
            self.hard[i] = seen;
        }
    }

    /// Every class and behavioural interface a class or interface can be used as (transitive).
    fn ancestors(&self, fqn: &str) -> Vec<String> {
        if let Some(v) = self.ancestors_memo.borrow().get(fqn) {
            return v.clone();
        }
        let mut out = BTreeSet::new();
        if let Some(info) = self.info(fqn) {
            let (base, ifaces): (Option<&String>, &Vec<String>) = match info.ty {
                Type::Class(c) => (c.base.as_ref(), &c.interfaces),
                Type::Interface(i) if !i.datatype => (None, &i.interfaces),
                _ => (None, &Vec::new() as &Vec<String>),
            };
            // Vec::new() above is a temporary only for enums and structs, which have no ancestors.
            for parent in base.into_iter().chain(ifaces.iter()) {
                match self.info(parent) {
                    Some(p) if p.kind == Kind::Class || p.kind == Kind::Interface => {
                        out.insert(parent.clone());
                        out.extend(self.ancestors(parent));
                    }
                    _ => {}
                }
            }
        }
        let v: Vec<String> = out.into_iter().collect();
        self.ancestors_memo
            .borrow_mut()
            .insert(fqn.to_string(), v.clone());
        v
    }

    fn path_of(&self, info: &TypeInfo) -> String {
        let m = &self.modules[info.module];
        if m.path.is_empty() {
            format!("crate::{}", info.name)
        } else {
            format!("crate::{}::{}", m.path.join("::"), info.name)
        }
    }

    /// `#[cfg(...)]` for a member of module `m` that names types of the modules in `used`.
    fn gate(&self, m: usize, used: &Used) -> String {
        let feats: BTreeSet<&str> = used
            .iter()
            .filter(|&&u| u != m && !self.hard[m].contains(&u))
            .filter_map(|&u| self.modules[u].feature.as_deref())
            .collect();
        match feats.len() {
            0 => String::new(),
            1 => format!(
                "#[cfg(feature = \"{}\")]\n",
                feats.iter().next().unwrap_or(&"")
            ),
            _ => {
                let list: Vec<String> =
                    feats.iter().map(|f| format!("feature = \"{f}\"")).collect();
                format!("#[cfg(all({}))]\n", list.join(", "))
            }
        }
    }

    // ---------------------------------------------------------------- type references

    /// The owned Rust type of a value (struct fields, returns, collection elements).
    fn owned(&mut self, m: usize, t: &TypeRef, used: &mut Used) -> Option<String> {
        Some(match t {
            TypeRef::Primitive { primitive } => match primitive {
                Primitive::String => "rt::String".into(),
                Primitive::Number => "f64".into(),
                Primitive::Boolean => "bool".into(),
                Primitive::Date => "rt::Date".into(),
                Primitive::Json | Primitive::Any => "rt::Value".into(),
            },
            TypeRef::Named { fqn } => {
                let info = self.info(fqn)?;
                used.insert(info.module);
                self.path_of(info)
            }
            TypeRef::Collection { collection } => {
                let el = self.owned(m, &collection.elementtype, used)?;
                match collection.kind {
                    CollectionKind::Array => format!("rt::Vec<{el}>"),
                    CollectionKind::Map => format!("rt::Map<rt::String, {el}>"),
                }
            }
            TypeRef::Union { .. } => self.union(m, t, used)?,
            // Intersections are rare (4 in aws-cdk-lib) and have no Rust counterpart.
            TypeRef::Intersection { .. } => "rt::Value".into(),
        })
    }

    /// The parameter type of an argument (borrowed where that saves the caller a clone).
    fn param(&mut self, m: usize, p: &Parameter, used: &mut Used) -> Option<String> {
        if p.variadic {
            let el = self.owned(m, &p.type_ref, used)?;
            return Some(format!("&[{el}]"));
        }
        let base = match &p.type_ref {
            TypeRef::Primitive {
                primitive: Primitive::String,
            } => "&str".to_string(),
            TypeRef::Primitive {
                primitive: Primitive::Number,
            } => "f64".into(),
            TypeRef::Primitive {
                primitive: Primitive::Boolean,
            } => "bool".into(),
            TypeRef::Named { fqn } => {
                let info = self.info(fqn)?;
                used.insert(info.module);
                let path = self.path_of(info);
                match info.kind {
                    Kind::Class | Kind::Interface => format!("&dyn rt::IsA<{path}>"),
                    Kind::Struct => format!("&{path}"),
                    Kind::Enum => path,
                }
            }
            TypeRef::Collection { collection } => {
                let el = self.owned(m, &collection.elementtype, used)?;
                match collection.kind {
                    CollectionKind::Array => format!("&[{el}]"),
                    CollectionKind::Map => format!("&rt::Map<rt::String, {el}>"),
                }
            }
            TypeRef::Union { .. } => {
                let u = self.union(m, &p.type_ref, used)?;
                if p.optional {
                    u
                } else {
                    format!("impl Into<{u}>")
                }
            }
            other => format!("&{}", self.owned(m, other, used)?),
        };
        Some(if p.optional {
            format!("rt::Option<{base}>")
        } else {
            base
        })
    }

    /// The union enum for `t`, registered in module `m` on first use.
    fn union(&mut self, m: usize, t: &TypeRef, used: &mut Used) -> Option<String> {
        let TypeRef::Union { union } = t else {
            return None;
        };
        let key = t.clone();
        if let Some(def) = self.unions[m].get(&key) {
            let name = def.name.clone();
            for (_, member, _, _) in def.variants.clone() {
                self.owned(m, &member, used)?;
            }
            return Some(name);
        }
        // Render the members first (registers nested unions, records used modules).
        let mut variants = Vec::new();
        let mut names = BTreeSet::new();
        for member in &union.types {
            let mut member_used = Used::new();
            let mut ty = self.owned(m, member, &mut member_used)?;
            used.extend(member_used.iter().copied());
            if self.is_struct(member) {
                ty = format!("rt::Box<{ty}>");
            }
            let mut v = self.variant_name(member);
            while !names.insert(v.clone()) {
                v.push('_');
            }
            variants.push((v, member.clone(), ty, self.gate(m, &member_used)));
        }
        if let Some(def) = self.unions[m].get(&key) {
            return Some(def.name.clone());
        }
        let mut name: String = variants
            .iter()
            .map(|(v, _, _, _)| v.as_str())
            .collect::<Vec<_>>()
            .join("Or");
        if name.len() > 80 {
            name = format!("{}OrMore{}", variants[0].0, self.unions[m].len());
        }
        let clash = |n: &String| {
            self.modules[m]
                .types
                .iter()
                .any(|f| self.types.get(f.as_str()).is_some_and(|i| &i.name == n))
        };
        while clash(&name) || self.union_names[m].contains(&name) {
            name.push_str("Union");
        }
        self.union_names[m].insert(name.clone());
        self.unions[m].insert(
            key,
            UnionDef {
                name: name.clone(),
                variants,
            },
        );
        Some(name)
    }

    fn variant_name(&self, t: &TypeRef) -> String {
        match t {
            TypeRef::Primitive { primitive } => match primitive {
                Primitive::String => "String",
                Primitive::Number => "Number",
                Primitive::Boolean => "Bool",
                Primitive::Date => "Date",
                Primitive::Json => "Json",
                Primitive::Any => "Any",
            }
            .to_string(),
            TypeRef::Named { fqn } => self.info(fqn).map(|i| i.name.clone()).unwrap_or_default(),
            TypeRef::Collection { collection } => {
                let el = self.variant_name(&collection.elementtype);
                match collection.kind {
                    CollectionKind::Array => format!("{el}List"),
                    CollectionKind::Map => format!("{el}Map"),
                }
            }
            TypeRef::Union { union } => union
                .types
                .iter()
                .map(|x| self.variant_name(x))
                .collect::<Vec<_>>()
                .join("Or"),
            TypeRef::Intersection { .. } => "Intersection".into(),
        }
    }

    fn is_struct(&self, t: &TypeRef) -> bool {
        matches!(t, TypeRef::Named { fqn } if self.info(fqn).is_some_and(|i| i.kind == Kind::Struct))
    }

    // ---------------------------------------------------------------- emission

    pub(crate) fn emit_all(mut self) -> Result<(BTreeMap<String, String>, Vec<String>), Error> {
        let mut files = BTreeMap::new();
        for m in 0..self.modules.len() {
            if !self.included[m] {
                continue;
            }
            let body = self.emit_module(m);
            let file = if self.modules[m].path.is_empty() {
                files.insert("src/lib.rs".to_string(), self.lib_rs(m));
                "src/root.rs".to_string()
            } else {
                format!(
                    "src/{}.rs",
                    self.modules[m]
                        .path
                        .iter()
                        .map(|p| p.trim_start_matches("r#"))
                        .collect::<Vec<_>>()
                        .join("/")
                )
            };
            files.insert(file, body);
        }
        files.insert("Cargo.toml".into(), self.cargo_toml());
        files.insert("src/runtime.rs".into(), crate::SUPPORT.to_string());
        Ok((files, self.skipped))
    }

    fn cargo_toml(&self) -> String {
        let o = self.opts;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Generated by jsii-bindgen from {}; do not edit.",
            o.source_note
        );
        let _ = writeln!(
            s,
            "[package]\nname = \"{}\"\nversion = \"{}\"",
            o.crate_name, o.crate_version
        );
        s.push_str("edition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true\n");
        let _ = writeln!(
            s,
            "description = \"Typed Rust bindings of the jsii assemblies {}, generated by jsii-bindgen\"",
            o.source_note
        );
        s.push_str("\n[lib]\ndoctest = false\n\n[dependencies]\n");
        for d in &o.dependencies {
            let _ = writeln!(s, "{d}");
        }
        let defaults: Vec<String> = o
            .default_features
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect();
        let _ = writeln!(s, "\n[features]\ndefault = [{}]", defaults.join(", "));
        let mut all = Vec::new();
        for (i, m) in self.modules.iter().enumerate() {
            let Some(f) = m.feature.as_ref().filter(|_| self.included[i]) else {
                continue;
            };
            all.push(f.clone());
            let deps: Vec<String> = self.hard[i]
                .iter()
                .filter_map(|&d| self.modules[d].feature.as_ref())
                .map(|f| format!("\"{f}\""))
                .collect();
            let _ = writeln!(s, "{f} = [{}]", deps.join(", "));
        }
        let list: Vec<String> = all.iter().map(|f| format!("\"{f}\"")).collect();
        let _ = writeln!(s, "full = [{}]", list.join(", "));
        s
    }

    fn children(&self, m: usize) -> Vec<usize> {
        let depth = self.modules[m].path.len();
        (0..self.modules.len())
            .filter(|&c| {
                let p = &self.modules[c].path;
                self.included[c] && p.len() == depth + 1 && p[..depth] == self.modules[m].path[..]
            })
            .collect()
    }

    /// The crate root: attributes, module declarations and the prelude, written the way
    /// rustfmt would (the crate root cannot be `rustfmt::skip`ped); the root module's types
    /// are in `root.rs` and re-exported.
    fn lib_rs(&self, root: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "//! Typed bindings of {} (generated by jsii-bindgen; do not edit).",
            self.opts.source_note
        );
        out.push_str(
            "//!
//! Types of the library's root module are at the crate root, each submodule is a module behind
//! the cargo feature of the same name. `use <crate>::prelude::*` brings every member into scope.

",
        );
        out.push_str(crate::ROOT_ATTRS);
        let _ = writeln!(
            out,
            "\n/// The jsii assembly the kernel loads (with its dependencies) before the first call.\npub const JSII_ASSEMBLY: &str = \"{}\";\n",
            self.modules[root].key
        );
        out.push_str(
            "#[rustfmt::skip]\npub mod runtime;\n#[rustfmt::skip]\nmod root;\npub use root::*;\n",
        );
        let children = self.children(root);
        for &c in &children {
            let child = &self.modules[c];
            if let Some(f) = &child.feature {
                let _ = writeln!(out, "#[cfg(feature = \"{f}\")]");
            }
            let _ = writeln!(out, "#[rustfmt::skip]\npub mod {};", child.path[0]);
        }
        out.push_str(
            "\n/// Every extension trait of the generated modules, to glob-import.\npub mod prelude {\n",
        );
        // In rustfmt's order (it sorts the `use` items of a block by path).
        let mut uses: Vec<(String, String)> = vec![("root".into(), String::new())];
        for &c in &children {
            let child = &self.modules[c];
            let gate = child
                .feature
                .as_ref()
                .map(|f| format!("    #[cfg(feature = \"{f}\")]\n"))
                .unwrap_or_default();
            uses.push((child.path[0].clone(), gate));
        }
        uses.sort();
        for (name, gate) in uses {
            let _ = writeln!(out, "{gate}    pub use crate::{name}::prelude::*;");
        }
        out.push_str("}\n");
        out
    }

    fn emit_module(&mut self, m: usize) -> String {
        let mut out = String::new();
        let is_root = self.modules[m].path.is_empty();
        let what = if is_root {
            "The root module of"
        } else {
            "Module"
        };
        let _ = writeln!(
            out,
            "//! {what} `{}` (generated by jsii-bindgen; do not edit).",
            self.modules[m].key
        );
        out.push_str("#[allow(unused_imports)]\nuse crate::runtime as rt;\n\n");
        // Child module declarations.
        let depth = self.modules[m].path.len();
        // The crate root's children are declared in lib.rs (see `lib_rs`).
        let children = if is_root { vec![] } else { self.children(m) };
        for &c in &children {
            let child = &self.modules[c];
            if let Some(f) = &child.feature {
                let _ = writeln!(out, "#[cfg(feature = \"{f}\")]");
            }
            let _ = writeln!(out, "#[rustfmt::skip]\npub mod {};", child.path[depth]);
        }
        if !children.is_empty() {
            out.push('\n');
        }
        let fqns = self.modules[m].types.clone();
        let mut exts = Vec::new();
        for fqn in &fqns {
            let Some(info) = self.info(fqn) else { continue };
            let (ty, name, kind) = (info.ty, info.name.clone(), info.kind);
            match (ty, kind) {
                (Type::Enum(e), _) => self.emit_enum(&mut out, e, &name),
                (Type::Interface(i), Kind::Struct) => self.emit_struct(&mut out, m, i, &name),
                (Type::Interface(i), _) => {
                    self.emit_handle(&mut out, m, fqn, &name, &i.docs, None);
                    self.emit_ext(&mut out, m, &name, &i.methods, &i.properties, false);
                    self.emit_host_trait(&mut out, m, fqn, &name, i);
                    exts.push(name.clone());
                }
                (Type::Class(c), _) => {
                    self.emit_handle(&mut out, m, fqn, &name, &c.docs, Some(c));
                    self.emit_ext(&mut out, m, &name, &c.methods, &c.properties, true);
                    self.emit_overrides(&mut out, m, &name, c);
                    exts.push(name.clone());
                }
            }
        }
        let unions = std::mem::take(&mut self.unions[m]);
        for def in unions.values() {
            self.emit_union(&mut out, def);
        }
        // The prelude brings every extension trait into scope without naming it.
        out.push_str(
            "/// Every extension trait of this module, to glob-import.\npub mod prelude {\n",
        );
        for e in &exts {
            let _ = writeln!(out, "    pub use super::{e}Ext as _;");
        }
        for &c in &children {
            let child = &self.modules[c];
            if let Some(f) = &child.feature {
                let _ = writeln!(out, "    #[cfg(feature = \"{f}\")]");
            }
            let _ = writeln!(out, "    pub use super::{}::prelude::*;", child.path[depth]);
        }
        out.push_str("}\n");
        out
    }

    fn emit_enum(&self, out: &mut String, e: &EnumType, name: &str) {
        docs(out, "", &e.docs);
        let _ = writeln!(
            out,
            "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum {name} {{"
        );
        let mut seen = BTreeSet::new();
        let mut variants = Vec::new();
        for mem in &e.members {
            let mut v = camel(&mem.name);
            while !seen.insert(v.clone()) {
                v.push('_');
            }
            docs(out, "    ", &mem.docs);
            if v.ends_with('_') {
                out.push_str("    #[allow(non_camel_case_types)]\n");
            }
            let _ = writeln!(out, "    {v},");
            variants.push((v, mem.name.clone()));
        }
        out.push_str("}\n");
        let _ = writeln!(
            out,
            "impl {name} {{\n    /// The jsii fully qualified name.\n    pub const FQN: &'static str = \"{}\";\n    /// The member's name in the library.\n    pub fn jsii_name(self) -> &'static str {{\n        match self {{",
            e.fqn
        );
        for (v, n) in &variants {
            let _ = writeln!(out, "            Self::{v} => \"{n}\",");
        }
        out.push_str("        }\n    }\n}\n");
        let _ = writeln!(
            out,
            "impl rt::ToWire for {name} {{\n    fn to_wire(&self) -> rt::Value {{\n        rt::wire_enum(Self::FQN, self.jsii_name())\n    }}\n}}"
        );
        let _ = writeln!(
            out,
            "impl rt::FromWire for {name} {{\n    fn from_wire(v: rt::Value) -> rt::R<Self> {{\n        match rt::enum_member(&v, Self::FQN)? {{"
        );
        for (v, n) in &variants {
            let _ = writeln!(out, "            \"{n}\" => Ok(Self::{v}),");
        }
        out.push_str("            other => Err(rt::unknown_enum_member(Self::FQN, other)),\n        }\n    }\n}\n\n");
    }

    /// All properties of a struct, its own first, then inherited ones (flattened, as Go does).
    fn struct_props(&self, i: &'a InterfaceType) -> Vec<&'a Property> {
        let mut out: Vec<&Property> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut queue = vec![i];
        let mut visited = BTreeSet::new();
        while let Some(cur) = queue.first().copied() {
            queue.remove(0);
            if !visited.insert(cur.fqn.clone()) {
                continue;
            }
            for p in &cur.properties {
                if seen.insert(p.name.clone()) {
                    out.push(p);
                }
            }
            for parent in &cur.interfaces {
                if let Some(TypeInfo {
                    ty: Type::Interface(pi),
                    ..
                }) = self.types.get(parent.as_str())
                {
                    queue.push(pi);
                }
            }
        }
        out
    }

    /// Whether struct `from` can reach struct `to` through fields held by value.
    fn reaches(&self, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
        if from == to {
            return true;
        }
        if !seen.insert(from.to_string()) {
            return false;
        }
        let Some(TypeInfo {
            ty: Type::Interface(i),
            kind: Kind::Struct,
            ..
        }) = self.types.get(from)
        else {
            return false;
        };
        let props = self.struct_props(i);
        props.iter().any(|p| match &p.type_ref {
            TypeRef::Named { fqn } => self.reaches(fqn, to, seen),
            _ => false,
        })
    }

    fn emit_struct(&mut self, out: &mut String, m: usize, i: &'a InterfaceType, name: &str) {
        let props = self.struct_props(i);
        let mut fields = Vec::new();
        let mut taken = BTreeSet::new();
        for p in props {
            let mut used = Used::new();
            let Some(mut ty) = self.owned(m, &p.type_ref, &mut used) else {
                self.skipped.push(format!("{}.{}", i.fqn, p.name));
                continue;
            };
            if let TypeRef::Named { fqn } = &p.type_ref
                && self.is_struct(&p.type_ref)
                && self.reaches(fqn, &i.fqn, &mut BTreeSet::new())
            {
                ty = format!("rt::Box<{ty}>");
            }
            let mut field = snake(&p.name);
            while !taken.insert(field.clone()) {
                field.push('_');
            }
            fields.push((field, p, ty, self.gate(m, &used)));
        }
        docs(out, "", &i.docs);
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug, Default, PartialEq)]\npub struct {name} {{"
        );
        for (field, p, ty, gate) in &fields {
            let mut d = p.docs.clone();
            if !p.optional {
                d.summary = Some(format!("Required. {}", d.summary.unwrap_or_default()));
            }
            docs(out, "    ", &d);
            let _ = write!(out, "{}", indent(gate, "    "));
            let _ = writeln!(out, "    pub {field}: rt::Option<{ty}>,");
        }
        out.push_str("}\n");
        let _ = writeln!(
            out,
            "impl {name} {{\n    /// The jsii fully qualified name.\n    pub const FQN: &'static str = \"{}\";\n}}",
            i.fqn
        );
        let _ = writeln!(
            out,
            "impl rt::ToWire for {name} {{\n    fn to_wire(&self) -> rt::Value {{\n        #[allow(unused_mut)]\n        let mut data = rt::JsonMap::new();"
        );
        for (field, p, _, gate) in &fields {
            let _ = write!(out, "{}", indent(gate, "        "));
            let _ = writeln!(
                out,
                "        rt::put(&mut data, \"{}\", &self.{field});",
                p.name
            );
        }
        out.push_str("        rt::wire_struct(Self::FQN, data)\n    }\n}\n");
        let _ = writeln!(
            out,
            "impl rt::FromWire for {name} {{\n    fn from_wire(v: rt::Value) -> rt::R<Self> {{\n        #[allow(unused_variables)]\n        let src = rt::StructSource::new(v)?;\n        Ok(Self {{"
        );
        for (field, p, _, gate) in &fields {
            let _ = write!(out, "{}", indent(gate, "            "));
            let _ = writeln!(out, "            {field}: src.field(\"{}\")?,", p.name);
        }
        out.push_str("        })\n    }\n}\n\n");
    }

    fn emit_handle(
        &mut self,
        out: &mut String,
        m: usize,
        fqn: &str,
        name: &str,
        d: &Docs,
        class: Option<&'a ClassType>,
    ) {
        docs(out, "", d);
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug, PartialEq, Eq, Hash)]\npub struct {name}(rt::ObjRef);\nrt::handle!({name}, \"{fqn}\");"
        );
        for anc in self.ancestors(fqn) {
            if let Some(a) = self.info(&anc) {
                let _ = writeln!(out, "impl rt::IsA<{}> for {name} {{}}", self.path_of(a));
            }
        }
        let Some(c) = class else {
            out.push('\n');
            return;
        };
        let mut body = String::new();
        let mut taken: BTreeSet<String> = ["new".to_string(), "new_subclass".to_string()].into();
        if let (Some(init), false) = (&c.initializer, c.is_abstract)
            && !init.protected
            && let Some((sig, args, gate)) = self.signature(m, &init.parameters)
        {
            let pin = self
                .ancestors(fqn)
                .iter()
                .any(|a| a == "constructs.IConstruct");
            docs(&mut body, "    ", &init.docs);
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    pub fn new({sig}) -> rt::R<Self> {{\n        rt::create(Self::FQN, {args}, {pin}).map(Self)\n    }}"
            );
        }
        for meth in c.methods.iter().filter(|x| x.is_static && !x.protected) {
            if meth.is_async {
                self.skipped.push(format!("{fqn}.{} (async)", meth.name));
                continue;
            }
            let Some((sig, args, ret, conv, gate)) = self.method_parts(m, meth) else {
                self.skipped.push(format!("{fqn}.{}", meth.name));
                continue;
            };
            let fname = unique(&mut taken, snake(&meth.name));
            method_docs(&mut body, &meth.docs, &meth.parameters);
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    pub fn {fname}({sig}) -> rt::R<{ret}> {{\n        {conv}rt::sinvoke(Self::FQN, \"{}\", {args})?)\n    }}",
                meth.name
            );
        }
        for p in c.properties.iter().filter(|x| x.is_static && !x.protected) {
            let mut used = Used::new();
            let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                self.skipped.push(format!("{fqn}.{}", p.name));
                continue;
            };
            let ty = if p.optional {
                format!("rt::Option<{ty}>")
            } else {
                ty
            };
            let gate = self.gate(m, &used);
            let fname = unique(&mut taken, snake(&p.name));
            docs(&mut body, "    ", &p.docs);
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    pub fn {fname}() -> rt::R<{ty}> {{\n        rt::from_wire(rt::sget(Self::FQN, \"{}\")?)\n    }}",
                p.name
            );
            if !p.immutable {
                let sname = unique(&mut taken, format!("set_{}", setter_stem(&snake(&p.name))));
                let _ = write!(body, "{}", indent(&gate, "    "));
                let _ = writeln!(
                    body,
                    "    /// Sets [`Self::{fname}`].\n    pub fn {sname}(value: {ty}) -> rt::R<()> {{\n        rt::sset(Self::FQN, \"{}\", rt::to_wire(&value))\n    }}",
                    p.name
                );
            }
        }
        if !body.is_empty() {
            let _ = writeln!(out, "impl {name} {{\n{body}}}");
        }
        out.push('\n');
    }

    /// `(signature, args expression, gate)` for a parameter list.
    fn signature(&mut self, m: usize, params: &[Parameter]) -> Option<(String, String, String)> {
        let mut used = Used::new();
        let mut sig = Vec::new();
        let mut names = Vec::new();
        let mut taken = BTreeSet::new();
        let mut variadic = None;
        for p in params {
            let ty = self.param(m, p, &mut used)?;
            let n = unique(&mut taken, snake(&p.name));
            sig.push(format!("{n}: {ty}"));
            if p.variadic {
                variadic = Some(n);
            } else if matches!(p.type_ref, TypeRef::Union { .. }) && !p.optional {
                names.push(format!("rt::to_wire(&{n}.into())"));
            } else {
                names.push(format!("rt::to_wire(&{n})"));
            }
        }
        let args = match variadic {
            Some(v) => format!("rt::args_variadic(vec![{}], {v})", names.join(", ")),
            None if names.is_empty() => "vec![]".to_string(),
            None => format!("vec![{}]", names.join(", ")),
        };
        Some((sig.join(", "), args, self.gate(m, &used)))
    }

    /// `(signature, args, return type, conversion prefix, gate)` of a method.
    fn method_parts(
        &mut self,
        m: usize,
        meth: &Method,
    ) -> Option<(String, String, String, String, String)> {
        let (sig, args, _) = self.signature(m, &meth.parameters)?;
        let mut used = Used::new();
        for p in &meth.parameters {
            self.param(m, p, &mut used)?;
        }
        let (ret, conv) = match &meth.returns {
            None => ("()".to_string(), "rt::void(".to_string()),
            Some(r) => {
                let ty = self.owned(m, &r.type_ref, &mut used)?;
                (
                    if r.optional {
                        format!("rt::Option<{ty}>")
                    } else {
                        ty
                    },
                    "rt::from_wire(".to_string(),
                )
            }
        };
        let gate = self.gate(m, &used);
        Some((sig, args, ret, conv, gate))
    }

    fn emit_ext(
        &mut self,
        out: &mut String,
        m: usize,
        name: &str,
        methods: &[Method],
        props: &[Property],
        _class: bool,
    ) {
        let mut body = String::new();
        let mut taken = BTreeSet::new();
        for p in props
            .iter()
            .filter(|p| !p.is_static && p.overrides.is_none())
        {
            let mut used = Used::new();
            let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                self.skipped.push(format!("{name}.{}", p.name));
                continue;
            };
            let ty = if p.optional {
                format!("rt::Option<{ty}>")
            } else {
                ty
            };
            let gate = self.gate(m, &used);
            let fname = unique(&mut taken, snake(&p.name));
            docs(&mut body, "    ", &protected_note(&p.docs, p.protected));
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    fn {fname}(&self) -> rt::R<{ty}> {{\n        rt::from_wire(rt::get(self.jsii_ref(), \"{}\")?)\n    }}",
                p.name
            );
            if !p.immutable {
                let sname = unique(&mut taken, format!("set_{}", setter_stem(&fname)));
                let _ = write!(body, "{}", indent(&gate, "    "));
                let _ = writeln!(
                    body,
                    "    /// Sets `{}`.\n    fn {sname}(&self, value: {ty}) -> rt::R<()> {{\n        rt::set(self.jsii_ref(), \"{}\", rt::to_wire(&value))\n    }}",
                    p.name, p.name
                );
            }
        }
        for meth in methods
            .iter()
            .filter(|x| !x.is_static && x.overrides.is_none())
        {
            let Some((sig, args, ret, conv, gate)) = self.method_parts(m, meth) else {
                self.skipped.push(format!("{name}.{}", meth.name));
                continue;
            };
            let fname = unique(&mut taken, snake(&meth.name));
            let mut d = protected_note(&meth.docs, meth.protected);
            // Async methods run to completion (kernel `begin` + `end`) before returning.
            let call = if meth.is_async {
                let note =
                    "Asynchronous in the library: this call blocks until the promise settles.";
                d.remarks = Some(match d.remarks.take() {
                    Some(r) => format!("{r}\n\n{note}"),
                    None => note.to_string(),
                });
                "rt::invoke_async"
            } else {
                "rt::invoke"
            };
            method_docs(&mut body, &d, &meth.parameters);
            let _ = write!(body, "{}", indent(&gate, "    "));
            let sep = if sig.is_empty() { "" } else { ", " };
            let _ = writeln!(
                body,
                "    fn {fname}(&self{sep}{sig}) -> rt::R<{ret}> {{\n        {conv}{call}(self.jsii_ref(), \"{}\", {args})?)\n    }}",
                meth.name
            );
        }
        let _ = writeln!(
            out,
            "/// The members of [`{name}`], for it and every type that is one.\npub trait {name}Ext: rt::IsA<{name}> {{\n{body}}}\nimpl<O: rt::IsA<{name}> + ?Sized> {name}Ext for O {{}}\n"
        );
    }

    /// A trait Rust types implement to be used as this interface (callbacks from the kernel).
    fn emit_host_trait(
        &mut self,
        out: &mut String,
        m: usize,
        fqn: &str,
        name: &str,
        i: &'a InterfaceType,
    ) {
        // Members of the interface and all its super-interfaces, each once.
        let mut all: Vec<&'a InterfaceType> = vec![i];
        for anc in self.ancestors(fqn) {
            if let Some(TypeInfo {
                ty: Type::Interface(a),
                ..
            }) = self.types.get(anc.as_str())
            {
                all.push(a);
            }
        }
        let mut seen = BTreeSet::new();
        let mut trait_body = String::new();
        let mut invoke_arms = String::new();
        let mut get_arms = String::new();
        let mut set_arms = String::new();
        let mut overrides_m = Vec::new();
        let mut overrides_p = Vec::new();
        let mut taken = BTreeSet::new();
        for iface in all {
            for p in &iface.properties {
                if !seen.insert(p.name.clone()) {
                    continue;
                }
                let mut used = Used::new();
                let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                    return;
                };
                let ty = if p.optional {
                    format!("rt::Option<{ty}>")
                } else {
                    ty
                };
                let gate = self.gate(m, &used);
                let fname = unique(&mut taken, snake(&p.name));
                docs(&mut trait_body, "    ", &p.docs);
                let _ = write!(trait_body, "{}", indent(&gate, "    "));
                let _ = writeln!(trait_body, "    fn {fname}(&self) -> rt::R<{ty}>;");
                let _ = write!(get_arms, "{}", indent(&gate, "            "));
                let _ = writeln!(
                    get_arms,
                    "            \"{}\" => Ok(rt::to_wire(&self.0.{fname}()?)),",
                    p.name
                );
                overrides_p.push((p.name.clone(), gate.clone()));
                if !p.immutable {
                    let sname = unique(&mut taken, format!("set_{}", setter_stem(&fname)));
                    let _ = write!(trait_body, "{}", indent(&gate, "    "));
                    let _ = writeln!(
                        trait_body,
                        "    /// Sets `{}`; read-only unless implemented.\n    fn {sname}(&self, value: {ty}) -> rt::R<()> {{\n        let _ = value;\n        Err(rt::read_only(\"{}\"))\n    }}",
                        p.name, p.name
                    );
                    let _ = write!(set_arms, "{}", indent(&gate, "            "));
                    let _ = writeln!(
                        set_arms,
                        "            \"{}\" => self.0.{sname}(rt::from_wire(value)?),",
                        p.name
                    );
                }
            }
            for meth in &iface.methods {
                if !seen.insert(meth.name.clone()) {
                    continue;
                }
                if meth.is_async {
                    return;
                }
                let mut used = Used::new();
                let mut sig = Vec::new();
                let mut call = Vec::new();
                let mut ptaken = BTreeSet::new();
                for p in &meth.parameters {
                    let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                        return;
                    };
                    let ty = if p.variadic {
                        format!("rt::Vec<{ty}>")
                    } else if p.optional {
                        format!("rt::Option<{ty}>")
                    } else {
                        ty
                    };
                    let n = unique(&mut ptaken, snake(&p.name));
                    sig.push(format!("{n}: {ty}"));
                    call.push(if p.variadic {
                        "args.rest()?".to_string()
                    } else {
                        "args.next()?".to_string()
                    });
                }
                let ret = match &meth.returns {
                    None => "()".to_string(),
                    Some(r) => {
                        let Some(ty) = self.owned(m, &r.type_ref, &mut used) else {
                            return;
                        };
                        if r.optional {
                            format!("rt::Option<{ty}>")
                        } else {
                            ty
                        }
                    }
                };
                let gate = self.gate(m, &used);
                let fname = unique(&mut taken, snake(&meth.name));
                method_docs(&mut trait_body, &meth.docs, &meth.parameters);
                let _ = write!(trait_body, "{}", indent(&gate, "    "));
                let sep = if sig.is_empty() { "" } else { ", " };
                let _ = writeln!(
                    trait_body,
                    "    fn {fname}(&self{sep}{}) -> rt::R<{ret}>;",
                    sig.join(", ")
                );
                let _ = write!(invoke_arms, "{}", indent(&gate, "            "));
                let _ = writeln!(
                    invoke_arms,
                    "            \"{}\" => Ok(rt::to_wire(&self.0.{fname}({})?)),",
                    meth.name,
                    call.join(", ")
                );
                overrides_m.push((meth.name.clone(), gate));
            }
        }
        let _ = writeln!(
            out,
            "/// Implement this to make a Rust value usable as [`{name}`]: see [`{name}::from_impl`].\npub trait {name}Impl: Send + Sync + 'static {{\n{trait_body}}}"
        );
        let _ = writeln!(
            out,
            "impl {name} {{\n    /// A [`{name}`] whose members run in this process: the kernel calls back into `imp`.\n    pub fn from_impl<T: {name}Impl>(imp: T) -> rt::R<Self> {{\n        #[allow(unused_mut)]\n        let mut methods: rt::Vec<&'static str> = rt::Vec::new();\n        #[allow(unused_mut)]\n        let mut properties: rt::Vec<&'static str> = rt::Vec::new();"
        );
        for (n, gate) in &overrides_m {
            let _ = write!(out, "{}", indent(gate, "        "));
            let _ = writeln!(out, "        methods.push(\"{n}\");");
        }
        for (n, gate) in &overrides_p {
            let _ = write!(out, "{}", indent(gate, "        "));
            let _ = writeln!(out, "        properties.push(\"{n}\");");
        }
        let _ = writeln!(
            out,
            "        rt::host_object(Self::FQN, &methods, &properties, {name}Host(imp)).map(Self)\n    }}\n}}"
        );
        let _ = writeln!(
            out,
            "struct {name}Host<T>(T);\nimpl<T: {name}Impl> rt::HostObject for {name}Host<T> {{"
        );
        let _ = writeln!(
            out,
            "    fn invoke(&self, method: &str, args: rt::Vec<rt::Value>) -> rt::R<rt::Value> {{\n        #[allow(unused_mut, unused_variables)]\n        let mut args = rt::Args::new(args);\n        match method {{\n{invoke_arms}            _ => Err(rt::no_such_member(Self::FQN, method)),\n        }}\n    }}"
        );
        let _ = writeln!(
            out,
            "    fn get(&self, property: &str) -> rt::R<rt::Value> {{\n        match property {{\n{get_arms}            _ => Err(rt::no_such_member(Self::FQN, property)),\n        }}\n    }}"
        );
        let _ = writeln!(
            out,
            "    #[allow(unused_variables)]\n    fn set(&self, property: &str, value: rt::Value) -> rt::R<()> {{\n        match property {{\n{set_arms}            _ => Err(rt::no_such_member(Self::FQN, property)),\n        }}\n    }}\n}}"
        );
        let _ = writeln!(
            out,
            "impl<T> {name}Host<T> {{\n    const FQN: &'static str = \"{fqn}\";\n}}\n"
        );
    }

    /// The generated base class of `c` (its `...Overrides` trait is the supertrait).
    fn base_class(&self, c: &ClassType) -> Option<(&'a ClassType, String)> {
        let base = c.base.as_ref()?;
        match self.info(base)? {
            TypeInfo {
                ty: Type::Class(b), ..
            } => Some((b, self.path_of(self.info(base)?))),
            _ => None,
        }
    }

    /// `(jsii name, Rust name)` of the members left abstract in `c` (declared abstract in it or
    /// a base class and implemented by no class in between): a subclass must override them.
    fn abstract_members(&self, c: &'a ClassType) -> Vec<(String, String)> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut cur = Some(c);
        while let Some(k) = cur {
            let members = k
                .properties
                .iter()
                .filter(|p| !p.is_static)
                .map(|p| (&p.name, p.is_abstract))
                .chain(
                    k.methods
                        .iter()
                        .filter(|x| !x.is_static)
                        .map(|x| (&x.name, x.is_abstract)),
                );
            for (name, is_abstract) in members {
                if seen.insert(name.clone()) && is_abstract {
                    out.push((name.clone(), bare(&snake(name)).to_string()));
                }
            }
            cur = self.base_class(k).map(|(b, _)| b);
        }
        out
    }

    /// A class's `...Overrides` trait (its own overridable members, with the base class's trait
    /// as supertrait, as GObject subclassing does in gtk-rs), `new_subclass`, and the two hidden
    /// functions that map `OVERRIDES` to the kernel's override list and route callbacks.
    fn emit_overrides(&mut self, out: &mut String, m: usize, name: &str, c: &'a ClassType) {
        // Members a base class declares live in that class's trait (one method per member in
        // the whole chain, so a call in the dispatch is never ambiguous).
        let mut inherited = BTreeSet::new();
        let mut chain = self.base_class(c);
        while let Some((b, _)) = chain {
            inherited.extend(
                b.properties
                    .iter()
                    .filter(|p| !p.is_static)
                    .map(|p| &p.name),
            );
            inherited.extend(b.methods.iter().filter(|x| !x.is_static).map(|x| &x.name));
            chain = self.base_class(b);
        }
        let base = self.base_class(c).map(|(_, path)| path);
        let tr = format!("{name}Overrides");
        let mut body = String::new();
        let mut dispatch = String::new();
        let mut names = String::new();
        let mut taken = BTreeSet::new();
        for p in c
            .properties
            .iter()
            .filter(|p| !p.is_static && !inherited.contains(&p.name))
        {
            let mut used = Used::new();
            let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                continue;
            };
            let ty = if p.optional {
                format!("rt::Option<{ty}>")
            } else {
                ty
            };
            let gate = self.gate(m, &used);
            let fname = unique(&mut taken, snake(&p.name));
            let pn = &p.name;
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    /// Reads `{pn}`; by default the library's implementation (`super`).\n    fn {fname}(&self, this: &{name}) -> rt::R<{ty}> {{\n        rt::from_wire(rt::get(&this.0, \"{pn}\")?)\n    }}"
            );
            let _ = write!(dispatch, "{}", indent(&gate, "            "));
            let _ = writeln!(
                dispatch,
                "            rt::Call::Get(\"{pn}\") => Ok(rt::to_wire(&<T as {tr}>::{fname}(imp, &Self(this.clone()))?)),"
            );
            let mut listed = format!("\"{}\"", bare(&fname));
            if !p.immutable {
                let sname = unique(&mut taken, format!("set_{}", setter_stem(&fname)));
                let _ = write!(body, "{}", indent(&gate, "    "));
                let _ = writeln!(
                    body,
                    "    /// Writes `{pn}`; by default the library's implementation (`super`).\n    fn {sname}(&self, this: &{name}, value: {ty}) -> rt::R<()> {{\n        rt::set(&this.0, \"{pn}\", rt::to_wire(&value))\n    }}"
                );
                let _ = write!(dispatch, "{}", indent(&gate, "            "));
                let _ = writeln!(
                    dispatch,
                    "            rt::Call::Set(\"{pn}\", value) => {{\n                <T as {tr}>::{sname}(imp, &Self(this.clone()), rt::from_wire(value)?)?;\n                Ok(rt::Value::Null)\n            }}"
                );
                let _ = write!(listed, " | \"{}\"", bare(&sname));
            }
            let _ = write!(names, "{}", indent(&gate, "                "));
            let _ = writeln!(
                names,
                "                {listed} => rt::Override::property(\"{pn}\"),"
            );
        }
        for meth in c
            .methods
            .iter()
            .filter(|x| !x.is_static && !inherited.contains(&x.name))
        {
            let mut used = Used::new();
            let mut sig = Vec::new();
            let mut decode = Vec::new();
            let mut wire = Vec::new();
            let mut rest = None;
            let mut ptaken: BTreeSet<String> = ["this".to_string()].into();
            let mut ok = true;
            for p in &meth.parameters {
                let Some(ty) = self.owned(m, &p.type_ref, &mut used) else {
                    ok = false;
                    break;
                };
                let ty = if p.variadic {
                    format!("rt::Vec<{ty}>")
                } else if p.optional {
                    format!("rt::Option<{ty}>")
                } else {
                    ty
                };
                let n = unique(&mut ptaken, snake(&p.name));
                sig.push(format!(", {n}: {ty}"));
                if p.variadic {
                    decode.push(", args.rest()?".to_string());
                    rest = Some(n);
                } else {
                    decode.push(", args.next()?".to_string());
                    wire.push(format!("rt::to_wire(&{n})"));
                }
            }
            let ret = match (&meth.returns, ok) {
                (_, false) => None,
                (None, true) => Some("()".to_string()),
                (Some(r), true) => self.owned(m, &r.type_ref, &mut used).map(|ty| {
                    if r.optional {
                        format!("rt::Option<{ty}>")
                    } else {
                        ty
                    }
                }),
            };
            let Some(ret) = ret else {
                continue;
            };
            let args = match rest {
                Some(v) => format!("rt::args_variadic(vec![{}], &{v})", wire.join(", ")),
                None if wire.is_empty() => "vec![]".to_string(),
                None => format!("vec![{}]", wire.join(", ")),
            };
            let conv = if meth.returns.is_some() {
                "rt::from_wire("
            } else {
                "rt::void("
            };
            let (call, what) = if meth.is_async {
                ("rt::invoke_async", "an async method, called blocking")
            } else {
                (
                    "rt::invoke",
                    "by default the library's implementation (`super`)",
                )
            };
            let gate = self.gate(m, &used);
            let fname = unique(&mut taken, snake(&meth.name));
            let mn = &meth.name;
            let _ = write!(body, "{}", indent(&gate, "    "));
            let _ = writeln!(
                body,
                "    /// `{mn}`: {what}.\n    fn {fname}(&self, this: &{name}{}) -> rt::R<{ret}> {{\n        {conv}{call}(&this.0, \"{mn}\", {args})?)\n    }}",
                sig.concat()
            );
            let _ = write!(dispatch, "{}", indent(&gate, "            "));
            let _ = writeln!(
                dispatch,
                "            rt::Call::Invoke(\"{mn}\", {}) => Ok(rt::to_wire(&<T as {tr}>::{fname}(imp, &Self(this.clone()){})?)),",
                if decode.is_empty() { "_" } else { "mut args" },
                decode.concat()
            );
            let _ = write!(names, "{}", indent(&gate, "                "));
            let _ = writeln!(
                names,
                "                \"{}\" => rt::Override::method(\"{mn}\"),",
                bare(&fname)
            );
        }
        let (supertrait, inherited_doc) = match &base {
            Some(b) => (
                format!("{b}Overrides"),
                format!(
                    "\n///\n/// Inherited members are overridden through [`{b}Overrides`] (implement it too, empty if\n/// nothing there is overridden)."
                ),
            ),
            None => ("Send + Sync + 'static".to_string(), String::new()),
        };
        let _ = writeln!(
            out,
            "/// The members of [`{name}`] a Rust type can override; [`{name}::new_subclass`] makes the object.\n///\n/// Only the members listed in `OVERRIDES` are routed to Rust; the others keep the library's\n/// implementation. A default body is that implementation (`super`), and so is calling a member\n/// on `this` (a handle's members always run the library's code).{inherited_doc}\npub trait {tr}: {supertrait} {{\n    /// The overridden members, by their Rust names here (without `r#`; a property by its getter\n    /// or setter name).\n    const OVERRIDES: &'static [&'static str] = &[];\n{body}}}"
        );
        // The override list: this trait's names, then the base class's.
        let mut imp = String::new();
        let _ = writeln!(
            imp,
            "    #[doc(hidden)]\n    pub fn __jsii_overrides<T: {tr} + ?Sized>(out: &mut rt::Vec<rt::Override>) -> rt::R<()> {{"
        );
        if names.is_empty() {
            let _ = writeln!(
                imp,
                "        if let Some(name) = <T as {tr}>::OVERRIDES.first() {{\n            return Err(rt::not_overridable(Self::FQN, name));\n        }}"
            );
        } else {
            let _ = writeln!(
                imp,
                "        for name in <T as {tr}>::OVERRIDES {{\n            out.push(match *name {{\n{names}                other => return Err(rt::not_overridable(Self::FQN, other)),\n            }});\n        }}"
            );
        }
        let _ = match &base {
            Some(b) => writeln!(imp, "        {b}::__jsii_overrides::<T>(out)\n    }}"),
            None => writeln!(imp, "        let _ = out;\n        Ok(())\n    }}"),
        };
        let fallback = match &base {
            Some(b) => format!("{b}::__jsii_dispatch(imp, this, call)"),
            None => "Err(call.unknown(Self::FQN))".to_string(),
        };
        let _ = writeln!(
            imp,
            "    #[doc(hidden)]\n    #[allow(unused_variables)]\n    pub fn __jsii_dispatch<T: {tr} + ?Sized>(imp: &T, this: &rt::ObjRef, call: rt::Call<'_>) -> rt::R<rt::Value> {{\n        match call {{\n{dispatch}            call => {fallback},\n        }}\n    }}"
        );
        if let Some(init) = &c.initializer
            && let Some((sig, args, gate)) = self.signature(m, &init.parameters)
        {
            let taken_by_ctor = |n: &str| sig.split(", ").any(|p| p.starts_with(&format!("{n}:")));
            let own = if taken_by_ctor("overrides") {
                "overrides_"
            } else {
                "overrides"
            };
            let sep = if sig.is_empty() { "" } else { ", " };
            let abstracts = self.abstract_members(c);
            let check = if abstracts.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = abstracts
                    .iter()
                    .map(|(j, r)| format!("(\"{j}\", \"{r}\")"))
                    .collect();
                format!(
                    "        rt::require_overrides(Self::FQN, &members, &[{}])?;\n",
                    list.join(", ")
                )
            };
            let _ = write!(imp, "{}", indent(&gate, "    "));
            let _ = writeln!(
                imp,
                "    /// A `{name}` whose members listed in `{own}`'s `OVERRIDES` run in Rust (a subclass).\n    pub fn new_subclass<T: {tr}>({own}: T{sep}{sig}) -> rt::R<Self> {{\n        let args = {args};\n        let mut members = rt::Vec::new();\n        Self::__jsii_overrides::<T>(&mut members)?;\n{check}        rt::subclass(Self::FQN, args, members, {own}, Self::__jsii_dispatch::<T>).map(Self)\n    }}"
            );
        }
        let _ = writeln!(out, "impl {name} {{\n{imp}}}\n");
    }

    fn emit_union(&self, out: &mut String, def: &UnionDef) {
        let name = &def.name;
        let rows = &def.variants;
        let _ = writeln!(
            out,
            "/// One of the types a jsii union allows.\n#[derive(Clone, Debug, PartialEq)]\npub enum {name} {{"
        );
        for (v, _, ty, gate) in rows {
            let _ = write!(out, "{}", indent(gate, "    "));
            let _ = writeln!(out, "    {v}({ty}),");
        }
        out.push_str("}\n");
        let _ = writeln!(
            out,
            "impl rt::ToWire for {name} {{\n    fn to_wire(&self) -> rt::Value {{\n        match self {{"
        );
        for (v, _, _, gate) in rows {
            let _ = write!(out, "{}", indent(gate, "            "));
            let _ = writeln!(out, "            Self::{v}(x) => rt::to_wire(x),");
        }
        if rows.iter().any(|r| !r.3.is_empty()) {
            out.push_str(
                "            #[allow(unreachable_patterns)]\n            _ => rt::Value::Null,\n",
            );
        }
        out.push_str("        }\n    }\n}\n");
        // Decoding: the first variant whose wire shape matches the value.
        let _ = writeln!(
            out,
            "impl rt::FromWire for {name} {{\n    fn from_wire(v: rt::Value) -> rt::R<Self> {{\n        let shape = rt::shape_of(&v);"
        );
        for (v, t, _, gate) in rows {
            let shape = self.shape(t);
            let _ = write!(out, "{}", indent(gate, "        "));
            let _ = writeln!(
                out,
                "        if shape == rt::Shape::{shape} {{\n            return Ok(Self::{v}(rt::from_wire(v)?));\n        }}"
            );
        }
        let _ = writeln!(
            out,
            "        Err(rt::no_union_variant(\"{name}\", &v))\n    }}\n}}"
        );
        let mut from_done = BTreeSet::new();
        for (v, t, ty, gate) in rows {
            if !from_done.insert(ty.clone()) {
                continue;
            }
            let _ = write!(out, "{}", gate);
            if self.is_struct(t) {
                let inner = &ty["rt::Box<".len()..ty.len() - 1];
                let _ = writeln!(
                    out,
                    "impl From<{inner}> for {name} {{\n    fn from(x: {inner}) -> Self {{\n        Self::{v}(rt::Box::new(x))\n    }}\n}}"
                );
            } else {
                let _ = writeln!(
                    out,
                    "impl From<{ty}> for {name} {{\n    fn from(x: {ty}) -> Self {{\n        Self::{v}(x)\n    }}\n}}"
                );
                if ty == "rt::String" {
                    let _ = writeln!(
                        out,
                        "impl From<&str> for {name} {{\n    fn from(x: &str) -> Self {{\n        Self::{v}(x.into())\n    }}\n}}"
                    );
                }
            }
        }
        out.push('\n');
    }

    fn shape(&self, t: &TypeRef) -> &'static str {
        match t {
            TypeRef::Primitive { primitive } => match primitive {
                Primitive::String => "String",
                Primitive::Number => "Number",
                Primitive::Boolean => "Bool",
                Primitive::Date => "Date",
                Primitive::Json | Primitive::Any => "Any",
            },
            TypeRef::Named { fqn } => match self.info(fqn).map(|i| i.kind) {
                Some(Kind::Enum) => "Enum",
                Some(Kind::Struct) => "Struct",
                _ => "Object",
            },
            TypeRef::Collection { collection } => match collection.kind {
                CollectionKind::Array => "Array",
                CollectionKind::Map => "Map",
            },
            _ => "Any",
        }
    }
}

fn unique(taken: &mut BTreeSet<String>, mut name: String) -> String {
    while !taken.insert(name.clone()) {
        name.push('_');
    }
    name
}

fn indent(gate: &str, pad: &str) -> String {
    if gate.is_empty() {
        String::new()
    } else {
        format!("{pad}{gate}")
    }
}

/// A Rust module identifier for an assembly or submodule segment.
fn module_ident(seg: &str) -> String {
    let s: String = seg
        .trim_start_matches('@')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    escape(&s)
}

fn method_docs(out: &mut String, d: &Docs, params: &[Parameter]) {
    let mut d = d.clone();
    let described: Vec<String> = params
        .iter()
        .filter_map(|p| {
            p.docs
                .summary
                .as_ref()
                .map(|s| format!("- `{}`: {}", snake(&p.name), s.trim()))
        })
        .collect();
    if !described.is_empty() {
        let mut remarks = d.remarks.take().unwrap_or_default();
        if !remarks.is_empty() {
            remarks.push_str("\n\n");
        }
        remarks.push_str("# Arguments\n\n");
        remarks.push_str(&described.join("\n"));
        d.remarks = Some(remarks);
    }
    docs(out, "    ", &d);
}

/// Rustdoc from jsii docs. Code fences become `text` so rustdoc never runs TypeScript as a doctest.
pub(crate) fn docs(out: &mut String, pad: &str, d: &Docs) {
    let mut text = String::new();
    if let Some(s) = &d.summary {
        text.push_str(s.trim());
    }
    if let Some(r) = &d.remarks {
        text.push_str("\n\n");
        text.push_str(r.trim());
    }
    if let Some(def) = &d.default {
        let _ = write!(text, "\n\nDefault: {}", def.trim());
    }
    if let Some(s) = &d.stability
        && s != "stable"
    {
        let _ = write!(text, "\n\nStability: {s}.");
    }
    let text = text.trim();
    if !text.is_empty() {
        let mut in_fence = false;
        for line in text.lines() {
            let trimmed = line.trim_start();
            let line = if trimmed.starts_with("```") {
                in_fence = !in_fence;
                if in_fence {
                    "```text".to_string()
                } else {
                    "```".to_string()
                }
            } else {
                line.trim_end().to_string()
            };
            if line.is_empty() {
                let _ = writeln!(out, "{pad}///");
            } else {
                let _ = writeln!(out, "{pad}/// {line}");
            }
        }
        if in_fence {
            let _ = writeln!(out, "{pad}/// ```");
        }
    }
    if let Some(dep) = &d.deprecated {
        let _ = writeln!(out, "{pad}#[deprecated(note = {:?})]", dep.trim());
    }
}

/// `r#type` -> `type`, `self_` -> `self`: a getter's name without its escape, for `set_<name>`.
fn setter_stem(getter: &str) -> &str {
    getter.trim_start_matches("r#").trim_end_matches('_')
}

/// Docs of a protected member, which the bindings expose for overrides to call.
fn protected_note(d: &Docs, protected: bool) -> Docs {
    let mut d = d.clone();
    if protected {
        let note = "Protected in the library: meant for subclasses (see the class's `...Overrides` trait).";
        d.remarks = Some(match d.remarks.take() {
            Some(r) => format!("{r}\n\n{note}"),
            None => note.to_string(),
        });
    }
    d
}

/// An identifier as a user spells it in a string: `type` for `r#type`.
fn bare(ident: &str) -> &str {
    ident.trim_start_matches("r#")
}
