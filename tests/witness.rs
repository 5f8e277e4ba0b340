//! Witness generation against fixtures compiled by the pinned Noir compiler.
//!
//! Fixture layout, under `tests/data/witness/`:
//! - `circuits/<name>/`: a Noir project (`Nargo.toml`, `src/main.nr`) and its compiled artifact
//!   `<name>.json`;
//! - `execution_success/<case>/`: `case.toml` (which circuit), `Prover.toml` and the same inputs as
//!   `inputs.json`, `witness.gz` recorded by `noir_js` 1.0.0-beta.26 (`new Noir(artifact).execute`),
//!   and `log.txt` when the circuit prints;
//! - `execution_failure/<case>/`: inputs that satisfy the ABI but fail an assertion or call an
//!   unknown oracle; `case.toml` holds the exact error;
//! - `input_rejected/<case>/`: inputs the ABI encoder must refuse; `case.toml` holds the exact
//!   error, which names the offending input path.
//!
//! There is one test per case folder, and `every_case_folder_has_a_test` fails when a folder is
//! added without one.

// Test code: a panic with its message is how a case reports failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use acir::native_types::WitnessStack;
use acir::FieldElement;
use govproof::abi::{InputValue, Inputs};
use govproof::artifact::Artifact;
use govproof::field::{AcvmField, Field};
use govproof::witness::{self, WitnessError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/witness")
}

fn circuit(name: &str) -> Artifact {
    let path = data_dir()
        .join("circuits")
        .join(name)
        .join(format!("{name}.json"));
    Artifact::load(&path).unwrap()
}

struct Case {
    dir: PathBuf,
    spec: toml::Table,
    artifact: Artifact,
}

impl Case {
    fn load(category: &str, name: &str) -> Case {
        let dir = data_dir().join(category).join(name);
        let spec: toml::Table = read_text(&dir.join("case.toml")).parse().unwrap();
        let artifact = circuit(spec["circuit"].as_str().unwrap());
        Case {
            dir,
            spec,
            artifact,
        }
    }

    fn prover_toml(&self) -> Result<Inputs, govproof::abi::AbiError> {
        Inputs::from_toml(
            self.artifact.abi(),
            &read_text(&self.dir.join("Prover.toml")),
        )
    }

