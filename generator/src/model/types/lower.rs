//! Lowering schemas of the bundled document into the [`TypeSpace`].
//!
//! Schemas are read from [`OpenApiDocument::raw`], the bundled and normalised JSON the typed
//! model was read from: every `$ref` there is `#/components/schemas/<name>`, 3.1 forms are
//! already 3.0 forms (`nullable`, `enum` for `const`, `anyOf` for type lists), and a schema the
//! typed model could not read was replaced by `{}`. Reading the JSON rather than
//! `openapiv3::Schema` keeps mixed schemas (`type: object` beside `oneOf`, `type: string` beside
//! `minimum`) in one shape and gives every schema its JSON pointer for diagnostics.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::load::diagnostics::{
    Code, Diagnostic, Diagnostics, escape_pointer_segment, pointer_join,
};
use crate::load::openapi::OpenApiDocument;
use crate::model::names::{self, Scope};
use crate::model::types::{
    AdditionalField, EnumVariant, Field, Scalar, StringEnum, Struct, TypeDef, TypeId, TypeKind,
    TypeRef, TypeSpace, Union, UnionVariant,
};

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// Names schemas never get: generated code uses these prelude types by their short names.
/// `Base64` is the client's own type for `format: byte`.
pub const RESERVED_TYPE_NAMES: &[&str] = &["String", "Option", "Vec", "Box", "Base64"];

/// Deeper than this, a schema is read as any JSON value (only pathological documents nest so deep).
const MAX_DEPTH: usize = 48;

/// Lowers every component schema of `doc` (and the inline schemas they contain).
pub fn lower_components(doc: &OpenApiDocument, diags: &mut Diagnostics) -> TypeSpace {
    let mut lowerer = Lowerer::new(doc);
    lowerer.lower_components();
    lowerer.finish(diags)
}

/// Builds a [`TypeSpace`]: create it, lower the components, lower whatever inline schemas the
/// operations use ([`Lowerer::schema`]), then [`Lowerer::finish`].
pub struct Lowerer<'a> {
    doc: &'a OpenApiDocument,
    raw: &'a Value,
    space: TypeSpace,
    names: Scope,
    components: BTreeMap<String, TypeId>,
    /// Component schemas that are nullable as a whole: a reference to one is an `Option`.
    nullable_components: BTreeSet<TypeId>,
    /// Lowered schemas by pointer, so a schema reached twice is lowered once.
    memo: HashMap<String, TypeRef>,
    depth: usize,
    diags: Diagnostics,
}

/// Properties gathered from the parts of an `allOf`.
#[derive(Default)]
struct Merged {
    /// Wire name → (pointer of the property schema, name hint of its owner), first position kept.
    properties: Vec<(String, String, String)>,
    required: BTreeSet<String>,
    /// Pointer of the `additionalProperties` schema, or `None` for "any value".
    additional: Option<Option<String>>,
    /// Components already gathered: each is merged once, which guards against cycles and keeps
    /// a component reached along many paths (`allOf` diamonds) from being walked once per path.
    components: BTreeSet<String>,
}

impl<'a> Lowerer<'a> {
    /// Registers every component schema under its name, so references can be lowered before the
    /// component itself.
    pub fn new(doc: &'a OpenApiDocument) -> Lowerer<'a> {
        let mut res = Lowerer {
            doc,
            raw: &doc.raw,
            space: TypeSpace::default(),
            names: Scope::with_reserved(RESERVED_TYPE_NAMES),
            components: BTreeMap::new(),
            nullable_components: BTreeSet::new(),
            memo: HashMap::new(),
            depth: 0,
            diags: Diagnostics::new(),
        };
        let raw: &'a Value = &doc.raw;
        if let Some(schemas) = raw
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (component, schema) in schemas {
                let name = res.names.claim(&names::type_name(component));
                let pointer = format!("/components/schemas/{}", escape_pointer_segment(component));
                let id = res.push_def(TypeDef {
                    id: TypeId(0),
                    name,
                    component: Some(component.clone()),
                    docs: docs_of(schema),
                    pointer: pointer.clone(),
                    deprecated: flag(schema, "deprecated"),
                    kind: TypeKind::Alias {
                        target: TypeRef::any(),
                    },
                });
                res.components.insert(component.clone(), id);
                res.memo.insert(pointer, TypeRef::Named(id));
                if is_nullable_schema(schema) {
                    res.nullable_components.insert(id);
                }
            }
        }
        res
    }

