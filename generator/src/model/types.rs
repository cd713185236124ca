//! The type space: every schema of an OpenAPI document (components and inline) lowered to Rust
//! type definitions, typify-style.
//!
//! Definitions live in an arena ([`TypeSpace::defs`], indexed by [`TypeId`]) in the order they
//! were created: component schemas first, in document order, then inline schemas as operations
//! and properties reach them. Uses of a type are [`TypeRef`]s: a definition, a scalar, or a
//! container of another `TypeRef`. Boxing of recursive fields is decided once, after lowering
//! ([`Field::boxed`], [`UnionVariant::boxed`]), so emitters never need to look for cycles.
//!
//! Lowering never fails: what cannot be expressed becomes [`Scalar::Any`]
//! (`serde_json::Value`) with a located diagnostic.

mod lower;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde::Serialize;

pub use lower::{Lowerer, lower_components};

/// The index of a definition in [`TypeSpace::defs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TypeId(pub usize);

/// A use of a type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TypeRef {
    /// A generated definition.
    Named(TypeId),
    Scalar(Scalar),
    /// A JSON array.
    Vec(Box<TypeRef>),
    /// A JSON object with arbitrary keys (`additionalProperties`), as a `BTreeMap<String, _>`.
    Map(Box<TypeRef>),
    /// A nullable value (3.0 `nullable`, 3.1 `type: [.., "null"]`).
    Option(Box<TypeRef>),
}

/// Types that need no definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Scalar {
    String,
    Bool,
    I32,
    I64,
    U32,
    U64,
    F32,
    F64,
    /// `format: date-time`: `chrono::DateTime<chrono::Utc>`, RFC 3339 on the wire.
    DateTime,
    /// `format: date`: `chrono::NaiveDate`.
    Date,
    /// `format: uuid`: `uuid::Uuid`.
    Uuid,
    /// `format: byte`: base64 text on the wire, bytes in Rust (the client's `types::Base64`).
    Base64,
    /// A binary payload (`application/octet-stream` bodies): `bytes::Bytes`.
    Bytes,
    /// Any JSON value: `serde_json::Value`.
    Any,
}

impl TypeRef {
    pub fn any() -> TypeRef {
        TypeRef::Scalar(Scalar::Any)
    }

    pub fn string() -> TypeRef {
        TypeRef::Scalar(Scalar::String)
    }

    /// Wraps `self` in `Option` unless it already accepts `null` (`Any`, `Option`).
    pub fn nullable(self) -> TypeRef {
        match self {
            TypeRef::Scalar(Scalar::Any) | TypeRef::Option(_) => self,
            other => TypeRef::Option(Box::new(other)),
        }
    }

    /// The type without an outer `Option`.
    pub fn non_null(&self) -> &TypeRef {
        match self {
            TypeRef::Option(inner) => inner,
            other => other,
        }
    }

    /// Whether the type is `serde_json::Value`.
    pub fn is_any(&self) -> bool {
        matches!(self, TypeRef::Scalar(Scalar::Any))
    }
}

/// One generated definition.
#[derive(Clone, Debug, Serialize)]
pub struct TypeDef {
    pub id: TypeId,
    /// The Rust name, unique in the `types` module.
    pub name: String,
    /// The component name (`#/components/schemas/<name>`), for component schemas.
    pub component: Option<String>,
    /// The documentation: `title` and `description`, as written.
    pub docs: Option<String>,
    /// JSON pointer of the schema in the bundled document.
    pub pointer: String,
    pub deprecated: bool,
    pub kind: TypeKind,
}

/// What a definition is.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    /// An object with known properties.
    Struct(Struct),
    /// A string enum; unknown values decode into the fallback variant.
    Enum(StringEnum),
    /// `oneOf`/`anyOf`: internally tagged with a discriminator, untagged otherwise.
    Union(Union),
    /// `pub type Name = <target>;`
    Alias { target: TypeRef },
    /// `pub struct Name(pub <target>);`, for aliases that would be cyclic.
    Newtype { target: TypeRef },
}

#[derive(Clone, Debug, Serialize)]
pub struct Struct {
    pub fields: Vec<Field>,
    /// `additionalProperties` beside known properties: a flattened map of the value type.
    pub additional: Option<AdditionalField>,
}

/// The flattened map of unknown members.
#[derive(Clone, Debug, Serialize)]
pub struct AdditionalField {
    pub name: String,
    pub value: TypeRef,
}