    fn expected_error(&self) -> &str {
        self.spec["error"].as_str().unwrap()
    }
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a success case: the Rust witness must equal `noir_js`'s byte for byte, and the reported
/// public inputs must be the values `noir_js` solved at the circuit's public witnesses.
fn run_success(name: &str) {
    let case = Case::load("execution_success", name);
    let inputs = case.prover_toml().unwrap();
    let from_json = Inputs::from_json(
        case.artifact.abi(),
        &read_text(&case.dir.join("inputs.json")),
    )
    .unwrap();
    assert_eq!(inputs, from_json, "Prover.toml and inputs.json disagree");

    let mut log = String::new();
    let solved = witness::execute_with_log(&case.artifact, &inputs, &mut log).unwrap();

    let recorded = std::fs::read(case.dir.join("witness.gz")).unwrap();
    assert!(
        solved.gzipped() == recorded.as_slice(),
        "gzipped witness differs from the one noir_js recorded"
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(recorded.as_slice()),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(solved.msgpack(), unzipped.as_slice());
    assert_eq!(solved.msgpack()[0], 3, "msgpack-compact format byte");

    // The public inputs, read independently from noir_js's main witness (the last stack item).
    let mut stack = WitnessStack::<FieldElement>::deserialize(&recorded).unwrap();
    let main = stack.pop().unwrap();
    assert_eq!(main.index, 0);
    let main_circuit = &case.artifact.program().functions[0];
    let mut public: Vec<u32> = main_circuit.public_parameters.indices();
    public.extend(main_circuit.return_values.indices());
    let expected: Vec<Field> = public
        .iter()
        .map(|i| Field::from_inner(main.witness[&acir::native_types::Witness(*i)]))
        .collect();
    assert_eq!(solved.public_inputs(), expected.as_slice());

    // The public values decode back to the public inputs given and the return value.
    let (public_params, ret) = case
        .artifact
        .abi()
        .decode_public_inputs(solved.public_inputs())
        .unwrap();
    for (name, value) in public_params.iter() {
        assert_eq!(Some(value), inputs.get(name), "public input `{name}`");
    }
    assert_eq!(ret.as_ref(), solved.return_value());

    let log_path = case.dir.join("log.txt");
    if log_path.exists() {
        assert_eq!(log, read_text(&log_path));
    } else {
        assert_eq!(log, "", "unexpected print output");
    }
}

fn run_failure(name: &str) {
    let case = Case::load("execution_failure", name);
    let inputs = case.prover_toml().unwrap();
    let err = witness::execute(&case.artifact, &inputs).unwrap_err();
    assert!(
        !matches!(err, WitnessError::Inputs { .. }),
        "inputs were meant to be valid: {err}"
    );
    assert_eq!(err.to_string(), case.expected_error());
}

fn run_rejected(name: &str) {
    let case = Case::load("input_rejected", name);
    let err = match case.prover_toml() {
        Err(e) => e,
        Ok(inputs) => {
            let err = case.artifact.abi().encode(&inputs).unwrap_err();
            // Execution refuses the same inputs with the same reason, naming the circuit.
            let exec = witness::execute(&case.artifact, &inputs).unwrap_err();
            assert_eq!(
                exec,
                WitnessError::Inputs {
                    circuit: case.artifact.name().to_string(),
                    source: err.clone(),
                }
            );
            err
        }
    };
    assert_eq!(err.to_string(), case.expected_error());
}

macro_rules! cases {
    ($list:ident, $runner:ident, [$($name:ident),* $(,)?]) => {
        pub(super) const $list: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                $runner(stringify!($name));
            }
        )*
    };
}

mod execution_success {
    use super::*;
    cases!(
        CASES,
        run_success,
        [
            scalars_typical,
            scalars_extremes,
            compound_typical,
            print_values,
            fold_call_two_calls,
            assert_message_satisfied,
            returns_input_twice,
            poseidon_loop_20k_gates,
        ]
    );
}

mod execution_failure {
    use super::*;
    cases!(
        CASES,
        run_failure,
        [
            assert_static_message,
            assert_formatted_message,
            assert_in_unconstrained_hint,
            assert_in_folded_function,
            signed_addition_overflow,
            score_below_band,
            constraint_without_message,
            unknown_foreign_call,
            assert_custom_error_value,
        ]
    );
}

mod input_rejected {
    use super::*;
    cases!(
        CASES,
        run_rejected,
        [
            u8_above_max,
            u64_above_max,
            unsigned_negative,
            i8_below_min,
            i32_above_max,
            bool_two,
            bool_fractional,
            field_at_modulus,
            field_negative,
            field_not_a_number,
            field_fractional,
            integer_not_a_number,
            missing_parameter,
            unexpected_parameter,
            array_for_integer,
            nested_array_element_above_max,
            array_too_short,
            nested_array_too_long,
            struct_missing_field,
            struct_unexpected_field,
            string_wrong_length,
            tuple_too_long,
            tuple_element_negative,
        ]
    );
}

#[test]
fn every_case_folder_has_a_test() {
    for (category, listed) in [
        ("execution_success", execution_success::CASES),
        ("execution_failure", execution_failure::CASES),
        ("input_rejected", input_rejected::CASES),
    ] {
        let on_disk: BTreeSet<String> = std::fs::read_dir(data_dir().join(category))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let listed: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            on_disk, listed,
            "case folders and tests differ in `{category}`"
        );
    }
}