    /// The document being lowered.
    pub fn doc(&self) -> &'a OpenApiDocument {
        self.doc
    }

    /// Lowers the bodies of all component schemas, in document order.
    pub fn lower_components(&mut self) {
        let components: Vec<(String, TypeId)> = self
            .components
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let mut ordered = components;
        ordered.sort_by_key(|it| it.1);
        for (_, id) in ordered {
            let (pointer, name) = match self.space.get(id) {
                Some(def) => (def.pointer.clone(), def.name.clone()),
                None => continue,
            };
            let raw: &'a Value = self.raw;
            let Some(schema) = raw.pointer(&pointer) else {
                continue;
            };
            let res = self.lower_node(schema, &pointer, &name, Some(id));
            // A nullable component is defined without the `null`; its uses are `Option`s.
            match res {
                TypeRef::Named(it) if it == id => {
                    self.nullable_components.remove(&id);
                }
                TypeRef::Option(inner) => {
                    self.nullable_components.insert(id);
                    if *inner != TypeRef::Named(id) {
                        self.space.defs[id.0].kind = TypeKind::Alias { target: *inner };
                    }
                }
                other => {
                    self.nullable_components.remove(&id);
                    self.space.defs[id.0].kind = TypeKind::Alias { target: other };
                }
            }
        }
    }

    /// Lowers the schema at `pointer` of the bundled document; an inline object, enum or union
    /// gets a definition named after `hint` (made unique).
    pub fn schema(&mut self, pointer: &str, hint: &str) -> TypeRef {
        if let Some(hit) = self.memo.get(pointer) {
            return self.use_of(hit.clone());
        }
        let raw: &'a Value = self.raw;
        let Some(schema) = raw.pointer(pointer) else {
            return TypeRef::any();
        };
        if self.depth > MAX_DEPTH {
            self.warn(
                pointer,
                "schema nesting is too deep; read as any JSON value",
            );
            return TypeRef::any();
        }
        self.depth += 1;
        let res = self.lower_node(schema, pointer, hint, None);
        self.depth -= 1;
        self.memo.insert(pointer.to_owned(), res.clone());
        res
    }

    /// A use of a memoised result: component references pick up the component's nullability.
    fn use_of(&self, ty: TypeRef) -> TypeRef {
        match ty {
            TypeRef::Named(id) if self.nullable_components.contains(&id) => {
                TypeRef::Named(id).nullable()
            }
            other => other,
        }
    }

    /// Post-processing: discriminator fields, cyclic aliases, boxing. Returns the finished space.
    pub fn finish(mut self, diags: &mut Diagnostics) -> TypeSpace {
        mark_discriminators(&mut self.space);
        order_untagged(&mut self.space);
        break_alias_cycles(&mut self.space);
        box_cycles(&mut self.space);
        diags.extend(self.diags);
        self.space
    }

    fn push_def(&mut self, mut def: TypeDef) -> TypeId {
        let id = TypeId(self.space.defs.len());
        def.id = id;
        self.space.defs.push(def);
        id
    }

    /// Creates (or, for a component, fills) the definition for a schema.
    fn define(
        &mut self,
        slot: Option<TypeId>,
        hint: &str,
        schema: &Value,
        pointer: &str,
        kind: TypeKind,
    ) -> TypeId {
        if let Some(id) = slot {
            self.space.defs[id.0].kind = kind;
            return id;
        }
        let name = self.names.claim(&names::joined_type_name(hint));
        self.push_def(TypeDef {
            id: TypeId(0),
            name,
            component: None,
            docs: docs_of(schema),
            pointer: pointer.to_owned(),
            deprecated: flag(schema, "deprecated"),
            kind,
        })
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>) {
        let diagnostic = Diagnostic::warning(Code::Unsupported, message);
        self.diags.push(self.doc.at(diagnostic, pointer));
    }

    fn lower_node(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return self.reference(reference, pointer);
        }
        let Some(object) = schema.as_object() else {
            return TypeRef::any();
        };
        let nullable = flag(schema, "nullable");
        let res = if object.contains_key("allOf") {
            self.all_of(schema, pointer, hint, slot)
        } else if let Some(key) = ["oneOf", "anyOf"]
            .into_iter()
            .find(|it| object.contains_key(*it))
        {
            self.union(schema, key, pointer, hint, slot)
        } else if object.contains_key("enum") {
            self.enumeration(schema, pointer, hint, slot)
        } else {
            self.typed(schema, pointer, hint, slot)
        };
        if nullable { res.nullable() } else { res }
    }

    fn reference(&mut self, reference: &str, pointer: &str) -> TypeRef {
        let name = reference
            .strip_prefix(COMPONENT_PREFIX)
            .map(unescape_pointer_segment);
        match name.and_then(|it| self.components.get(&it).copied()) {
            Some(id) => self.use_of(TypeRef::Named(id)),
            None => {
                self.warn(
                    pointer,
                    format!("`{reference}` is not a component schema; read as any JSON value"),
                );
                TypeRef::any()
            }
        }
    }

    /// Schemas without a composition keyword or `enum`: by `type` (or by shape when untyped).
    fn typed(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        let ty = schema.get("type").and_then(Value::as_str);
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        match ty {
            Some("string") => TypeRef::Scalar(match format {
                "date-time" => Scalar::DateTime,
                "date" => Scalar::Date,
                "uuid" => Scalar::Uuid,
                "byte" => Scalar::Base64,
                _ => Scalar::String,
            }),
            Some("integer") => TypeRef::Scalar(match format {
                "int32" | "int16" | "int8" => Scalar::I32,
                "uint32" | "uint16" | "uint8" => Scalar::U32,
                "uint64" | "uint" => Scalar::U64,
                _ => Scalar::I64,
            }),
            Some("number") => TypeRef::Scalar(if format == "float" {
                Scalar::F32
            } else {
                Scalar::F64
            }),
            Some("boolean") => TypeRef::Scalar(Scalar::Bool),
            Some("array") => self.array(pointer, hint),
            Some("object") => self.object(schema, pointer, hint, slot),
            Some(other) => {
                self.warn(
                    pointer,
                    format!("unknown schema type `{other}`; read as any JSON value"),
                );
                TypeRef::any()
            }
            None => {
                if schema.get("properties").is_some()
                    || schema.get("additionalProperties").is_some()
                {
                    self.object(schema, pointer, hint, slot)
                } else if schema.get("items").is_some() {
                    self.array(pointer, hint)
                } else {
                    if schema.get("not").is_some() {
                        self.note(
                            pointer,
                            "`not` is not expressed in Rust types; read as any JSON value",
                        );
                    }
                    TypeRef::any()
                }
            }
        }
    }

    fn note(&mut self, pointer: &str, message: &str) {
        let diagnostic = Diagnostic::note(Code::Unsupported, message);
        self.diags.push(self.doc.at(diagnostic, pointer));
    }

    fn array(&mut self, pointer: &str, hint: &str) -> TypeRef {
        let items = pointer_join(pointer, "items");
        let item = if self.raw.pointer(&items).is_some() {
            self.schema(&items, &format!("{hint}Item"))
        } else {
            TypeRef::any()
        };
        TypeRef::Vec(Box::new(item))
    }

    fn object(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = additional_of(schema)
            .map(|it| it.map(|_| pointer_join(pointer, "additionalProperties")));
        let required: BTreeSet<String> = required_of(schema);
        let Some(properties) = properties.filter(|it| !it.is_empty()) else {
            let value = self.additional_type(additional.clone().flatten(), hint);
            return TypeRef::Map(Box::new(value));
        };
        let merged = Merged {
            properties: properties
                .keys()
                .map(|key| {
                    (
                        key.clone(),
                        pointer_join(&pointer_join(pointer, "properties"), key),
                        String::new(),
                    )
                })
                .collect(),
            required,
            additional,
            components: BTreeSet::new(),
        };
        self.structure(schema, pointer, hint, slot, merged)
    }

    fn additional_type(&mut self, pointer: Option<String>, hint: &str) -> TypeRef {
        match pointer {
            Some(pointer) => self.schema(&pointer, &format!("{hint}Value")),
            None => TypeRef::any(),
        }
    }

    /// A struct from gathered properties. Property hints are `<owner><Property>`, where the owner
    /// is the struct itself or, for properties merged from a component, that component.
    fn structure(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
        merged: Merged,
    ) -> TypeRef {
        let id = self.define(
            slot,
            hint,
            schema,
            pointer,
            TypeKind::Struct(Struct {
                fields: Vec::new(),
                additional: None,
            }),
        );
        let owner = self.space.defs[id.0].name.clone();
        let mut scope = Scope::new();
        let mut fields = Vec::new();
        for (wire, property_pointer, property_owner) in &merged.properties {
            let owner = if property_owner.is_empty() {
                owner.as_str()
            } else {
                property_owner.as_str()
            };
            let ty = self.schema(
                property_pointer,
                &format!("{owner}{}", names::type_name(wire)),
            );
            let raw: &'a Value = self.raw;
            let property = raw.pointer(property_pointer).unwrap_or(&Value::Null);
            fields.push(Field {
                wire: wire.clone(),
                name: scope.claim(&names::field_name(wire)),
                ty,
                required: merged.required.contains(wire),
                discriminator: false,
                boxed: false,
                docs: docs_of(property),
                deprecated: flag(property, "deprecated"),
                read_only: flag(property, "readOnly"),
                write_only: flag(property, "writeOnly"),
                pointer: property_pointer.clone(),
            });
        }
        let additional = match merged.additional {
            Some(value_pointer) => {
                let value = self.additional_type(value_pointer, &owner);
                Some(AdditionalField {
                    name: scope.claim("additional_properties"),
                    value,
                })
            }
            None => None,
        };
        self.space.defs[id.0].kind = TypeKind::Struct(Struct { fields, additional });
        TypeRef::Named(id)
    }

    fn enumeration(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        let values = schema
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let strings = values.iter().all(|it| it.is_string() || it.is_null());
        let has_string = values.iter().any(Value::is_string);
        let ty = schema.get("type").and_then(Value::as_str);
        if !strings || !has_string || !matches!(ty, None | Some("string")) {
            // Numbers, booleans and mixed lists keep their base type; the values are documented.
            let base = self.typed(schema, pointer, hint, slot);
            let has_null = values.iter().any(Value::is_null);
            return if has_null { base.nullable() } else { base };
        }
        let wires: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let res = self.string_enum(schema, pointer, hint, slot, &wires);
        if values.iter().any(Value::is_null) {
            res.nullable()
        } else {
            res
        }
    }

    fn string_enum(
        &mut self,
        schema: &Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
        wires: &[String],
    ) -> TypeRef {
        let mut scope = Scope::new();
        let mut seen = BTreeSet::new();
        let mut variants = Vec::new();
        for wire in wires {
            if seen.insert(wire.clone()) {
                variants.push(EnumVariant {
                    name: scope.claim(&names::variant_name(wire)),
                    wire: wire.clone(),
                });
            }
        }
        let fallback = ["Unknown", "Other", "UnknownValue"]
            .into_iter()
            .find(|it| !scope.contains(it))
            .map(str::to_owned)
            .unwrap_or_else(|| scope.claim("UnknownValue"));
        TypeRef::Named(self.define(
            slot,
            hint,
            schema,
            pointer,
            TypeKind::Enum(StringEnum { variants, fallback }),
        ))
    }

    fn union(
        &mut self,
        schema: &'a Value,
        key: &str,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        let items = schema
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let list_pointer = pointer_join(pointer, key);
        let mut nullable = false;
        let mut variants: Vec<(String, &'a Value)> = Vec::new();
        for (idx, item) in items.iter().enumerate() {
            if is_null_schema(item) {
                nullable = true;
            } else {
                variants.push((pointer_join(&list_pointer, idx), item));
            }
        }
        if schema.get("properties").is_some() {
            self.note(pointer, "properties beside `oneOf`/`anyOf`: the properties are generated, the alternatives are not");
            let res = self.object(schema, pointer, hint, slot);
            return if nullable { res.nullable() } else { res };
        }
        let res = match variants.len() {
            0 => TypeRef::any(),
            1 => {
                let (part_pointer, part) = &variants[0];
                self.single(part, part_pointer, hint, slot)
            }
            _ => {
                let resolved: Vec<&Value> = variants.iter().map(|it| self.resolve(it.1)).collect();
                if resolved.iter().all(|it| is_string_like(it)) {
                    let mut wires = Vec::new();
                    for it in &resolved {
                        if let Some(values) = it.get("enum").and_then(Value::as_array) {
                            wires
                                .extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
                        }
                    }
                    if wires.is_empty() {
                        TypeRef::string()
                    } else {
                        self.string_enum(schema, pointer, hint, slot, &wires)
                    }
                } else {
                    self.alternatives(schema, pointer, hint, slot, &variants)
                }
            }
        };
        if nullable { res.nullable() } else { res }
    }

    /// A Rust enum over the alternatives of a `oneOf`/`anyOf`.
    fn alternatives(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
        variants: &[(String, &'a Value)],
    ) -> TypeRef {
        let id = self.define(
            slot,
            hint,
            schema,
            pointer,
            TypeKind::Union(Union {
                tag: None,
                variants: Vec::new(),
            }),
        );
        let owner = self.space.defs[id.0].name.clone();
        let discriminator = schema.get("discriminator");
        let tag = discriminator
            .and_then(|it| it.get("propertyName"))
            .and_then(Value::as_str);
        let tagged = tag.is_some()
            && variants.iter().all(|(_, item)| {
                item.get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|it| it.starts_with(COMPONENT_PREFIX))
                    && is_object_like(self.resolve(item))
            });
        if tag.is_some() && !tagged {
            self.note(pointer, "a discriminator needs every alternative to be a `$ref` to an object schema; read untagged");
        }
        let mapping: Vec<(String, String)> = discriminator
            .and_then(|it| it.get("mapping"))
            .and_then(Value::as_object)
            .map(|it| {
                it.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let mut scope = Scope::new();
        let mut res = Vec::new();
        for (item_pointer, item) in variants {
            let reference = item.get("$ref").and_then(Value::as_str);
            let (base_name, ty) = match reference {
                Some(_) => {
                    let ty = self.schema(item_pointer, &owner);
                    let name = match ty.non_null() {
                        TypeRef::Named(id) => self.space.defs[id.0].name.clone(),
                        other => kind_word(other).to_owned(),
                    };
                    (name, ty)
                }
                None => {
                    let word = item
                        .get("title")
                        .and_then(Value::as_str)
                        .map(names::type_name)
                        .unwrap_or_else(|| kind_word_of_schema(item).to_owned());
                    let ty = self.schema(item_pointer, &format!("{owner}{word}"));
                    (word, ty)
                }
            };
            let mut tags = Vec::new();
            if let (true, Some(reference)) = (tagged, reference) {
                let component = reference
                    .strip_prefix(COMPONENT_PREFIX)
                    .map(unescape_pointer_segment)
                    .unwrap_or_default();
                for (value, target) in &mapping {
                    if target == reference || *target == component {
                        tags.push(value.clone());
                    }
                }
                if tags.is_empty() {
                    tags.push(component);
                }
            }
            res.push(UnionVariant {
                name: scope.claim(&names::type_name(&base_name)),
                ty,
                tags,
                boxed: false,
                docs: docs_of(item),
            });
        }
        let tag = if tagged { tag.map(str::to_owned) } else { None };
        self.space.defs[id.0].kind = TypeKind::Union(Union { tag, variants: res });
        TypeRef::Named(id)
    }

    fn all_of(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        let items = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let list_pointer = pointer_join(pointer, "allOf");
        let own =
            schema.get("properties").is_some() || schema.get("additionalProperties").is_some();
        // The types the referenced parts already have: a part saying only `type: string` next to
        // a `$ref` to a string enum (3.1 `$ref` with siblings) restates it.
        let referenced: Vec<&'a Value> = items
            .iter()
            .filter(|it| it.get("$ref").is_some())
            .map(|it| self.resolve(it))
            .collect();
        let structural: Vec<(String, &'a Value)> = items
            .iter()
            .enumerate()
            .map(|(idx, item)| (pointer_join(&list_pointer, idx), item))
            .filter(|(_, item)| !is_annotation_only(item) && !restates(item, &referenced, &[]))
            .collect();
        if !own && structural.is_empty() {
            // Only annotations in the parts: the schema's own keywords decide.
            return if let Some(key) = ["oneOf", "anyOf"]
                .into_iter()
                .find(|it| schema.get(*it).is_some())
            {
                self.union(schema, key, pointer, hint, slot)
            } else if schema.get("enum").is_some() {
                self.enumeration(schema, pointer, hint, slot)
            } else {
                self.typed(schema, pointer, hint, slot)
            };
        }
        let plain_parent =
            !has_structure_besides_all_of(schema) || restates(schema, &referenced, &["allOf"]);
        if !own && structural.len() == 1 && plain_parent {
            let (part_pointer, part) = &structural[0];
            return self.single(part, part_pointer, hint, slot);
        }
        let mut merged = Merged::default();
        let mut ok = true;
        for (item_pointer, _) in &structural {
            ok &= self.gather(item_pointer, "", &mut merged);
        }
        if own {
            self.gather_properties(schema, pointer, "", &mut merged);
        }
        if !ok {
            self.warn(
                pointer,
                "`allOf` with parts that are not objects cannot be merged; read as any JSON value",
            );
            return TypeRef::any();
        }
        self.structure(schema, pointer, hint, slot, merged)
    }

    /// The only alternative or part of a composition: a reference is a use of the component,
    /// an inline schema takes the place (and the definition slot) of its parent.
    fn single(
        &mut self,
        part: &'a Value,
        part_pointer: &str,
        hint: &str,
        slot: Option<TypeId>,
    ) -> TypeRef {
        if part.get("$ref").is_some() || slot.is_none() {
            return self.schema(part_pointer, hint);
        }
        let res = self.lower_node(part, part_pointer, hint, slot);
        self.memo.insert(part_pointer.to_owned(), res.clone());
        res
    }

    /// Gathers the properties of the `allOf` part at `pointer` into `merged`. Returns false when
    /// the part is not an object.
    fn gather(&mut self, pointer: &str, owner: &str, merged: &mut Merged) -> bool {
        let raw: &'a Value = self.raw;
        let Some(schema) = raw.pointer(pointer) else {
            return true;
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let Some(component) = reference
                .strip_prefix(COMPONENT_PREFIX)
                .map(unescape_pointer_segment)
            else {
                return false;
            };
            if !merged.components.insert(component.clone()) {
                return true;
            }
            let owner = self
                .components
                .get(&component)
                .map(|id| self.space.defs[id.0].name.clone())
                .unwrap_or_default();
            let target = format!("/components/schemas/{}", escape_pointer_segment(&component));
            return self.gather(&target, &owner, merged);
        }
        if is_annotation_only(schema) {
            return true;
        }
        let mut ok = true;
        if let Some(items) = schema.get("allOf").and_then(Value::as_array) {
            for idx in 0..items.len() {
                ok &= self.gather(
                    &pointer_join(&pointer_join(pointer, "allOf"), idx),
                    owner,
                    merged,
                );
            }
        }
        let object_like = is_object_like(schema) || schema.get("allOf").is_some();
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() || !object_like {
            return false;
        }
        self.gather_properties(schema, pointer, owner, merged);
        ok
    }

    fn gather_properties(
        &mut self,
        schema: &Value,
        pointer: &str,
        owner: &str,
        merged: &mut Merged,
    ) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let base = pointer_join(pointer, "properties");
            for key in properties.keys() {
                let entry = (key.clone(), pointer_join(&base, key), owner.to_owned());
                match merged.properties.iter_mut().find(|it| it.0 == *key) {
                    Some(existing) => *existing = entry,
                    None => merged.properties.push(entry),
                }
            }
        }
        merged.required.extend(required_of(schema));
        if let Some(additional) = additional_of(schema) {
            merged.additional =
                Some(additional.map(|_| pointer_join(pointer, "additionalProperties")));
        }
    }

    /// The schema a `$ref` points at (one level), or the schema itself.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let raw: &'a Value = self.raw;
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix('#')
                .and_then(|it| raw.pointer(it))
                .unwrap_or(schema),
            None => schema,
        }
    }
}

