//! Type mapping on small documents: the tricky schema shapes of the corpus.

use std::path::Path;

use crate::load::diagnostics::Diagnostics;
use crate::load::openapi::load_file;
use crate::load::source::SourceFile;
use crate::model::types::{Scalar, TypeKind, TypeRef, TypeSpace, lower_components, type_tokens};

/// Lowers the component schemas of a document made of `head` and `schemas` (YAML, indented as
/// the members of `components.schemas`).
fn lower(openapi: &str, schemas: &str) -> (TypeSpace, Diagnostics) {
    let text = format!(
        "openapi: {openapi}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}"
    );
    let file = SourceFile::from_text(Path::new("api.yaml"), text);
    let mut diags = Diagnostics::new();
    let doc = load_file(file, &[], &mut diags).expect("the document loads");
    let space = lower_components(&doc, &mut diags);
    (space, diags)
}

/// The Rust type of a use, as text.
fn rust(space: &TypeSpace, ty: &TypeRef) -> String {
    type_tokens(space, ty, &quote::quote!(types))
        .to_string()
        .replace(' ', "")
}

fn field_types(space: &TypeSpace, name: &str) -> Vec<(String, String, bool, bool)> {
    let def = space
        .by_name(name)
        .unwrap_or_else(|| panic!("no type {name}"));
    let TypeKind::Struct(it) = &def.kind else {
        panic!("{name} is not a struct: {:?}", def.kind)
    };
    it.fields
        .iter()
        .map(|f| (f.name.clone(), rust(space, &f.ty), f.required, f.boxed))
        .collect()
}

