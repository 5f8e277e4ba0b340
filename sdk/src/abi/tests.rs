use super::*;

fn abi_json(params: &str, ret: &str, errors: &str) -> String {
    format!(r#"{{"parameters": {params}, "return_type": {ret}, "error_types": {errors}}}"#)
}

#[test]
fn reads_the_nargo_abi_shape_with_every_error_kind() {
    let json = abi_json(
        r#"[{"name": "s", "type": {"kind": "struct", "path": "m::S", "fields": [
                {"name": "a", "type": {"kind": "integer", "sign": "signed", "width": 8}},
                {"name": "b", "type": {"kind": "array", "length": 2, "type": {"kind": "boolean"}}}]},
             "visibility": "public"},
            {"name": "t", "type": {"kind": "tuple", "fields": [{"kind": "field"}, {"kind": "string", "length": 3}]},
             "visibility": "databus"}]"#,
        r#"{"abi_type": {"kind": "integer", "sign": "unsigned", "width": 64}, "visibility": "public"}"#,
        r#"{"1": {"error_kind": "string", "string": "boom"},
            "2": {"error_kind": "fmtstring", "length": 5, "item_types": [{"kind": "field"}]},
            "18446744073709551615": {"error_kind": "custom", "kind": "struct", "path": "E", "fields": [{"name": "code", "type": {"kind": "field"}}]}}"#,
    );
    let abi: Abi = serde_json::from_str(&json).unwrap();
    assert_eq!(abi.parameters()[0].typ.to_string(), "m::S");
    assert_eq!(abi.parameters()[1].typ.to_string(), "(Field, str<3>)");
    assert_eq!(abi.parameters()[1].visibility, Visibility::DataBus);
    assert_eq!(abi.parameter_field_count(), 3 + 4);
    assert_eq!(
        abi.error_types()[&1],
        AbiErrorType::String {
            string: "boom".into()
        }
    );
    assert!(matches!(
        abi.error_types()[&2],
        AbiErrorType::FmtString { length: 5, .. }
    ));
    assert!(matches!(
        &abi.error_types()[&u64::MAX],
        AbiErrorType::Custom(AbiType::Struct { path, .. }) if path == "E"
    ));
    // s occupies witnesses 0..3 and is public; t is on the data bus; the return value follows.
    assert_eq!(abi.public_witness_indices(), vec![0, 1, 2, 7]);
    // Serializing and reading back gives the same ABI.
    let again: Abi = serde_json::from_str(&serde_json::to_string(&abi).unwrap()).unwrap();
    assert_eq!(again, abi);
}

#[test]
fn malformed_abis_are_refused() {
    let int = |w: u32| format!(r#"{{"kind": "integer", "sign": "unsigned", "width": {w}}}"#);
    for width in [0, 129] {
        let json = abi_json(
            &format!(
                r#"[{{"name": "x", "type": {}, "visibility": "private"}}]"#,
                int(width)
            ),
            "null",
            "{}",
        );
        let err = serde_json::from_str::<Abi>(&json).unwrap_err().to_string();
        assert!(err.contains("integer width"), "{err}");
    }
    let twice = abi_json(
        r#"[{"name": "x", "type": {"kind": "field"}, "visibility": "private"},
            {"name": "x", "type": {"kind": "field"}, "visibility": "public"}]"#,
        "null",
        "{}",
    );
    let err = serde_json::from_str::<Abi>(&twice).unwrap_err().to_string();
    assert!(err.contains("parameter `x` is declared twice"), "{err}");
    let dup_field = AbiType::structure("S", [("a", AbiType::Field), ("a", AbiType::Boolean)]);
    let err = Abi::new(
        vec![AbiParameter {
            name: "s".into(),
            typ: dup_field,
            visibility: Visibility::Private,
        }],
        None,
        BTreeMap::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("declares field `a` twice"),
        "{err}"
    );
    let huge = AbiType::array(u32::MAX, AbiType::array(2, AbiType::Field));
    let err = Abi::new(
        vec![AbiParameter {
            name: "h".into(),
            typ: huge,
            visibility: Visibility::Private,
        }],
        None,
        BTreeMap::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("more than a circuit can index"),
        "{err}"
    );
}

fn one_param(typ: AbiType, visibility: Visibility) -> Abi {
    Abi::new(
        vec![AbiParameter {
            name: "x".into(),
            typ,
            visibility,
        }],
        None,
        BTreeMap::new(),
    )
    .unwrap()
}

#[test]
fn signed_integers_use_twos_complement_at_their_width() {
    for (width, value, stored) in [
        (8u32, -1i128, 255u128),
        (8, -128, 128),
        (8, 127, 127),
        (16, -2, 65534),
        (64, i64::MIN as i128, 1u128 << 63),
        (128, i128::MIN, 1u128 << 127),
        (128, -1, u128::MAX),
    ] {
        let abi = one_param(AbiType::signed(width), Visibility::Public);
        let map = abi.encode(&Inputs::new().with("x", value)).unwrap();
        assert_eq!(
            map[&Witness(0)],
            FieldElement::from(stored),
            "i{width} {value}"
        );
        let back = abi.decode_parameters(&map).unwrap();
        assert_eq!(back.get("x"), Some(&InputValue::Integer(value.into())));
    }
}