#[test]
fn every_circuit_artifact_matches_its_sources_folder() {
    for entry in std::fs::read_dir(data_dir().join("circuits")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(dir.join("Nargo.toml").exists(), "{name}: no Nargo.toml");
        assert!(dir.join("src/main.nr").exists(), "{name}: no src/main.nr");
        let artifact = circuit(&name);
        assert!(artifact.noir_version().starts_with("1.0.0-beta.26+"));
    }
}

#[test]
fn print_output_goes_to_the_sink_one_entry_per_call() {
    let artifact = circuit("print");
    let inputs = Inputs::new()
        .with("x", 5u8)
        .with("y", -3i8)
        .with("flags", [true, false]);
    let mut calls: Vec<String> = Vec::new();
    let solved = witness::execute_with_log(&artifact, &inputs, &mut calls).unwrap();
    assert_eq!(
        calls,
        [
            "0x05\n",
            "Point { x: 0x05, y: -3 }\n",
            "x = 0x05, y = -3\n",
            "no newline",
            "[true, false]\n"
        ]
    );
    assert_eq!(
        solved.return_value(),
        Some(&InputValue::Field(Field::from(6u64)))
    );
}

#[test]
fn builder_inputs_give_the_same_witness_as_prover_toml() {
    let case = Case::load("execution_success", "compound_typical");
    let built = Inputs::new()
        .with(
            "application",
            InputValue::structure([
                (
                    "applicant",
                    InputValue::structure([
                        ("id", InputValue::from(Field::from(0x1111u64))),
                        ("income", 52000u32.into()),
                        ("features", [10u8, 20, 30, 0].into()),
                    ]),
                ),
                ("amount", 1000u64.into()),
                ("flags", [true, false].into()),
            ]),
        )
        .with("weights", [3i8, -2, 1, -128])
        .with("label", "hello")
        .with(
            "pair",
            InputValue::tuple([9u8.into(), InputValue::from(42u64)]),
        )
        .with(
            "band",
            InputValue::structure([("lo", -100i32), ("hi", 100i32)]),
        );
    let from_builder = witness::execute(&case.artifact, &built).unwrap();
    let from_toml = witness::execute(&case.artifact, &case.prover_toml().unwrap()).unwrap();
    assert_eq!(from_builder.gzipped(), from_toml.gzipped());
}

#[test]
fn signed_integers_are_stored_in_twos_complement() {
    let artifact = circuit("scalars");
    let inputs = Inputs::from_toml(
        artifact.abi(),
        &read_text(&data_dir().join("execution_success/scalars_typical/Prover.toml")),
    )
    .unwrap();
    let map = artifact.abi().encode(&inputs).unwrap();
    // d: i8 = -128 sits at witness 4, e: i32 = -100000 at witness 5.
    assert_eq!(
        map[&acir::native_types::Witness(4)],
        FieldElement::from(128u128)
    );
    assert_eq!(
        map[&acir::native_types::Witness(5)],
        FieldElement::from((1u128 << 32) - 100_000)
    );
}

mod round_trip {
    use super::*;
    use govproof::abi::{Abi, AbiError, AbiParameter, AbiType, Visibility};
    use num_bigint::BigInt;
    use proptest::prelude::*;