#[test]
fn one_of_with_discriminator_is_internally_tagged() {
    let (space, diags) = lower(
        "3.0.3",
        r#"
    Pet:
      oneOf:
        - $ref: '#/components/schemas/Cat'
        - $ref: '#/components/schemas/Dog'
      discriminator:
        propertyName: petType
        mapping:
          cat: '#/components/schemas/Cat'
          kitten: '#/components/schemas/Cat'
    Cat:
      type: object
      required: [petType, lives]
      properties:
        petType: {type: string}
        lives: {type: integer, format: int32}
    Dog:
      type: object
      required: [petType]
      properties:
        petType: {type: string}
        bark: {type: boolean}
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let TypeKind::Union(pet) = &space.by_name("Pet").expect("Pet").kind else {
        panic!("not a union")
    };
    assert_eq!(pet.tag.as_deref(), Some("petType"));
    let variants: Vec<(&str, Vec<&str>)> = pet
        .variants
        .iter()
        .map(|it| {
            (
                it.name.as_str(),
                it.tags.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        variants,
        vec![("Cat", vec!["cat", "kitten"]), ("Dog", vec!["Dog"])]
    );
    // The union writes the tag, so the variants' own tag field becomes optional.
    let cat = field_types(&space, "Cat");
    assert_eq!(
        cat[0],
        (
            "pet_type".to_owned(),
            "::std::string::String".to_owned(),
            false,
            false
        )
    );
    assert_eq!(cat[1], ("lives".to_owned(), "i32".to_owned(), true, false));
}

#[test]
fn one_of_without_discriminator_is_untagged_with_named_variants() {
    let (space, _) = lower(
        "3.1.0",
        r#"
    Id:
      oneOf:
        - type: string
          format: uuid
        - type: integer
        - $ref: '#/components/schemas/Ref'
        - type: object
          properties:
            a: {type: string}
    Ref:
      type: object
      properties:
        href: {type: string}
"#,
    );
    let TypeKind::Union(id) = &space.by_name("Id").expect("Id").kind else {
        panic!("not a union")
    };
    assert_eq!(id.tag, None);
    let variants: Vec<(String, String)> = id
        .variants
        .iter()
        .map(|it| (it.name.clone(), rust(&space, &it.ty)))
        .collect();
    assert_eq!(
        variants,
        vec![
            ("String".to_owned(), "::uuid::Uuid".to_owned()),
            ("Integer".to_owned(), "i64".to_owned()),
            ("Ref".to_owned(), "types::Ref".to_owned()),
            ("Object".to_owned(), "types::IdObject".to_owned()),
        ]
    );
}

#[test]
fn untagged_variants_with_more_required_members_come_first() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    Shape:
      oneOf:
        - type: string
        - $ref: '#/components/schemas/Loose'
        - $ref: '#/components/schemas/Strict'
    Loose:
      type: object
      required: [a]
      properties: {a: {type: string}}
    Strict:
      type: object
      required: [a, b]
      properties: {a: {type: string}, b: {type: string}}
"#,
    );
    let TypeKind::Union(shape) = &space.by_name("Shape").expect("Shape").kind else {
        panic!()
    };
    let names: Vec<&str> = shape.variants.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(names, vec!["Strict", "Loose", "String"]);
}

#[test]
fn all_of_chains_merge_into_one_struct() {
    let (space, diags) = lower(
        "3.0.3",
        r#"
    Base:
      type: object
      required: [id]
      properties:
        id: {type: string}
    Middle:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            created: {type: string, format: date-time}
    Leaf:
      description: The most derived.
      allOf:
        - $ref: '#/components/schemas/Middle'
        - type: object
          required: [name]
          properties:
            name: {type: string}
            details:
              type: object
              properties:
                note: {type: string}
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let leaf = field_types(&space, "Leaf");
    let names: Vec<(&str, &str, bool)> = leaf
        .iter()
        .map(|it| (it.0.as_str(), it.1.as_str(), it.2))
        .collect();
    assert_eq!(
        names,
        vec![
            ("id", "::std::string::String", true),
            ("created", "::chrono::DateTime<::chrono::Utc>", false),
            ("name", "::std::string::String", true),
            ("details", "types::LeafDetails", false),
        ]
    );
    assert_eq!(
        space.by_name("Leaf").and_then(|it| it.docs.as_deref()),
        Some("The most derived.")
    );
}

#[test]
fn single_ref_all_of_with_description_is_the_referenced_type() {
    let (space, _) = lower(
        "3.1.0",
        r#"
    Owner:
      type: object
      properties:
        pet:
          $ref: '#/components/schemas/Pet'
          description: The owner's pet.
    Pet:
      type: object
      properties:
        name: {type: string}
"#,
    );
    let owner = space.by_name("Owner").expect("Owner");
    let TypeKind::Struct(it) = &owner.kind else {
        panic!()
    };
    assert_eq!(rust(&space, &it.fields[0].ty), "types::Pet");
    assert_eq!(it.fields[0].docs.as_deref(), Some("The owner's pet."));
}

#[test]
fn a_ref_with_a_sibling_type_it_already_has_is_the_referenced_type() {
    let (space, diags) = lower(
        "3.1.0",
        r#"
    Query:
      type: object
      properties:
        order:
          $ref: '#/components/schemas/Order'
          type: string
          description: Sort order.
        count:
          $ref: '#/components/schemas/Order'
          type: integer
    Order: {type: string, enum: [asc, desc]}
"#,
    );
    let fields = field_types(&space, "Query");
    assert_eq!(fields[0].1, "types::Order");
    // A sibling type that contradicts the reference cannot be merged (and says so).
    assert_eq!(fields[1].1, "::serde_json::Value");
    assert_eq!(
        diags
            .iter()
            .filter(|it| it.message.contains("cannot be merged"))
            .count(),
        1
    );
}

#[test]
fn recursive_types_are_boxed_only_where_needed() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    Node:
      type: object
      required: [value]
      properties:
        value: {type: string}
        parent: {$ref: '#/components/schemas/Node'}
        children:
          type: array
          items: {$ref: '#/components/schemas/Node'}
        index:
          type: object
          additionalProperties: {$ref: '#/components/schemas/Node'}
    A:
      type: object
      properties:
        b: {$ref: '#/components/schemas/B'}
    B:
      type: object
      properties:
        a: {$ref: '#/components/schemas/A'}
    List:
      type: array
      items: {$ref: '#/components/schemas/List'}
"#,
    );
    let node = field_types(&space, "Node");
    let boxed: Vec<(&str, bool)> = node.iter().map(|it| (it.0.as_str(), it.3)).collect();
    assert_eq!(
        boxed,
        vec![
            ("value", false),
            ("parent", true),
            ("children", false),
            ("index", false)
        ]
    );
    assert!(field_types(&space, "A")[0].3);
    assert!(field_types(&space, "B")[0].3);
    // `type List = Vec<List>` is not valid Rust: a newtype instead.
    assert!(matches!(
        space.by_name("List").map(|it| &it.kind),
        Some(TypeKind::Newtype { .. })
    ));
}

