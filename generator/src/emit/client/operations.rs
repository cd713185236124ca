//! `src/operations.rs` of the client crate: per operation a request builder, its success type
//! and its error enum, and a pager for operations with continuation tokens.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::emit::client::docs;
use crate::emit::client::types::{Site, tokens};
use crate::model::api::{
    Api, BodyKind, Operation, Param, ParamLocation, ParamStyle, Response, Status,
};
use crate::model::types::{TypeRef, TypeSpace};

/// How `send` returns success, decided by the documented success responses.
pub enum SuccessShape<'a> {
    /// No success documented: any 2xx is `()`.
    Nothing,
    /// One success without headers: its body (or `()`) directly.
    Body(&'a Response),
    /// One success with headers: a struct of headers and body.
    Struct(&'a Response),
    /// Several: an enum with one variant per status.
    Enum(Vec<&'a Response>),
}

pub fn success_shape(op: &Operation) -> SuccessShape<'_> {
    let successes: Vec<&Response> = op.successes().collect();
    match successes.as_slice() {
        [] => SuccessShape::Nothing,
        [one] if one.headers.is_empty() => SuccessShape::Body(one),
        [one] => SuccessShape::Struct(one),
        _ => SuccessShape::Enum(successes),
    }
}

/// The Rust type `send` returns on success.
pub fn success_type(api: &Api, op: &Operation) -> TokenStream {
    match success_shape(op) {
        SuccessShape::Nothing => quote!(()),
        SuccessShape::Body(response) => body_type(&api.types, response),
        SuccessShape::Struct(_) | SuccessShape::Enum(_) => {
            let name = format_ident!("{}Success", op.type_name);
            quote!(#name)
        }
    }
}

fn body_type(space: &TypeSpace, response: &Response) -> TokenStream {
    match (&response.kind, &response.ty) {
        (Some(BodyKind::Text), _) => quote!(String),
        (Some(BodyKind::Binary), _) => quote!(bytes::Bytes),
        (Some(_), Some(ty)) => tokens(space, ty, Site::Elsewhere),
        (Some(_), None) => quote!(serde_json::Value),
        (None, _) => quote!(()),
    }
}

fn error_body_type(space: &TypeSpace, response: &Response) -> TokenStream {
    match (&response.kind, &response.ty) {
        (None, _) => quote!(serde_json::Value),
        (Some(BodyKind::Text), _) => quote!(String),
        (Some(BodyKind::Binary), _) => quote!(bytes::Bytes),
        (Some(_), Some(ty)) => tokens(space, ty, Site::Elsewhere),
        (Some(_), None) => quote!(serde_json::Value),
    }
}

/// The type a parameter's value has in the builder.
pub fn param_type(space: &TypeSpace, param: &Param) -> TokenStream {
    tokens(space, &param.ty, Site::Elsewhere)
}

/// The type of the body argument.
pub fn body_arg_type(api: &Api, op: &Operation) -> Option<TokenStream> {
    let body = op.body.as_ref()?;
    Some(match body.kind {
        BodyKind::Multipart => quote!(reqwest::multipart::Form),
        BodyKind::Text => quote!(String),
        BodyKind::Binary => quote!(bytes::Bytes),
        BodyKind::Json | BodyKind::Form => tokens(&api.types, &body.ty, Site::Elsewhere),
    })
}

fn status_text(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(class) => format!("{class}XX"),
        Status::Default => "default".to_owned(),
    }
}

/// The items of one operation.
pub fn operation(api: &Api, op: &Operation, security: &TokenStream) -> TokenStream {
    let space = &api.types;
    let builder = format_ident!("{}", op.type_name);
    let error = format_ident!("{}Error", op.type_name);
    let method_name = &op.rust_name;
    let link = format!("[`Client::{method_name}`](crate::Client::{method_name})");
    let multipart = op
        .body
        .as_ref()
        .is_some_and(|it| it.kind == BodyKind::Multipart);

    let mut fields = Vec::new();
    for param in op.call_params() {
        let name = format_ident!("{}", param.rust_name);
        let ty = param_type(space, param);
        let ty = if param.required {
            ty
        } else {
            quote!(Option<#ty>)
        };
        fields.push(quote!(pub(crate) #name: #ty,));
    }
    if let (Some(body), Some(ty)) = (&op.body, body_arg_type(api, op)) {
        let ty = if body.required {
            ty
        } else {
            quote!(Option<#ty>)
        };
        fields.push(quote!(pub(crate) body: #ty,));
    }

    let setters = op.optional().map(|param| setter(space, param));
    let body_setter = match (&op.body, body_arg_type(api, op)) {
        (Some(body), Some(ty)) if !body.required => {
            let text = docs::paragraphs([
                body.description.as_deref(),
                Some(&format!("The `{}` request body.", body.media_type)),
            ]);
            let docs = docs::attrs(&text);
            quote! {
                #docs
                pub fn body(mut self, value: impl Into<#ty>) -> Self {
                    self.body = Some(value.into());
                    self
                }

                /// Sets or clears the request body (see [`Self::body`]).
                pub fn maybe_body(mut self, value: Option<#ty>) -> Self {
                    self.body = value;
                    self
                }
            }
        }
        _ => TokenStream::new(),
    };

    let send_raw_body = send_raw_body(op, security);
    let (success_items, send) = send(api, op);
    let error_items = error_enum(api, op);
    let pages = pages(api, op);
    let derive = if multipart {
        quote!(#[derive(Debug)])
    } else {
        quote!(#[derive(Clone, Debug)])
    };
    let builder_docs = docs::own(&format!(
        "A `{}` request: see {link}.\n\nSet optional parameters with the methods named after them, then call\n[`send`](Self::send) for the decoded response or [`send_raw`](Self::send_raw) for the response\nas received.",
        op.key.replace('`', "'")
    ));
    let multipart_note = if multipart {
        docs::own("\nMultipart forms cannot be cloned, so neither can this request.")
    } else {
        TokenStream::new()
    };
    let return_type = success_type(api, op);
    let send_docs = docs::own(&format!(
        "Sends the request and decodes the response.\n\nDocumented error statuses are variants of [`{error}`]; any other status is\n[`{error}::UnexpectedStatus`]."
    ));
    quote! {
        #builder_docs
        #multipart_note
        #derive
        #[must_use = "a request does nothing until it is sent"]
        pub struct #builder<'a> {
            pub(crate) client: &'a Client,
            #(#fields)*
        }

        impl #builder<'_> {
            #(#setters)*
            #body_setter

            /// Sends the request and returns the response as received: status, headers and
            /// body bytes, whatever the status.
            pub async fn send_raw(self) -> Result<RawResponse, Error> {
                #send_raw_body
            }

            #send_docs
            pub async fn send(self) -> Result<#return_type, #error> {
                #send
            }
        }

        #success_items
        #error_items
        #pages
    }
}

fn setter(space: &TypeSpace, param: &Param) -> TokenStream {
    let name = format_ident!("{}", param.rust_name);
    let maybe = format_ident!("maybe_{}", param.rust_name);
    let ty = param_type(space, param);
    let location = match param.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    };
    let fallback = format!(
        "The `{}` {location} parameter.",
        param.wire_name.replace('`', "'")
    );
    let text = match &param.description {
        Some(text) if !docs::sanitize(text).trim().is_empty() => text.clone(),
        _ => fallback,
    };
    let docs = docs::attrs(&text);
    let maybe_docs = docs::own(&format!(
        "Sets or clears `{}` (see [`Self::{}`]).",
        param.wire_name.replace('`', "'"),
        param.rust_name
    ));
    let deprecated = if param.deprecated {
        quote!(#[deprecated])
    } else {
        TokenStream::new()
    };
    quote! {
        #docs
        #deprecated
        pub fn #name(mut self, value: impl Into<#ty>) -> Self {
            self.#name = Some(value.into());
            self
        }

        #maybe_docs
        #deprecated
        pub fn #maybe(mut self, value: Option<#ty>) -> Self {
            self.#name = value;
            self
        }
    }
}

fn style_tokens(style: ParamStyle) -> TokenStream {
    match style {
        ParamStyle::Simple => quote!(Style::Simple),
        ParamStyle::Label => quote!(Style::Label),
        ParamStyle::Matrix => quote!(Style::Matrix),
        ParamStyle::Form => quote!(Style::Form),
        ParamStyle::SpaceDelimited => quote!(Style::SpaceDelimited),
        ParamStyle::PipeDelimited => quote!(Style::PipeDelimited),
        ParamStyle::DeepObject => quote!(Style::DeepObject),
        ParamStyle::Json => quote!(Style::Json),
    }
}

fn send_raw_body(op: &Operation, security: &TokenStream) -> TokenStream {
    let method = format_ident!("{}", op.method);
    let mut statements = Vec::new();
    // The path: literal pieces and parameters in template order.
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}').map(|it| it + start) else {
            break;
        };
        let literal = &rest[..start];
        if !literal.is_empty() {
            statements.push(quote!(request.path(#literal);));
        }
        let variable = &rest[start + 1..end];
        if let Some(param) = op
            .params
            .iter()
            .find(|it| it.location == ParamLocation::Path && it.wire_name == variable)
        {
            let name = format_ident!("{}", param.rust_name);
            let style = style_tokens(param.style);
            let explode = param.explode;
            statements.push(quote!(request.path_param(#variable, &self.#name, #style, #explode);));
        }
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        statements.push(quote!(request.path(#rest);));
    }
    for param in op
        .call_params()
        .filter(|it| it.location != ParamLocation::Path)
    {
        let name = format_ident!("{}", param.rust_name);
        let wire = &param.wire_name;
        let explode = param.explode;
        let style = style_tokens(param.style);
        statements.push(match param.location {
            ParamLocation::Query => quote!(request.query(#wire, &self.#name, #style, #explode);),
            ParamLocation::Header => quote!(request.header(#wire, &self.#name, #explode);),
            ParamLocation::Cookie => quote!(request.cookie(#wire, &self.#name, #explode);),
            ParamLocation::Path => TokenStream::new(),
        });
    }
    if let Some(accept) = accept(op) {
        statements.push(quote!(request.accept(#accept);));
    }
    if let Some(body) = &op.body {
        let media: &str = if body.kind == BodyKind::Json && body.media_type.contains('*') {
            "application/json"
        } else {
            &body.media_type
        };
        let encode = match body.kind {
            BodyKind::Json => quote!(request.json(&body, #media);),
            BodyKind::Form => quote!(request.form(&body, #media);),
            BodyKind::Text => quote!(request.bytes(bytes::Bytes::from(body), #media);),
            BodyKind::Binary => quote!(request.bytes(body, #media);),
            BodyKind::Multipart => quote!(request.custom_body(move |it| it.multipart(body));),
        };
        statements.push(if body.required {
            quote! {
                let body = self.body;
                #encode
            }
        } else {
            quote! {
                if let Some(body) = self.body {
                    #encode
                }
            }
        });
    }
    let route = &op.path;
    quote! {
        let mut request = RequestParts::new(reqwest::Method::#method, #route);
        #(#statements)*
        self.client.execute(request, #security).await
    }
}

/// The `Accept` header: the JSON media type of the success responses, if they are JSON.
fn accept(op: &Operation) -> Option<String> {
    let media = op
        .successes()
        .filter(|it| it.kind == Some(BodyKind::Json))
        .find_map(|it| it.media_type.clone())?;
    let essence = media.split(';').next().unwrap_or("").trim().to_owned();
    if essence.contains('*') {
        None
    } else {
        Some(essence)
    }
}

fn pattern(status: Status, success: bool) -> TokenStream {
    match status {
        Status::Code(code) => {
            let code = Literal::u16_unsuffixed(code);
            quote!(#code)
        }
        Status::Range(class) => {
            let low = Literal::u16_unsuffixed(u16::from(class) * 100);
            let high = Literal::u16_unsuffixed(u16::from(class) * 100 + 99);
            quote!(#low..=#high)
        }
        Status::Default if success => quote!(200..=299),
        Status::Default => quote!(_),
    }
}

/// Responses in match order: codes, then ranges, then `default`.
fn ordered(op: &Operation) -> Vec<&Response> {
    let mut res: Vec<&Response> = op.responses.iter().collect();
    res.sort_by_key(|it| match it.status {
        Status::Code(_) => 0,
        Status::Range(_) => 1,
        Status::Default => 2,
    });
    res
}

/// Headers read from `response` into fields, before the body is consumed.
fn header_fields(
    space: &TypeSpace,
    response: &Response,
    public: bool,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let vis = if public {
        quote!(pub)
    } else {
        TokenStream::new()
    };
    let mut definitions = Vec::new();
    let mut reads = Vec::new();
    for header in &response.headers {
        let name = format_ident!("{}", header.rust_name);
        let ty = tokens(space, header.ty.non_null(), Site::Elsewhere);
        let wire = &header.wire_name;
        let text = match &header.description {
            Some(text) if !docs::sanitize(text).trim().is_empty() => text.clone(),
            _ => format!("The `{wire}` header."),
        };
        let docs = docs::attrs(&text);
        definitions.push(quote! {
            #docs
            #vis #name: Option<#ty>,
        });
        reads.push(quote!(#name: response.header_as(#wire),));
    }
    (definitions, reads)
}

fn body_read(response: &Response) -> TokenStream {
    match response.kind {
        None => quote!(()),
        Some(BodyKind::Text) => quote!(response.text()?),
        Some(BodyKind::Binary) => quote!(response.into_parts().2),
        Some(_) => quote!(response.json()?),
    }
}

fn send(api: &Api, op: &Operation) -> (TokenStream, TokenStream) {
    let space = &api.types;
    let error = format_ident!("{}Error", op.type_name);
    let success = format_ident!("{}Success", op.type_name);
    let shape = success_shape(op);
    let mut items = TokenStream::new();
    let mut arms = Vec::new();
    let mut has_wildcard = false;
    match &shape {
        SuccessShape::Nothing => arms.push(quote!(200..=299 => Ok(()),)),
        SuccessShape::Body(response) => {
            let pattern = pattern(response.status, true);
            let read = body_read(response);
            arms.push(quote!(#pattern => Ok(#read),));
        }
        SuccessShape::Struct(response) => {
            let pattern = pattern(response.status, true);
            let (definitions, reads) = header_fields(space, response, true);
            let (body_field, body_read) = match response.kind {
                Some(_) => {
                    let ty = body_type(space, response);
                    let read = body_read(response);
                    (
                        quote!(/// The response body.
                        pub body: #ty,),
                        quote!(body: #read,),
                    )
                }
                None => (TokenStream::new(), TokenStream::new()),
            };
            let text = docs::paragraphs([
                Some(
                    format!(
                        "The `{}` response of [`{}`].",
                        status_text(response.status),
                        op.type_name
                    )
                    .as_str(),
                ),
                response.description.as_deref(),
            ]);
            let docs = docs::attrs(&text);
            items.extend(quote! {
                #docs
                #[derive(Clone, Debug, PartialEq)]
                pub struct #success {
                    #(#definitions)*
                    #body_field
                }
            });
            arms.push(quote!(#pattern => Ok(#success { #(#reads)* #body_read }),));
        }
        SuccessShape::Enum(responses) => {
            let mut variants = Vec::new();
            for response in responses {
                let variant = format_ident!("{}", response.variant);
                let text = docs::paragraphs([
                    Some(format!("`{}`", status_text(response.status)).as_str()),
                    response.description.as_deref(),
                ]);
                let docs = docs::attrs(&text);
                let pattern = pattern(response.status, true);
                if response.headers.is_empty() {
                    match response.kind {
                        Some(_) => {
                            let ty = body_type(space, response);
                            let read = body_read(response);
                            variants.push(quote!(#docs #variant(#ty),));
                            arms.push(quote!(#pattern => Ok(#success::#variant(#read)),));
                        }
                        None => {
                            variants.push(quote!(#docs #variant,));
                            arms.push(quote!(#pattern => Ok(#success::#variant),));
                        }
                    }
                } else {
                    let (definitions, reads) = header_fields(space, response, false);
                    let (body_field, read) = match response.kind {
                        Some(_) => {
                            let ty = body_type(space, response);
                            let read = body_read(response);
                            (
                                quote!(/// The response body.
                                body: #ty,),
                                quote!(body: #read,),
                            )
                        }
                        None => (TokenStream::new(), TokenStream::new()),
                    };
                    variants.push(quote!(#docs #variant { #(#definitions)* #body_field },));
                    arms.push(quote!(#pattern => Ok(#success::#variant { #(#reads)* #read }),));
                }
            }
            let text = format!(
                "The success responses of [`{}`], one variant per documented status.",
                op.type_name
            );
            let docs = docs::own(&text);
            items.extend(quote! {
                #docs
                #[derive(Clone, Debug, PartialEq)]
                #[allow(clippy::large_enum_variant)]
                pub enum #success {
                    #(#variants)*
                }
            });
        }
    }
    let mut error_arms = Vec::new();
    for response in ordered(op).into_iter().filter(|it| !it.success) {
        let variant = format_ident!("{}", response.variant);
        let pattern = pattern(response.status, false);
        has_wildcard |= response.status == Status::Default;
        let read = match response.kind {
            None | Some(BodyKind::Json) | Some(BodyKind::Form) | Some(BodyKind::Multipart) => {
                quote!(response.error_json())
            }
            Some(BodyKind::Text) => quote!(response.error_text()),
            Some(BodyKind::Binary) => quote!(response.error_bytes()),
        };
        error_arms.push(quote!(#pattern => Err(#error::#variant(#read)),));
    }
    let unexpected = if has_wildcard {
        TokenStream::new()
    } else {
        quote!(_ => Err(#error::UnexpectedStatus(response)),)
    };
    let send = quote! {
        let response = self.send_raw().await?;
        match response.status().as_u16() {
            #(#arms)*
            #(#error_arms)*
            #unexpected
        }
    };
    (items, send)
}

fn error_enum(api: &Api, op: &Operation) -> TokenStream {
    let space = &api.types;
    let error = format_ident!("{}Error", op.type_name);
    let method_name = &op.rust_name;
    let mut variants = Vec::new();
    let mut display = Vec::new();
    let mut status = Vec::new();
    let mut raw = Vec::new();
    for response in op.errors() {
        let variant = format_ident!("{}", response.variant);
        let ty = error_body_type(space, response);
        let text = docs::paragraphs([
            Some(format!("`{}`", status_text(response.status)).as_str()),
            response.description.as_deref(),
        ]);
        let docs = docs::attrs(&text);
        variants.push(quote! {
            #docs
            #variant(ErrorResponse<#ty>),
        });
        display.push(quote!(#error::#variant(response) => write_status(f, #method_name, response.status(), response.message()),));
        status.push(quote!(#error::#variant(response) => Some(response.status()),));
        raw.push(quote!(#error::#variant(response) => Some(response.raw()),));
    }
    let with_err = format!("{method_name}: {{err}}");
    let docs = docs::own(&format!(
        "Why [`{}`] failed: a documented error status, or a failure of any request.",
        op.type_name
    ));
    quote! {
        #docs
        #[derive(Debug)]
        pub enum #error {
            #(#variants)*
            /// A status the API description does not list for this operation.
            UnexpectedStatus(RawResponse),
            /// The request could not be built.
            Request(RequestError),
            /// No response was received.
            Transport(TransportError),
            /// A success response whose body does not have the documented shape.
            Decode(DecodeError),
        }

        impl #error {
            /// The HTTP status, when a response was received.
            pub fn status(&self) -> Option<reqwest::StatusCode> {
                match self {
                    #(#status)*
                    #error::UnexpectedStatus(response) => Some(response.status()),
                    #error::Decode(err) => Some(err.response.status()),
                    #error::Request(_) | #error::Transport(_) => None,
                }
            }

            /// The response as received, when there was one.
            pub fn raw_response(&self) -> Option<&RawResponse> {
                match self {
                    #(#raw)*
                    #error::UnexpectedStatus(response) => Some(response),
                    #error::Decode(err) => Some(&err.response),
                    #error::Request(_) | #error::Transport(_) => None,
                }
            }
        }

        impl std::fmt::Display for #error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    #(#display)*
                    #error::UnexpectedStatus(response) => write_status(f, #method_name, response.status(), response.message()),
                    #error::Request(err) => write!(f, #with_err),
                    #error::Transport(err) => write!(f, #with_err),
                    #error::Decode(err) => write!(f, #with_err),
                }
            }
        }

        impl std::error::Error for #error {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                match self {
                    #error::Request(err) => Some(err),
                    #error::Transport(err) => Some(err),
                    #error::Decode(err) => Some(err),
                    _ => None,
                }
            }
        }

        impl From<Error> for #error {
            fn from(err: Error) -> Self {
                match err {
                    Error::Request(err) => #error::Request(err),
                    Error::Transport(err) => #error::Transport(err),
                }
            }
        }

        impl From<DecodeError> for #error {
            fn from(err: DecodeError) -> Self {
                #error::Decode(err)
            }
        }
    }
}

/// The pager of an operation with continuation tokens.
fn pages(api: &Api, op: &Operation) -> TokenStream {
    let Some(paging) = &op.paging else {
        return TokenStream::new();
    };
    let Some(response) = op.successes().next() else {
        return TokenStream::new();
    };
    let builder = format_ident!("{}", op.type_name);
    let pager = format_ident!("{}Pages", op.type_name);
    let error = format_ident!("{}Error", op.type_name);
    let success = format_ident!("{}Success", op.type_name);
    let param = format_ident!("{}", paging.param);
    let header = format_ident!("{}", paging.header);
    let body_ty = body_type(&api.types, response);
    let list_item = match api
        .types
        .resolve(response.ty.as_ref().unwrap_or(&TypeRef::any()))
    {
        TypeRef::Vec(item) => Some(tokens(&api.types, item, Site::Elsewhere)),
        _ => None,
    };
    let (item_ty, extend) = match &list_item {
        Some(item) => (item.clone(), quote!(res.extend(page?);)),
        None => (body_ty.clone(), quote!(res.push(page?);)),
    };
    // A list body's items are a stream of their own, across pages.
    let items_stream = match &list_item {
        Some(item) => quote! {
            /// Every item of the remaining pages as a [`Stream`](futures_util::Stream), fetching
            /// each page when the items before it are consumed; an error ends the stream.
            pub fn items(self) -> impl futures_util::Stream<Item = Result<#item, #error>> + 'a {
                let buffered: std::collections::VecDeque<#item> = std::collections::VecDeque::new();
                futures_util::stream::unfold((self, buffered), |(mut pages, mut buffered)| async move {
                    loop {
                        if let Some(item) = buffered.pop_front() {
                            return Some((Ok(item), (pages, buffered)));
                        }
                        match pages.next_page().await? {
                            Ok(page) => buffered.extend(page),
                            Err(err) => return Some((Err(err), (pages, buffered))),
                        }
                    }
                })
            }
        },
        None => TokenStream::new(),
    };
    let wire = op
        .param(&paging.param)
        .map(|it| it.wire_name.clone())
        .unwrap_or_default();
    let pages_docs = docs::own(&format!(
        "Every page, following the `{wire}` continuation token.\n\nPaging stops when a response carries no token, an empty one, `bnVsbA==`, or one already\nseen, so it always ends. A page may be empty and still be followed by more."
    ));
    let pager_docs = docs::own(&format!(
        "The pages of a [`{builder}`] request: see [`{builder}::pages`]."
    ));
    quote! {
        impl<'a> #builder<'a> {
            #pages_docs
            pub fn pages(self) -> #pager<'a> {
                let mut tokens = PageTokens::default();
                tokens.start(self.#param.as_deref());
                #pager { next: Some(self), tokens }
            }
        }

        #pager_docs
        #[derive(Debug)]
        pub struct #pager<'a> {
            next: Option<#builder<'a>>,
            tokens: PageTokens,
        }

        impl<'a> #pager<'a> {
            /// The next page, or `None` after the last one.
            pub async fn next_page(&mut self) -> Option<Result<#body_ty, #error>> {
                let request = self.next.take()?;
                let page: #success = match request.clone().send().await {
                    Ok(page) => page,
                    Err(err) => return Some(Err(err)),
                };
                if let Some(token) = self.tokens.next(page.#header.as_deref()) {
                    self.next = Some(request.#param(token));
                }
                Some(Ok(page.body))
            }

            /// Every item of every remaining page.
            pub async fn collect_all(mut self) -> Result<Vec<#item_ty>, #error> {
                let mut res = Vec::new();
                while let Some(page) = self.next_page().await {
                    #extend
                }
                Ok(res)
            }

            /// The remaining pages as a [`Stream`](futures_util::Stream), each fetched when the
            /// one before it is consumed; an error ends the stream.
            pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<#body_ty, #error>> + 'a {
                futures_util::stream::unfold(self, |mut pages| async move {
                    let page = pages.next_page().await?;
                    Some((page, pages))
                })
            }

            #items_stream
        }
    }
}