    /// A random ABI type, at most three levels deep.
    fn abi_type() -> impl Strategy<Value = AbiType> {
        let leaf = prop_oneof![
            Just(AbiType::Field),
            Just(AbiType::Boolean),
            (1u32..=128).prop_map(AbiType::unsigned),
            (1u32..=128).prop_map(AbiType::signed),
            (0u32..6).prop_map(|length| AbiType::String { length }),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                (0u32..4, inner.clone()).prop_map(|(n, t)| AbiType::array(n, t)),
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|fields| AbiType::Tuple { fields }),
                prop::collection::vec(inner, 1..4).prop_map(|types| {
                    AbiType::structure(
                        "m::S",
                        types
                            .into_iter()
                            .enumerate()
                            .map(|(i, t)| (format!("f{i}"), t)),
                    )
                }),
            ]
        })
    }

    fn big_below(bits: u64) -> impl Strategy<Value = BigInt> {
        prop::collection::vec(any::<u8>(), 32).prop_map(move |bytes| {
            let n = BigInt::from_bytes_be(num_bigint::Sign::Plus, &bytes);
            n % (BigInt::from(1u8) << bits)
        })
    }

    /// A random value of `typ`, in range, as JSON in the forms users write.
    fn json_value(typ: &AbiType) -> BoxedStrategy<serde_json::Value> {
        use serde_json::Value as J;
        match typ.clone() {
            AbiType::Field => (any::<[u8; 32]>(), any::<bool>())
                .prop_map(|(mut b, hex)| {
                    b[0] &= 0x1f; // below the modulus
                    let n = BigInt::from_bytes_be(num_bigint::Sign::Plus, &b);
                    J::String(if hex {
                        format!("0x{}", n.to_str_radix(16))
                    } else {
                        n.to_string()
                    })
                })
                .boxed(),
            AbiType::Boolean => any::<bool>().prop_map(J::Bool).boxed(),
            AbiType::Integer { sign, width } => (big_below(u64::from(width)), any::<bool>())
                .prop_map(move |(n, as_number)| {
                    let n = match sign {
                        govproof::abi::Sign::Unsigned => n,
                        govproof::abi::Sign::Signed => n - (BigInt::from(1u8) << (width - 1)),
                    };
                    match (as_number, i64::try_from(&n)) {
                        (true, Ok(small)) => J::from(small),
                        _ => J::String(n.to_string()),
                    }
                })
                .boxed(),
            AbiType::String { length } => {
                prop::collection::vec(prop::char::range('a', 'z'), length as usize)
                    .prop_map(|cs| J::String(cs.into_iter().collect()))
                    .boxed()
            }
            AbiType::Array { length, typ } => {
                prop::collection::vec(json_value(&typ), length as usize)
                    .prop_map(J::Array)
                    .boxed()
            }
            AbiType::Tuple { fields } => fields
                .iter()
                .map(json_value)
                .collect::<Vec<_>>()
                .prop_map(J::Array)
                .boxed(),
            AbiType::Struct { fields, .. } => {
                let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                fields
                    .iter()
                    .map(|f| json_value(&f.typ))
                    .collect::<Vec<_>>()
                    .prop_map(move |vs| J::Object(names.iter().cloned().zip(vs).collect()))
                    .boxed()
            }
        }
    }

    fn abi_with(types: Vec<(AbiType, bool)>) -> Abi {
        let params = types
            .into_iter()
            .enumerate()
            .map(|(i, (typ, public))| AbiParameter {
                name: format!("p{i}"),
                typ,
                visibility: if public {
                    Visibility::Public
                } else {
                    Visibility::Private
                },
            })
            .collect();
        Abi::new(params, None, Default::default()).unwrap()
    }

    fn abi_and_json() -> impl Strategy<Value = (Abi, serde_json::Value)> {
        prop::collection::vec((abi_type(), any::<bool>()), 1..4).prop_flat_map(|types| {
            let abi = abi_with(types.clone());
            let values: Vec<_> = types.iter().map(|(t, _)| json_value(t)).collect();
            values.prop_map(move |vs| {
                let doc = serde_json::Value::Object(
                    vs.into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("p{i}"), v))
                        .collect(),
                );
                (abi.clone(), doc)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn json_to_witness_and_back((abi, doc) in abi_and_json()) {
            let inputs = Inputs::from_json(&abi, &doc.to_string()).unwrap();
            let map = abi.encode(&inputs).unwrap();
            prop_assert_eq!(map.clone().into_iter().count() as u32, abi.parameter_field_count());

            // All parameters decode back from the witness map.
            prop_assert_eq!(&abi.decode_parameters(&map).unwrap(), &inputs);

            // Public parameters decode back from the public input list alone.
            let fields = abi.public_input_fields(&map).unwrap();
            let (public, ret) = abi.decode_public_inputs(&fields).unwrap();
            prop_assert!(ret.is_none());
            for p in abi.parameters() {
                let expected = (p.visibility == Visibility::Public).then(|| inputs.get(&p.name).unwrap());
                prop_assert_eq!(public.get(&p.name), expected);
            }

            // The canonical JSON output reads back to the same inputs.
            let again = Inputs::from_json(&abi, &inputs.to_json().to_string()).unwrap();
            prop_assert_eq!(again, inputs);
        }

        #[test]
        fn out_of_range_integers_are_refused(width in 1u32..=128, signed in any::<bool>(), above in any::<bool>(), excess in big_below(200)) {
            let typ = if signed { AbiType::signed(width) } else { AbiType::unsigned(width) };
            let one = BigInt::from(1u8);
            let (lo, hi) = if signed {
                (-(&one << (width - 1)), (&one << (width - 1)) - &one)
            } else {
                (BigInt::from(0u8), (&one << width) - &one)
            };
            let value = if above { hi + &one + excess } else { lo - &one - excess };
            let abi = abi_with(vec![(AbiType::array(2, typ.clone()), true)]);
            let doc = serde_json::json!({ "p0": ["0", value.to_string()] });
            let inputs = Inputs::from_json(&abi, &doc.to_string()).unwrap();
            let err = abi.encode(&inputs).unwrap_err();
            prop_assert!(
                matches!(&err, AbiError::OutOfRange { path, value: v, .. } if path == "p0[1]" && *v == value.to_string()),
                "{}", err
            );
        }

        #[test]
        fn out_of_range_fields_and_booleans_are_refused(excess in big_below(250), negative in any::<bool>()) {
            let r = BigInt::from_bytes_be(num_bigint::Sign::Plus, &govproof::field::MODULUS_BE);
            let field_value: BigInt = if negative { -(&excess) - 1 } else { &r + &excess };
            let bool_value: BigInt = if negative { -(&excess) - 1 } else { excess.clone() + 2 };
            let abi = abi_with(vec![
                (AbiType::structure("S", [("f", AbiType::Field)]), false),
                (AbiType::Boolean, true),
            ]);
            let doc = serde_json::json!({ "p0": { "f": field_value.to_string() }, "p1": 0 });
            let err = abi.encode(&Inputs::from_json(&abi, &doc.to_string()).unwrap()).unwrap_err();
            prop_assert!(matches!(&err, AbiError::OutOfRange { path, .. } if path == "p0.f"), "{}", err);
            let doc = serde_json::json!({ "p0": { "f": "1" }, "p1": bool_value.to_string() });
            let err = abi.encode(&Inputs::from_json(&abi, &doc.to_string()).unwrap()).unwrap_err();
            prop_assert!(matches!(&err, AbiError::OutOfRange { path, .. } if path == "p1"), "{}", err);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Through a real circuit: `main(x: pub Field, y: Field) -> pub (Field, Field)` returns
        /// `(x, x + y)`; the proof's public inputs are `[x, x, x + y]`.
        #[test]
        fn public_inputs_of_a_real_circuit(x in any::<[u8; 31]>(), y in any::<[u8; 31]>()) {
            let artifact = circuit("returns_input");
            let field = |b: &[u8; 31]| {
                let mut be = [0u8; 32];
                be[1..].copy_from_slice(b);
                Field::from_be_bytes(&be).unwrap()
            };
            let (x, y) = (field(&x), field(&y));
            let solved = witness::execute(&artifact, &Inputs::new().with("x", x).with("y", y)).unwrap();
            prop_assert_eq!(solved.public_inputs(), &[x, x, x + y][..]);
            let (public, ret) = artifact.abi().decode_public_inputs(solved.public_inputs()).unwrap();
            prop_assert_eq!(public.get("x"), Some(&InputValue::Field(x)));
            prop_assert_eq!(ret, Some(InputValue::tuple([x, x + y])));
        }
    }
}