#[test]
fn enums_with_odd_values_get_distinct_variants_and_a_fallback() {
    let (space, _) = lower(
        "3.1.0",
        r#"
    Mark:
      type: string
      enum: ['.', X, O, '-', '+1', '-1', '', 'in_progress', 'In Progress', Unknown]
"#,
    );
    let TypeKind::Enum(mark) = &space.by_name("Mark").expect("Mark").kind else {
        panic!("not an enum")
    };
    let names: Vec<&str> = mark.variants.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Dot",
            "X",
            "O",
            "Minus",
            "Plus1",
            "Minus1",
            "Empty",
            "InProgress",
            "InProgress2",
            "Unknown"
        ]
    );
    assert_eq!(mark.fallback, "Other");
}

#[test]
fn keywords_and_odd_property_names_are_escaped() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    Thing:
      type: object
      properties:
        type: {type: string}
        self: {type: string}
        $ref: {type: string}
        match: {type: string}
        Type: {type: string}
        '@id': {type: string}
        2fa: {type: boolean}
    Self:
      type: string
    String:
      type: object
      properties:
        x: {type: string}
"#,
    );
    let names: Vec<String> = field_types(&space, "Thing")
        .into_iter()
        .map(|it| it.0)
        .collect();
    assert_eq!(
        names,
        vec!["type_", "self_", "ref_", "match_", "type_2", "id", "_2fa"]
    );
    assert!(space.by_name("Self_").is_some());
    // Prelude names stay free for the generated code.
    assert_eq!(
        space.by_component("String").map(|it| it.name.as_str()),
        Some("String2")
    );
}

#[test]
fn openapi_31_type_arrays_and_30_nullable() {
    let (space, _) = lower(
        "3.1.0",
        r#"
    T:
      type: object
      required: [a, b]
      properties:
        a: {type: [string, 'null']}
        b: {type: [string, integer]}
        c: {type: 'null'}
        d:
          oneOf:
            - $ref: '#/components/schemas/U'
            - type: 'null'
        e: {}
    U:
      type: [object, 'null']
      properties:
        x: {type: string}
"#,
    );
    let t = field_types(&space, "T");
    assert_eq!(t[0].1, "::std::option::Option<::std::string::String>");
    assert_eq!(t[1].1, "types::TB");
    assert_eq!(t[2].1, "::serde_json::Value");
    assert_eq!(t[3].1, "::std::option::Option<types::U>");
    assert_eq!(t[4].1, "::serde_json::Value");
    let TypeKind::Union(b) = &space.by_name("TB").expect("TB").kind else {
        panic!()
    };
    assert_eq!(
        b.variants
            .iter()
            .map(|it| it.name.as_str())
            .collect::<Vec<_>>(),
        vec!["String", "Integer"]
    );
}

#[test]
fn nullable_30_and_maps() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    M:
      type: object
      properties:
        labels:
          type: object
          additionalProperties: {type: string}
        free:
          type: object
          additionalProperties: true
        anything:
          type: object
        count:
          type: integer
          format: int64
          nullable: true
        when: {type: string, format: date}
        blob: {type: string, format: byte}
    Open:
      type: object
      properties:
        known: {type: string}
      additionalProperties:
        type: integer