/// `title` and `description` as documentation.
fn docs_of(schema: &Value) -> Option<String> {
    let title = schema
        .get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|it| !it.is_empty());
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|it| !it.is_empty());
    match (title, description) {
        (Some(title), Some(description)) if description.starts_with(title) => {
            Some(description.to_owned())
        }
        (Some(title), Some(description)) => Some(format!("{title}\n\n{description}")),
        (Some(it), None) | (None, Some(it)) => Some(it.to_owned()),
        (None, None) => None,
    }
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn required_of(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|it| {
            it.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `additionalProperties`: `None` when absent or `false`, `Some(None)` for "any value",
/// `Some(Some(()))` for a schema.
fn additional_of(schema: &Value) -> Option<Option<()>> {
    match schema.get("additionalProperties")? {
        Value::Bool(true) => Some(None),
        Value::Bool(_) => None,
        Value::Object(it) if it.is_empty() => Some(None),
        Value::Object(_) => Some(Some(())),
        _ => None,
    }
}

/// A schema that only documents (`description`, `title`, …) and constrains nothing structural.
/// Keywords that give a schema structure (the rest annotate it).
const STRUCTURAL_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "additionalProperties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "enum",
    "format",
];

fn is_annotation_only(schema: &Value) -> bool {
    schema
        .as_object()
        .is_some_and(|it| !it.keys().any(|k| is_structural(k)))
}

/// Whether an `allOf` part (or, with `ignore: ["allOf"]`, the schema holding it) adds nothing
/// but the `type` (and `format`) one of the `referenced` schemas already has.
fn restates(part: &Value, referenced: &[&Value], ignore: &[&str]) -> bool {
    let Some(object) = part.as_object() else {
        return false;
    };
    if object.get("$ref").is_some() || object.get("type").is_none() {
        return false;
    }
    let plain = object.keys().all(|key| {
        matches!(key.as_str(), "type" | "format")
            || ignore.contains(&key.as_str())
            || !is_structural(key)
    });
    plain
        && referenced.iter().any(|target| {
            target.get("type") == object.get("type")
                && object
                    .get("format")
                    .is_none_or(|format| target.get("format") == Some(format))
        })
}

fn is_structural(key: &str) -> bool {
    STRUCTURAL_KEYWORDS.contains(&key)
}

/// Whether an `allOf` schema has its own structure (a type other than object, an enum, …) that a
/// single-part reading would lose.
fn has_structure_besides_all_of(schema: &Value) -> bool {
    schema.get("oneOf").is_some()
        || schema.get("anyOf").is_some()
        || schema.get("enum").is_some()
        || schema
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|it| it != "object")
}

