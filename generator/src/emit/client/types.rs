//! `src/types.rs` of the client crate: one Rust item per [`TypeDef`].

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::client::docs;
use crate::model::types::{
    Field, Scalar, StringEnum, Struct, TypeDef, TypeKind, TypeRef, TypeSpace, Union, scalar_tokens,
};

/// How type references are spelled in the client crate. Inside `types.rs` definitions are
/// referred to by bare name; elsewhere through `types::`. Prelude names (`String`, `Vec`,
/// `Option`, `Box`) are never schema names (the type space reserves them), so short forms are
/// safe everywhere.
#[derive(Clone, Copy)]
pub enum Site {
    TypesModule,
    Elsewhere,
}

pub fn tokens(space: &TypeSpace, ty: &TypeRef, site: Site) -> TokenStream {
    match ty {
        TypeRef::Named(id) => match space.get(*id) {
            Some(def) => {
                let name = format_ident!("{}", def.name);
                match site {
                    Site::TypesModule => quote!(#name),
                    Site::Elsewhere => quote!(types::#name),
                }
            }
            None => quote!(serde_json::Value),
        },
        TypeRef::Scalar(Scalar::String) => quote!(String),
        TypeRef::Scalar(Scalar::Any) => quote!(serde_json::Value),
        TypeRef::Scalar(Scalar::DateTime) => quote!(chrono::DateTime<chrono::Utc>),
        TypeRef::Scalar(Scalar::Date) => quote!(chrono::NaiveDate),
        TypeRef::Scalar(Scalar::Uuid) => quote!(uuid::Uuid),
        TypeRef::Scalar(Scalar::Bytes) => quote!(bytes::Bytes),
        TypeRef::Scalar(Scalar::Base64) => match site {
            Site::TypesModule => quote!(Base64),
            Site::Elsewhere => quote!(types::Base64),
        },
        TypeRef::Scalar(scalar) => scalar_tokens(*scalar),
        TypeRef::Vec(inner) => {
            let inner = tokens(space, inner, site);
            quote!(Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = tokens(space, inner, site);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
        TypeRef::Option(inner) => {
            let inner = tokens(space, inner, site);
            quote!(Option<#inner>)
        }
    }
}

/// The module body.
/// The module docs and attributes of `types.rs`; the helper macro ([`string_enum_impls`]) and
/// the items ([`definition`]) follow.
pub fn module_head() -> TokenStream {
    quote! {
        //! Types of the API's schemas: components and inline schemas, one item each.
        //!
        //! Objects are structs with the wire names kept through `serde(rename)`; optional members
        //! are `Option`s that are left out when `None`. String enums keep values this client does
        //! not know in a fallback variant, so a server that adds a value does not break decoding.
        #![allow(deprecated)]
    }
}

/// The trait impls every string enum shares, written once as a macro (each enum's `as_str` and
/// `From<&str>` carry the wire values and stay spelled out). Text, not tokens: prettyplease
/// prints a `macro_rules!` body on a few long lines.
pub fn string_enum_impls(space: &TypeSpace) -> &'static str {
    let has_string_enums = space
        .defs
        .iter()
        .any(|def| matches!(def.kind, TypeKind::Enum(_)));
    if has_string_enums {
        STRING_ENUM_IMPLS
    } else {
        ""
    }
}

/// `format: byte` values: bytes in Rust, standard base64 on the wire (decoding also accepts the
/// URL-safe alphabet and missing padding, as servers send both).
pub const BASE64: &str = r#"
/// Bytes sent as base64 text (`format: byte`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Base64(pub Vec<u8>);

impl Base64 {
    /// Decodes base64 text (standard or URL-safe alphabet, padding optional).
    pub fn decode(text: &str) -> std::result::Result<Base64, base64::DecodeError> {
        use base64::Engine;
        let text = text.trim_end_matches('=');
        let engine = if text.contains(['-', '_']) {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
        } else {
            base64::engine::general_purpose::STANDARD_NO_PAD
        };
        engine.decode(text).map(Base64)
    }
}

impl std::fmt::Display for Base64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use base64::Engine;
        f.write_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl std::convert::From<Vec<u8>> for Base64 {
    fn from(bytes: Vec<u8>) -> Self {
        Base64(bytes)
    }
}

impl serde::Serialize for Base64 {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Base64 {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        Base64::decode(&text).map_err(serde::de::Error::custom)
    }
}
"#;

const STRING_ENUM_IMPLS: &str = r#"
/// Implements `Display`, `FromStr`, `Serialize` and `Deserialize` for a string enum through its
/// `as_str` and `From<&str>`.
macro_rules! string_enum_impls {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            // `std::convert::Infallible`, not `Self::Err`: a variant may be named `Err`.
            fn from_str(value: &str) -> std::result::Result<Self, std::convert::Infallible> {
                std::result::Result::Ok($name::from(value))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(deserializer)?;
                std::result::Result::Ok($name::from(value.as_str()))
            }
        }
    };
}
"#;

/// The items of one type definition.
pub fn definition(space: &TypeSpace, def: &TypeDef) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let fallback_docs = match &def.component {
        Some(component) => format!("The `{component}` schema."),
        None => format!("The schema at `{}`.", def.pointer),
    };
    let docs = match &def.docs {
        Some(text) if !docs::sanitize(text).trim().is_empty() => docs::attrs(text),
        _ => docs::own(&fallback_docs),
    };
    let deprecated = if def.deprecated {
        quote!(#[deprecated])
    } else {
        TokenStream::new()
    };
    match &def.kind {
        TypeKind::Struct(it) => structure(space, &name, docs, deprecated, it),
        TypeKind::Enum(it) => string_enum(&name, docs, deprecated, it),
        TypeKind::Union(it) => union(space, &name, docs, deprecated, it),
        TypeKind::Alias { target } => {
            let target = tokens(space, target, Site::TypesModule);
            quote! {
                #docs
                #deprecated
                pub type #name = #target;
            }
        }
        TypeKind::Newtype { target } => {
            let target = tokens(space, target, Site::TypesModule);
            quote! {
                #docs
                #deprecated
                #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
                #[serde(transparent)]
                pub struct #name(pub #target);
            }
        }
    }
}

/// Whether a field's Rust type is `Option<_>` (or a `Value`, whose `Null` stands for absent).
fn field_type(space: &TypeSpace, field: &Field) -> (TokenStream, Vec<TokenStream>) {
    let inner = field.ty.non_null();
    let mut inner_tokens = tokens(space, inner, Site::TypesModule);
    if field.boxed {
        inner_tokens = quote!(Box<#inner_tokens>);
    }
    let nullable = matches!(field.ty, TypeRef::Option(_));
    let mut serde = Vec::new();
    if field.ty.is_any() {
        if !field.required {
            serde.push(quote!(default));
            serde.push(quote!(skip_serializing_if = "serde_json::Value::is_null"));
        }
        return (inner_tokens, serde);
    }
    if field.required && !nullable {
        return (inner_tokens, serde);
    }
    if !field.required {
        serde.push(quote!(default));
        serde.push(quote!(skip_serializing_if = "Option::is_none"));
    }
    (quote!(Option<#inner_tokens>), serde)
}

fn structure(
    space: &TypeSpace,
    name: &proc_macro2::Ident,
    docs: TokenStream,
    deprecated: TokenStream,
    it: &Struct,
) -> TokenStream {
    let mut all_optional = true;
    let fields = it.fields.iter().map(|field| {
        let field_name = format_ident!("{}", field.name);
        let (ty, mut serde) = field_type(space, field);
        all_optional &= !field.required || matches!(field.ty, TypeRef::Option(_));
        if field.wire != field.name {
            let wire = &field.wire;
            serde.insert(0, quote!(rename = #wire));
        }
        let serde = if serde.is_empty() { TokenStream::new() } else { quote!(#[serde(#(#serde),*)]) };
        let mut text = field.docs.clone().unwrap_or_default();
        if field.docs.as_deref().is_none_or(|it| docs::sanitize(it).trim().is_empty()) {
            text = format!("The `{}` member.", field.wire.replace('`', "'"));
        }
        let mut field_docs = docs::attrs(&text);
        if field.discriminator {
            field_docs.extend(docs::own(
                "\nThe tag of the tagged unions this type belongs to: set when the value is sent on its own;\nwhen it is sent as a union variant, the union writes the tag.",
            ));
        }
        if field.read_only {
            field_docs.extend(docs::own("\nRead-only: sent by the server, ignored in requests."));
        }
        if field.write_only {
            field_docs.extend(docs::own("\nWrite-only: sent in requests, not returned."));
        }
        let deprecated = if field.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
        quote! {
            #field_docs
            #deprecated
            #serde
            pub #field_name: #ty,
        }
    });
    let fields: Vec<TokenStream> = fields.collect();
    let additional = it.additional.as_ref().map(|extra| {
        let field_name = format_ident!("{}", extra.name);
        let value = tokens(space, &extra.value, Site::TypesModule);
        quote! {
            /// Members not listed in the schema.
            #[serde(flatten)]
            pub #field_name: std::collections::BTreeMap<String, #value>,
        }
    });
    let default = if all_optional {
        quote!(Default,)
    } else {
        TokenStream::new()
    };
    quote! {
        #docs
        #deprecated
        #[derive(Clone, Debug, #default PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct #name {
            #(#fields)*
            #additional
        }
    }
}

fn string_enum(
    name: &proc_macro2::Ident,
    docs: TokenStream,
    deprecated: TokenStream,
    it: &StringEnum,
) -> TokenStream {
    let fallback = format_ident!("{}", it.fallback);
    let variants = it.variants.iter().map(|variant| {
        let ident = format_ident!("{}", variant.name);
        let doc = format!(" `{}`", variant.wire.replace('`', "'"));
        let doc = if variant.wire.is_empty() {
            " The empty string.".to_owned()
        } else {
            doc
        };
        quote! {
            #[doc = #doc]
            #ident,
        }
    });
    let as_str = it.variants.iter().map(|variant| {
        let ident = format_ident!("{}", variant.name);
        let wire = &variant.wire;
        quote!(#name::#ident => #wire,)
    });
    let from_str = it.variants.iter().map(|variant| {
        let ident = format_ident!("{}", variant.name);
        let wire = &variant.wire;
        quote!(#wire => #name::#ident,)
    });
    quote! {
        #docs
        #deprecated
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variants)*
            /// A value the API description does not list, as received.
            #fallback(String),
        }

        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    #name::#fallback(value) => value,
                }
            }
        }

        impl std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => #name::#fallback(other.to_owned()),
                }
            }
        }

        string_enum_impls!(#name);
    }
}

fn union(
    space: &TypeSpace,
    name: &proc_macro2::Ident,
    docs: TokenStream,
    deprecated: TokenStream,
    it: &Union,
) -> TokenStream {
    let tagging = match &it.tag {
        Some(tag) => quote!(#[serde(tag = #tag)]),
        None => quote!(#[serde(untagged)]),
    };
    let variants = it.variants.iter().map(|variant| {
        let ident = format_ident!("{}", variant.name);
        let mut ty = tokens(space, &variant.ty, Site::TypesModule);
        if variant.boxed {
            ty = quote!(Box<#ty>);
        }
        let rename = match variant.tags.split_first() {
            Some((first, rest)) => quote!(#[serde(rename = #first #(, alias = #rest)*)]),
            None => TokenStream::new(),
        };
        let text = match (&variant.docs, variant.tags.first()) {
            (Some(text), _) if !docs::sanitize(text).trim().is_empty() => docs::attrs(text),
            (_, Some(tag)) => docs::own(&format!("Tag `{}`.", tag.replace('`', "'"))),
            _ => docs::own(&format!("A `{}` value.", variant.name)),
        };
        quote! {
            #text
            #rename
            #ident(#ty),
        }
    });
    quote! {
        #docs
        #deprecated
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #tagging
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variants)*
        }
    }
}