"#,
    );
    let m = field_types(&space, "M");
    assert_eq!(
        m[0].1,
        "::std::collections::BTreeMap<::std::string::String,::std::string::String>"
    );
    assert_eq!(
        m[1].1,
        "::std::collections::BTreeMap<::std::string::String,::serde_json::Value>"
    );
    assert_eq!(
        m[2].1,
        "::std::collections::BTreeMap<::std::string::String,::serde_json::Value>"
    );
    assert_eq!(m[3].1, "::std::option::Option<i64>");
    assert_eq!(m[4].1, "::chrono::NaiveDate");
    assert_eq!(m[5].1, "types::Base64");
    let TypeKind::Struct(open) = &space.by_name("Open").expect("Open").kind else {
        panic!()
    };
    let extra = open.additional.as_ref().expect("flattened map");
    assert_eq!(
        (extra.name.as_str(), rust(&space, &extra.value)),
        ("additional_properties", "i64".to_owned())
    );
}

#[test]
fn string_alternatives_merge_into_one_enum() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    Size:
      anyOf:
        - type: string
          enum: [small, large]
        - type: string
"#,
    );
    let TypeKind::Enum(size) = &space.by_name("Size").expect("Size").kind else {
        panic!("not an enum")
    };
    assert_eq!(
        size.variants
            .iter()
            .map(|it| it.wire.as_str())
            .collect::<Vec<_>>(),
        vec!["small", "large"]
    );
}

#[test]
fn component_names_collide_case_insensitively() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    pet:
      type: object
      properties: {a: {type: string}}
    Pet:
      type: object
      properties: {b: {type: string}}
"#,
    );
    let names: Vec<&str> = space.defs.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(names, vec!["Pet", "Pet2"]);
}

#[test]
fn unmergeable_all_of_degrades_with_a_located_warning() {
    let (space, diags) = lower(
        "3.0.3",
        r#"
    Odd:
      allOf:
        - type: string
        - type: object
          properties: {a: {type: string}}
"#,
    );
    assert!(matches!(
        space.by_name("Odd").map(|it| &it.kind),
        Some(TypeKind::Alias {
            target: TypeRef::Scalar(Scalar::Any)
        })
    ));
    let warning = diags.iter().next().expect("a warning");
    assert_eq!(warning.code.as_str(), "O203");
    assert_eq!(warning.pointer(), Some("/components/schemas/Odd"));
}

/// A timeout found while fuzzing (`openapi_yaml`): every level of an `allOf` diamond doubled the walk,
/// so 30 levels in a 2 KB document took hours.
#[test]
fn all_of_diamonds_are_merged_in_linear_time() {
    let levels = 40;
    let mut schemas = String::new();
    for level in 0..levels {
        let next = level + 1;
        schemas.push_str(&format!(
            "    S{level}: {{allOf: [{{$ref: '#/components/schemas/S{next}'}}, {{$ref: '#/components/schemas/S{next}'}}]}}\n"
        ));
    }
    schemas.push_str(&format!(
        "    S{levels}: {{type: object, properties: {{x: {{type: string}}}}}}\n"
    ));
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (space, diags) = lower("3.0.3", &schemas);
        let _ = done.send((field_types(&space, "S0"), diags.is_empty()));
    });
    let (fields, clean) = finished
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("lowering 40 levels of `allOf` diamonds finishes within 30 s");
    assert!(clean);
    assert_eq!(
        fields,
        vec![(
            "x".to_owned(),
            "::std::string::String".to_owned(),
            false,
            false
        )]
    );
}

#[test]
fn string_formats_map_to_their_rust_types() {
    let (space, _) = lower(
        "3.0.3",
        r#"
    Formats:
      type: object
      required: [at, day, id, data, plain]
      properties:
        at: {type: string, format: date-time}
        day: {type: string, format: date}
        id: {type: string, format: uuid}
        data: {type: string, format: byte}
        plain: {type: string, format: password}
    Base64:
      type: string
"#,
    );
    let fields = field_types(&space, "Formats");
    let types: Vec<&str> = fields.iter().map(|it| it.1.as_str()).collect();
    assert_eq!(
        types,
        [
            "::chrono::DateTime<::chrono::Utc>",
            "::chrono::NaiveDate",
            "::uuid::Uuid",
            "types::Base64",
            "::std::string::String",
        ]
    );
    // A schema called `Base64` does not take the name of the client's own type.
    assert!(space.by_name("Base64").is_none());
}