/// `{nullable: true}` alone (3.1 `{type: "null"}` after normalisation) or `enum: [null]`.
fn is_null_schema(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return false;
    };
    let only_null_enum = object
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|it| it.iter().all(Value::is_null));
    let bare_nullable = flag(schema, "nullable")
        && object
            .keys()
            .all(|k| matches!(k.as_str(), "nullable" | "description" | "title"));
    bare_nullable || (only_null_enum && !object.contains_key("$ref"))
}

/// Whether a component schema accepts `null` as a whole (checked before it is lowered, so
/// references that come first already see it).
fn is_nullable_schema(schema: &Value) -> bool {
    let null_enum = schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|it| it.iter().any(Value::is_null));
    let null_alternative = ["oneOf", "anyOf"].iter().any(|key| {
        schema
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|it| it.iter().any(is_null_schema))
    });
    flag(schema, "nullable") || null_enum || null_alternative
}

/// A plain string schema (no format) or a string enum.
fn is_string_like(schema: &Value) -> bool {
    let ty = schema.get("type").and_then(Value::as_str);
    let enum_strings = schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|it| it.iter().all(|v| v.is_string() || v.is_null()));
    match ty {
        Some("string") => schema.get("format").is_none() || schema.get("enum").is_some(),
        None => enum_strings && schema.get("enum").is_some(),
        _ => false,
    }
}