#[derive(Clone, Debug, Serialize)]
pub struct Field {
    /// The property name on the wire.
    pub wire: String,
    /// The Rust field name.
    pub name: String,
    /// The type of a present value (the field is `Option<ty>` when not [`Field::required`]).
    pub ty: TypeRef,
    pub required: bool,
    /// Whether the field is the discriminator of a tagged union that this struct is a variant
    /// of: the union writes the tag, so the field is optional.
    pub discriminator: bool,
    /// Whether the field is boxed to break a cycle of by-value containment.
    pub boxed: bool,
    pub docs: Option<String>,
    pub deprecated: bool,
    pub read_only: bool,
    pub write_only: bool,
    pub pointer: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StringEnum {
    pub variants: Vec<EnumVariant>,
    /// The name of the variant holding values the document does not list.
    pub fallback: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnumVariant {
    pub name: String,
    pub wire: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Union {
    /// The discriminator property, for an internally tagged union.
    pub tag: Option<String>,
    pub variants: Vec<UnionVariant>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnionVariant {
    pub name: String,
    pub ty: TypeRef,
    /// Tag values selecting this variant (tagged unions only); the first one is written.
    pub tags: Vec<String>,
    pub boxed: bool,
    pub docs: Option<String>,
}

/// All definitions of one document.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TypeSpace {
    pub defs: Vec<TypeDef>,
}

impl TypeSpace {
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        self.defs.get(id.0)
    }

    /// The definition with Rust name `name`.
    pub fn by_name(&self, name: &str) -> Option<&TypeDef> {
        self.defs.iter().find(|it| it.name == name)
    }

    /// The definition of component schema `name`.
    pub fn by_component(&self, name: &str) -> Option<&TypeDef> {
        self.defs
            .iter()
            .find(|it| it.component.as_deref() == Some(name))
    }

    /// Follows aliases: the definition or scalar a use finally denotes.
    pub fn resolve<'a>(&'a self, ty: &'a TypeRef) -> &'a TypeRef {
        let mut current = ty;
        for _ in 0..64 {
            match current {
                TypeRef::Named(id) => match self.get(*id).map(|it| &it.kind) {
                    Some(TypeKind::Alias { target }) => current = target,
                    _ => return current,
                },
                _ => return current,
            }
        }
        current
    }

    /// Whether any use reachable from the definitions or `extra` needs `feature`.
    pub fn uses_scalar(&self, scalar: Scalar, extra: &[&TypeRef]) -> bool {
        fn walk(ty: &TypeRef, scalar: Scalar) -> bool {
            match ty {
                TypeRef::Scalar(it) => *it == scalar,
                TypeRef::Vec(inner) | TypeRef::Map(inner) | TypeRef::Option(inner) => {
                    walk(inner, scalar)
                }
                TypeRef::Named(_) => false,
            }
        }
        let in_defs = self.defs.iter().any(|def| match &def.kind {
            TypeKind::Struct(it) => {
                it.fields.iter().any(|f| walk(&f.ty, scalar))
                    || it
                        .additional
                        .as_ref()
                        .is_some_and(|a| walk(&a.value, scalar))
            }
            TypeKind::Enum(_) => false,
            TypeKind::Union(it) => it.variants.iter().any(|v| walk(&v.ty, scalar)),
            TypeKind::Alias { target } | TypeKind::Newtype { target } => walk(target, scalar),
        });
        in_defs || extra.iter().any(|it| walk(it, scalar))
    }
}

/// The Rust type of a use, as tokens. `types_path` is the path of the generated `types` module
/// as seen from where the tokens go (`quote!(crate::types)` inside the client crate,
/// `quote!(::durable_functions_client::types)` from a server crate).
pub fn type_tokens(space: &TypeSpace, ty: &TypeRef, types_path: &TokenStream) -> TokenStream {
    match ty {
        TypeRef::Named(id) => match space.get(*id) {
            Some(def) => {
                let name = format_ident!("{}", def.name);
                quote!(#types_path::#name)
            }
            None => quote!(::serde_json::Value),
        },
        TypeRef::Scalar(Scalar::Base64) => quote!(#types_path::Base64),
        TypeRef::Scalar(scalar) => scalar_tokens(*scalar),
        TypeRef::Vec(inner) => {
            let inner = type_tokens(space, inner, types_path);
            quote!(::std::vec::Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = type_tokens(space, inner, types_path);
            quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
        }
        TypeRef::Option(inner) => {
            let inner = type_tokens(space, inner, types_path);
            quote!(::std::option::Option<#inner>)
        }
    }
}

/// The Rust type of a scalar, fully qualified.
pub fn scalar_tokens(scalar: Scalar) -> TokenStream {
    match scalar {
        Scalar::String => quote!(::std::string::String),
        Scalar::Bool => quote!(bool),
        Scalar::I32 => quote!(i32),
        Scalar::I64 => quote!(i64),
        Scalar::U32 => quote!(u32),
        Scalar::U64 => quote!(u64),
        Scalar::F32 => quote!(f32),
        Scalar::F64 => quote!(f64),
        Scalar::DateTime => quote!(::chrono::DateTime<::chrono::Utc>),
        Scalar::Date => quote!(::chrono::NaiveDate),
        Scalar::Uuid => quote!(::uuid::Uuid),
        Scalar::Bytes => quote!(::bytes::Bytes),
        // Defined in the client's `types` module; `type_tokens` qualifies it.
        Scalar::Base64 => quote!(Base64),
        Scalar::Any => quote!(::serde_json::Value),
    }
}
