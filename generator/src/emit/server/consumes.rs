//! `src/consumes.rs` of a server crate: the consumed APIs and the operations sent as the
//! capability declares them (templates, parameters, body, authentication, `outputRawFormat`),
//! as static data `support::declared` interprets.

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::server::operations::Calls;
use crate::model::capability::{
    CapabilityModel, DeclaredBody, KeyPlacement, OutboundAuth, RawFormat, ValueSource,
    WireLocation, WireParameter,
};

/// The name of the static describing consumed operation `index` of API `api`.
pub fn spec_name(model: &CapabilityModel, api: usize, index: usize) -> String {
    let op = &model.consumes[api].operations[index];
    let base = if model.consumes.len() > 1 {
        format!("{}_{}", model.consumes[api].namespace, op.name)
    } else {
        op.name.clone()
    };
    let name = base.to_shouty_snake_case();
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => name,
        _ => format!("OP_{name}"),
    }
}

/// A credential value as a template: bound variables and inputs as `{{name}}`.
fn template(source: &ValueSource) -> String {
    match source {
        ValueSource::Secret(name) | ValueSource::Input(name) => format!("{{{{{name}}}}}"),
        ValueSource::Template(text) => text.clone(),
        ValueSource::Literal(serde_json::Value::String(text)) => text.clone(),
        ValueSource::Literal(other) => other.to_string(),
    }
}

fn auth(auth: Option<&OutboundAuth>) -> TokenStream {
    let Some(auth) = auth else {
        return quote! { None };
    };
    let spec = match auth {
        OutboundAuth::ApiKey {
            name,
            placement,
            value,
        } => {
            let value = template(value);
            let placement = match placement {
                KeyPlacement::Query => quote! { Query },
                KeyPlacement::Header => quote! { Header },
                KeyPlacement::Cookie => quote! { Cookie },
            };
            quote! { ApiKey { name: #name, placement: support::declared::KeyPlacement::#placement, value: #value } }
        }
        OutboundAuth::Bearer { token } => {
            let token = template(token);
            quote! { Bearer { token: #token } }
        }
        OutboundAuth::Basic { username, password } => {
            let (username, password) = (template(username), template(password));
            quote! { Basic { username: #username, password: #password } }
        }
        OutboundAuth::Digest { username, password } => {
            let (username, password) = (template(username), template(password));
            quote! { Digest { username: #username, password: #password } }
        }
    };
    quote! { Some(support::declared::AuthSpec::#spec) }
}

fn format(format: RawFormat) -> TokenStream {
    let variant = format_ident!(
        "{}",
        match format {
            RawFormat::Json => "Json",
            RawFormat::Xml => "Xml",
            RawFormat::Yaml => "Yaml",
            RawFormat::Csv => "Csv",
            RawFormat::Tsv => "Tsv",
            RawFormat::Psv => "Psv",
            RawFormat::Html => "Html",
            RawFormat::Markdown => "Markdown",
            RawFormat::Avro | RawFormat::Protobuf | RawFormat::Raw => "Raw",
        }
    );
    quote! { support::formats::Format::#variant }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(text) => quote! { Some(#text) },
        None => quote! { None },
    }
}

fn body(body: Option<&DeclaredBody>) -> TokenStream {
    let Some(body) = body else {
        return quote! { None };
    };
    let spec = match body {
        DeclaredBody::Template {
            media_type,
            template,
        } => quote! { Template { media_type: #media_type, template: #template } },
        DeclaredBody::Form { fields } => {
            let fields = fields
                .iter()
                .map(|(name, value)| quote! { (#name, #value) });
            quote! { Form(&[#(#fields),*]) }
        }
        DeclaredBody::Multipart { parts } => {
            let parts = parts.iter().map(|part| {
                let (name, value) = (&part.name, &part.value);
                let filename = option_str(part.filename.as_deref());
                let content_type = option_str(part.content_type.as_deref());
                quote! { support::declared::PartSpec { name: #name, value: #value, filename: #filename, content_type: #content_type } }
            });
            quote! { Multipart(&[#(#parts),*]) }
        }
    };
    quote! { Some(support::declared::BodySpec::#spec) }
}

fn parameter(param: &WireParameter) -> TokenStream {
    let name = &param.name;
    let location = format_ident!(
        "{}",
        match param.location {
            WireLocation::Query => "Query",
            WireLocation::Header => "Header",
            WireLocation::Path => "Path",
            WireLocation::Cookie => "Cookie",
            WireLocation::Body => "Body",
            WireLocation::Environment => "Environment",
        }
    );
    let value = option_str(param.value.as_deref());
    quote! { support::declared::ParamSpec { name: #name, location: support::declared::WireIn::#location, value: #value } }
}

/// `src/consumes.rs`.
pub fn tokens(model: &CapabilityModel, calls: &Calls) -> TokenStream {
    let apis = model.consumes.iter().map(|api| {
        let namespace = &api.namespace;
        let auth = auth(api.auth.as_ref());
        let parameters = api.parameters.iter().map(parameter);
        quote! { support::declared::ApiSpec { namespace: #namespace, auth: #auth, parameters: &[#(#parameters),*] } }
    });
    let operations = calls.declared().map(|(api, index)| {
        let op = &model.consumes[api].operations[index];
        let name = format_ident!("{}", spec_name(model, api, index));
        let doc = format!(
            " `{}.{}`: `{} {}`.",
            model.consumes[api].namespace, op.name, op.method, op.request.path
        );
        let (op_name, method, path) = (&op.name, &op.method, &op.request.path);
        let parameters = op.request.parameters.iter().map(parameter);
        let body = body(op.request.body.as_ref());
        let format = format(op.format);
        let selector = option_str(op.selector.as_deref());
        let api = proc_macro2::Literal::usize_unsuffixed(api);
        quote! {
            #[doc = #doc]
            pub static #name: support::declared::OperationSpec = support::declared::OperationSpec {
                api: #api,
                name: #op_name,
                method: #method,
                path: #path,
                parameters: &[#(#parameters),*],
                body: #body,
                format: #format,
                selector: #selector,
            };
        }
    });
    quote! {
        //! The consumed APIs and the operations sent as the capability declares them.

        use crate::support;

        /// One entry per `consumes` entry, in declaration order.
        pub static APIS: &[support::declared::ApiSpec] = &[#(#apis),*];

        #(#operations)*
    }
}