fn is_object_like(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
        || schema.get("properties").is_some()
        || (schema.get("allOf").is_some() && schema.get("type").is_none())
}

fn unescape_pointer_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// A word for a variant holding `ty`.
fn kind_word(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Scalar(Scalar::String) => "String",
        TypeRef::Scalar(Scalar::Bool) => "Boolean",
        TypeRef::Scalar(Scalar::I32 | Scalar::I64 | Scalar::U32 | Scalar::U64) => "Integer",
        TypeRef::Scalar(Scalar::F32 | Scalar::F64) => "Number",
        TypeRef::Scalar(Scalar::DateTime) => "DateTime",
        TypeRef::Scalar(Scalar::Date) => "Date",
        TypeRef::Scalar(Scalar::Uuid) => "Uuid",
        TypeRef::Scalar(Scalar::Base64) => "Base64",
        TypeRef::Scalar(Scalar::Bytes) => "Bytes",
        TypeRef::Scalar(Scalar::Any) => "Value",
        TypeRef::Vec(_) => "Array",
        TypeRef::Map(_) => "Object",
        TypeRef::Option(inner) => kind_word(inner),
        TypeRef::Named(_) => "Variant",
    }
}

fn kind_word_of_schema(schema: &Value) -> &'static str {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => "String",
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("array") => "Array",
        Some("object") => "Object",
        _ if schema.get("properties").is_some() => "Object",
        _ => "Variant",
    }
}