#[test]
fn numbers_are_accepted_across_scalar_kinds_only_in_range() {
    let field = one_param(AbiType::Field, Visibility::Private);
    let map = field.encode(&Inputs::new().with("x", 7u8)).unwrap();
    assert_eq!(map[&Witness(0)], FieldElement::from(7u128));

    let u8_abi = one_param(AbiType::unsigned(8), Visibility::Private);
    assert!(u8_abi
        .encode(&Inputs::new().with("x", Field::from(255u64)))
        .is_ok());
    assert!(matches!(
        u8_abi.encode(&Inputs::new().with("x", Field::from(256u64))),
        Err(AbiError::OutOfRange { .. })
    ));
    assert!(matches!(
        u8_abi.encode(&Inputs::new().with("x", true)),
        Err(AbiError::TypeMismatch { .. })
    ));

    let b = one_param(AbiType::Boolean, Visibility::Private);
    for (v, f) in [(InputValue::from(1u8), 1u128), (InputValue::from(false), 0)] {
        let map = b.encode(&Inputs::new().with("x", v)).unwrap();
        assert_eq!(map[&Witness(0)], FieldElement::from(f));
    }
}

#[test]
fn solved_values_outside_their_type_are_reported() {
    let mut map = WitnessMap::new();
    map.insert(Witness(0), FieldElement::from(2u128));
    let b = one_param(AbiType::Boolean, Visibility::Public);
    let err = b.decode_parameters(&map).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the solved value of `x` is not a valid bool: 0x0000000000000000000000000000000000000000000000000000000000000002"
    );
    let u1 = one_param(AbiType::unsigned(1), Visibility::Public);
    assert!(matches!(
        u1.decode_parameters(&map),
        Err(AbiError::InvalidSolvedValue { .. })
    ));
    let missing = one_param(AbiType::array(2, AbiType::Field), Visibility::Public);
    assert_eq!(
        missing.decode_parameters(&map).unwrap_err(),
        AbiError::MissingWitness {
            path: "x".into(),
            index: 1
        }
    );
    assert_eq!(
        missing
            .decode_public_inputs(&[Field::one()])
            .unwrap_err()
            .to_string(),
        "expected 2 public input fields, got 1"
    );
}

#[test]
fn string_inputs_are_bytes() {
    let s = one_param(AbiType::String { length: 3 }, Visibility::Private);
    let map = s.encode(&Inputs::new().with("x", "abc")).unwrap();
    assert_eq!(map[&Witness(2)], FieldElement::from(u128::from(b'c')));
    assert_eq!(
        s.decode_parameters(&map).unwrap().get("x"),
        Some(&InputValue::from("abc"))
    );
    // A two-byte UTF-8 character counts as two bytes.
    assert!(s.encode(&Inputs::new().with("x", "éa")).is_ok());
    assert!(matches!(
        s.encode(&Inputs::new().with("x", "ab")),
        Err(AbiError::LengthMismatch { found: 2, .. })
    ));
}

#[test]
fn documents_that_are_not_tables_are_refused() {
    let abi = one_param(AbiType::Field, Visibility::Private);
    assert!(matches!(
        Inputs::from_json(&abi, "[1]"),
        Err(AbiError::Document(_))
    ));
    assert!(matches!(
        Inputs::from_json(&abi, "{"),
        Err(AbiError::Document(_))
    ));
    assert!(matches!(
        Inputs::from_toml(&abi, "x = "),
        Err(AbiError::Document(_))
    ));
    assert!(matches!(
        Inputs::from_toml(&abi, "x = 1979-05-27"),
        Err(AbiError::TypeMismatch { .. })
    ));
    assert!(matches!(
        Inputs::from_json(&abi, r#"{"x": null}"#),
        Err(AbiError::TypeMismatch { .. })
    ));
    for bad in ["", "-", "0x", "+1", " 1", "1_000", "0X1", "--1"] {
        let doc = serde_json::json!({ "x": bad }).to_string();
        assert!(
            matches!(
                Inputs::from_json(&abi, &doc),
                Err(AbiError::NumberSyntax { .. })
            ),
            "`{bad}` was accepted"
        );
    }
    let ok = Inputs::from_json(&abi, r#"{"x": "-0x10"}"#).unwrap();
    assert_eq!(ok.get("x"), Some(&InputValue::Integer((-16).into())));
}

#[test]
fn decoding_with_an_invalid_type_is_an_error_not_a_panic() {
    let err = decode_fields(&[Field::one()], &AbiType::signed(0), "v").unwrap_err();
    assert!(matches!(err, AbiError::InvalidAbi(_)), "{err}");
    let err = decode_fields(&[Field::one()], &AbiType::array(2, AbiType::Field), "v").unwrap_err();
    assert!(matches!(err, AbiError::LengthMismatch { .. }), "{err}");
}