/// The structs that are variants of tagged unions get their discriminator field made optional:
/// the union writes the tag.
fn mark_discriminators(space: &mut TypeSpace) {
    let mut marks: Vec<(TypeId, String)> = Vec::new();
    for def in &space.defs {
        let TypeKind::Union(Union {
            tag: Some(tag),
            variants,
        }) = &def.kind
        else {
            continue;
        };
        for variant in variants {
            if let TypeRef::Named(id) = space.resolve(&variant.ty) {
                marks.push((*id, tag.clone()));
            }
        }
    }
    for (id, tag) in marks {
        if let Some(TypeKind::Struct(it)) = space.defs.get_mut(id.0).map(|it| &mut it.kind) {
            for field in it.fields.iter_mut().filter(|f| f.wire == tag) {
                field.discriminator = true;
                field.required = false;
            }
        }
    }
}

/// serde tries the variants of an untagged enum in order and takes the first that fits, so an
/// object with few required members would swallow one with more: variants are ordered by
/// required members, most first (stable otherwise).
fn order_untagged(space: &mut TypeSpace) {
    let required_count = |space: &TypeSpace, ty: &TypeRef| match space.resolve(ty) {
        TypeRef::Named(id) => match space.get(*id).map(|it| &it.kind) {
            Some(TypeKind::Struct(it)) => it.fields.iter().filter(|f| f.required).count(),
            _ => 0,
        },
        _ => 0,
    };
    for idx in 0..space.defs.len() {
        let TypeKind::Union(union) = &space.defs[idx].kind else {
            continue;
        };
        if union.tag.is_some() {
            continue;
        }
        let mut keyed: Vec<(usize, UnionVariant)> = union
            .variants
            .iter()
            .map(|it| (required_count(space, &it.ty), it.clone()))
            .collect();
        keyed.sort_by_key(|it| std::cmp::Reverse(it.0));
        if let TypeKind::Union(union) = &mut space.defs[idx].kind {
            union.variants = keyed.into_iter().map(|it| it.1).collect();
        }
    }
}

/// `type A = Vec<A>` is not valid Rust: an alias that reaches itself through aliases becomes a
/// newtype.
fn break_alias_cycles(space: &mut TypeSpace) {
    fn alias_targets(ty: &TypeRef, out: &mut Vec<TypeId>) {
        match ty {
            TypeRef::Named(id) => out.push(*id),
            TypeRef::Vec(inner) | TypeRef::Map(inner) | TypeRef::Option(inner) => {
                alias_targets(inner, out)
            }
            TypeRef::Scalar(_) => {}
        }
    }
    loop {
        let mut found = None;
        'defs: for def in &space.defs {
            if !matches!(def.kind, TypeKind::Alias { .. }) {
                continue;
            }
            let mut stack = vec![def.id];
            let mut seen = BTreeSet::new();
            while let Some(current) = stack.pop() {
                let Some(TypeKind::Alias { target }) = space.get(current).map(|it| &it.kind) else {
                    continue;
                };
                let mut next = Vec::new();
                alias_targets(target, &mut next);
                for id in next {
                    if id == def.id {
                        found = Some(def.id);
                        break 'defs;
                    }
                    if seen.insert(id) {
                        stack.push(id);
                    }
                }
            }
        }
        let Some(id) = found else { return };
        if let TypeKind::Alias { target } = &space.defs[id.0].kind {
            space.defs[id.0].kind = TypeKind::Newtype {
                target: target.clone(),
            };
        }
    }
}

/// The definitions a use contains by value (through `Option` and aliases, not through `Vec`
/// or maps, which are on the heap).
fn by_value(space: &TypeSpace, ty: &TypeRef, out: &mut Vec<TypeId>, depth: usize) {
    if depth > 64 {
        return;
    }
    match ty {
        TypeRef::Named(id) => match space.get(*id).map(|it| &it.kind) {
            Some(TypeKind::Alias { target }) => by_value(space, target, out, depth + 1),
            Some(_) => out.push(*id),
            None => {}
        },
        TypeRef::Option(inner) => by_value(space, inner, out, depth + 1),
        TypeRef::Vec(_) | TypeRef::Map(_) | TypeRef::Scalar(_) => {}
    }
}

/// Boxes every field and variant whose by-value content leads back to its owner (Tarjan's
/// strongly connected components over by-value containment).
fn box_cycles(space: &mut TypeSpace) {
    let n = space.defs.len();
    let mut edges: Vec<Vec<TypeId>> = vec![Vec::new(); n];
    for def in &space.defs {
        let out = &mut edges[def.id.0];
        match &def.kind {
            TypeKind::Struct(it) => {
                for field in &it.fields {
                    by_value(space, &field.ty, out, 0);
                }
            }
            TypeKind::Union(it) => {
                for variant in &it.variants {
                    by_value(space, &variant.ty, out, 0);
                }
            }
            TypeKind::Newtype { target } => by_value(space, target, out, 0),
            TypeKind::Enum(_) | TypeKind::Alias { .. } => {}
        }
    }
    let component = strongly_connected(&edges);
    for idx in 0..n {
        let owner = component[idx];
        let self_loop = |targets: &[TypeId]| targets.iter().any(|it| component[it.0] == owner);
        let targets_of = |ty: &TypeRef| {
            let mut out = Vec::new();
            by_value(space, ty, &mut out, 0);
            out
        };
        let decisions: Vec<bool> = match &space.defs[idx].kind {
            TypeKind::Struct(it) => it
                .fields
                .iter()
                .map(|f| self_loop(&targets_of(&f.ty)))
                .collect(),
            TypeKind::Union(it) => it
                .variants
                .iter()
                .map(|v| self_loop(&targets_of(&v.ty)))
                .collect(),
            _ => Vec::new(),
        };
        match &mut space.defs[idx].kind {
            TypeKind::Struct(it) => {
                for (field, boxed) in it.fields.iter_mut().zip(decisions) {
                    field.boxed = boxed;
                }
            }
            TypeKind::Union(it) => {
                for (variant, boxed) in it.variants.iter_mut().zip(decisions) {
                    variant.boxed = boxed;
                }
            }
            _ => {}
        }
    }
}

/// Tarjan's algorithm: the component index of every node. A node alone in its component without
/// a self-edge still gets its own index, so "same component" means "on a cycle together" only
/// when combined with an edge, which is how [`box_cycles`] uses it.
fn strongly_connected(edges: &[Vec<TypeId>]) -> Vec<usize> {
    struct State<'e> {
        edges: &'e [Vec<TypeId>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        component: Vec<usize>,
        n_components: usize,
    }
    fn visit(state: &mut State<'_>, node: usize) {
        state.index[node] = Some(state.next);
        state.low[node] = state.next;
        state.next += 1;
        state.stack.push(node);
        state.on_stack[node] = true;
        for target in state.edges[node].clone() {
            let target = target.0;
            match state.index[target] {
                None => {
                    visit(state, target);
                    state.low[node] = state.low[node].min(state.low[target]);
                }
                Some(index) if state.on_stack[target] => {
                    state.low[node] = state.low[node].min(index)
                }
                Some(_) => {}
            }
        }
        if Some(state.low[node]) == state.index[node] {
            while let Some(member) = state.stack.pop() {
                state.on_stack[member] = false;
                state.component[member] = state.n_components;
                if member == node {
                    break;
                }
            }
            state.n_components += 1;
        }
    }
    let n = edges.len();
    let mut state = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        component: vec![0; n],
        n_components: 0,
    };
    for node in 0..n {
        if state.index[node].is_none() {
            visit(&mut state, node);
        }
    }
    state.component
}
