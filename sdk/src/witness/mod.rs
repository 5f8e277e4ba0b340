//! In-process witness generation: runs an artifact's ACIR program on encoded inputs with `acvm`
//! (ACVM plus the Brillig VM, black boxes solved by `bn254_blackbox_solver`).
//!
//! - Foreign calls: `print` (Noir's `print`/`println`) is rendered and handed to a [`LogSink`]
//!   chosen by the caller, never written to stdout. Any other foreign call is an error naming it.
//! - Programs of several ACIR functions (`#[fold]`) are executed: each call runs in its own ACVM,
//!   and the witness stack lists each callee's witness as it completes, then `main`'s, as nargo
//!   writes it.
//! - A failed assertion reports its message, resolved through the ABI's `error_types` (constant
//!   strings, format strings with their values, custom error values), the circuit's name and the
//!   ACIR function and opcode where it failed.
//!
//! The result carries the witness stack both un-gzipped (for `bb`'s msgpack API) and gzipped
//! (nargo's `.gz` file), plus the public inputs in proof order.

use std::io::Read;

use acir::brillig::ForeignCallResult;
use acir::circuit::{OpcodeLocation, Program};
use acir::native_types::{WitnessMap, WitnessStack};
use acir::{FieldElement, SerializationFormat};
use acvm::pwg::{ACVMStatus, ErrorLocation, OpcodeResolutionError, ResolvedAssertionPayload, ACVM};
use bn254_blackbox_solver::Bn254BlackBoxSolver;

use crate::abi::{AbiError, AbiErrorType, InputValue, Inputs};
use crate::artifact::Artifact;
use crate::field::{AcvmField, Field};

mod print;

/// Deepest chain of nested ACIR calls executed before giving up (guards against unbounded
/// recursion in a malformed program).
pub const MAX_CALL_DEPTH: usize = 1024;

/// Why a witness could not be generated. Every variant names the circuit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The inputs do not fit the ABI.
    #[error("circuit `{circuit}`: {source}")]
    Inputs {
        /// The circuit's name.
        circuit: String,
        /// What is wrong with the inputs.
        source: AbiError,
    },
    /// An assertion failed; `message` is its resolved message.
    #[error(
        "circuit `{circuit}`: assertion failed in function `{function}` at {location}: {message}"
    )]
    AssertionFailed {
        /// The circuit's name.
        circuit: String,
        /// The ACIR function (`main` or a `#[fold]` function) that failed.
        function: String,
        /// The ACIR (and Brillig) opcode position.
        location: String,
        /// The assertion's message.
        message: String,
    },
    /// A constraint without a message failed.
    #[error(
        "circuit `{circuit}`: constraint failed in function `{function}` at {location}: {reason}"
    )]
    ConstraintFailed {
        /// The circuit's name.
        circuit: String,
        /// The ACIR function that failed.
        function: String,
        /// The ACIR (and Brillig) opcode position, or `unknown`.
        location: String,
        /// What the solver reported.
        reason: String,
    },
    /// The program called a foreign function (oracle) other than `print`.
    #[error("circuit `{circuit}`: unknown foreign call `{name}` in function `{function}`")]
    UnknownForeignCall {
        /// The circuit's name.
        circuit: String,
        /// The ACIR function whose Brillig code made the call.
        function: String,
        /// The foreign function's name.
        name: String,
    },
    /// A `print` call's arguments could not be decoded.
    #[error("circuit `{circuit}`: cannot render a `print` call: {reason}")]
    Print {
        /// The circuit's name.
        circuit: String,
        /// What was wrong with the arguments.
        reason: String,
    },
    /// The program is malformed (bad call targets, calls nested too deeply, missing outputs).
    #[error("circuit `{circuit}`: malformed program: {reason}")]
    Program {
        /// The circuit's name.
        circuit: String,
        /// What was wrong.
        reason: String,
    },
    /// The solved witness does not match the ABI (e.g. a public value is missing).
    #[error("circuit `{circuit}`: {source}")]
    Output {
        /// The circuit's name.
        circuit: String,
        /// What did not match.
        source: AbiError,
    },
    /// The witness stack could not be serialized.
    #[error("circuit `{circuit}`: cannot serialize the witness stack: {reason}")]
    Serialize {
        /// The circuit's name.
        circuit: String,
        /// What the serializer reported.
        reason: String,
    },
}

/// Where the output of Noir's `print` and `println` goes. Each call delivers its full text
/// (`println` includes the trailing newline).
pub trait LogSink {
    /// Receives the rendered text of one `print` call.
    fn print(&mut self, text: &str);
}

/// Appends every printed text to the string.
impl LogSink for String {
    fn print(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// Keeps one entry per `print` call.
impl LogSink for Vec<String> {
    fn print(&mut self, text: &str) {
        self.push(text.to_string());
    }
}

/// Drops everything printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardLog;

impl LogSink for DiscardLog {
    fn print(&mut self, _text: &str) {}
}

/// A solved witness stack, serialized both ways, with the public inputs in proof order.
#[derive(Debug, Clone)]
pub struct SolvedWitness {
    main: WitnessMap<FieldElement>,
    msgpack: Vec<u8>,
    public_inputs: Vec<Field>,
    return_value: Option<InputValue>,
}

impl SolvedWitness {
    /// The witness stack as `bb`'s msgpack API takes it: format byte `0x03`, then msgpack.
    pub fn msgpack(&self) -> &[u8] {
        &self.msgpack
    }

    /// The gzipped witness stack, byte for byte what nargo writes to `target/<name>.gz` and
    /// `noir_js`'s `execute` returns (gzip at its best compression, as acir writes it). Made on
    /// demand: bb takes [`Self::msgpack`], and compressing a large circuit's witness this way
    /// takes longer than solving it.
    pub fn gzipped(&self) -> Vec<u8> {
        let mut gzipped = Vec::new();
        // Reading from a byte slice into a vector cannot fail.
        let _ = flate2::read::GzEncoder::new(self.msgpack.as_slice(), flate2::Compression::best())
            .read_to_end(&mut gzipped);
        gzipped
    }

    /// The public inputs a proof of this witness carries, in order: public parameters in ABI
    /// order, then the return value when it is public.
    pub fn public_inputs(&self) -> &[Field] {
        &self.public_inputs
    }

    /// `main`'s return value, decoded by the ABI.
    pub fn return_value(&self) -> Option<&InputValue> {
        self.return_value.as_ref()
    }

    /// `main`'s solved witness map.
    pub fn main_witness(&self) -> &WitnessMap<FieldElement> {
        &self.main
    }
}

/// Solves the witness of `artifact` for `inputs`, dropping anything the program prints.
pub fn execute(artifact: &Artifact, inputs: &Inputs) -> Result<SolvedWitness, WitnessError> {
    execute_with_log(artifact, inputs, &mut DiscardLog)
}

/// Solves the witness of `artifact` for `inputs`, sending the program's `print` output to `log`.
pub fn execute_with_log(
    artifact: &Artifact,
    inputs: &Inputs,
    log: &mut dyn LogSink,
) -> Result<SolvedWitness, WitnessError> {
    let circuit = artifact.name().to_string();
    let abi = artifact.abi();
    let initial = abi.encode(inputs).map_err(|source| WitnessError::Inputs {
        circuit: circuit.clone(),
        source,
    })?;
    let run = Run {
        artifact,
        circuit: &circuit,
    };
    let stack = run.solve(initial, log)?;
    let main = stack
        .peek()
        .map(|item| item.witness.clone())
        .ok_or_else(|| run.program_error("the program produced no witness".to_string()))?;

    let output_err = |source| WitnessError::Output {
        circuit: circuit.clone(),
        source,
    };
    let public_inputs = abi.public_input_fields(&main).map_err(output_err)?;
    let return_value = abi.decode_return(&main).map_err(output_err)?;

    let serialize_err = |reason: String| WitnessError::Serialize {
        circuit: circuit.clone(),
        reason,
    };
    let msgpack = msgpack_compact(&stack).map_err(|e| serialize_err(e.to_string()))?;
    Ok(SolvedWitness {
        main,
        msgpack,
        public_inputs,
        return_value,
    })
}

/// The witness stack in acir's `MsgpackCompact` format, as `WitnessStack::serialize_with_format`
/// writes it before gzipping: the format byte, then msgpack with structs as tuples and bytes as
/// arrays (what bb's deserializer reads). `tests/witness.rs` checks it, and [`SolvedWitness::gzipped`],
/// byte for byte against the witnesses `noir_js` recorded for every execution case.
fn msgpack_compact(
    stack: &WitnessStack<FieldElement>,
) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    let mut buf = vec![u8::from(SerializationFormat::MsgpackCompact)];
    let mut serializer = rmp_serde::Serializer::new(&mut buf)
        .with_bytes(rmp_serde::config::BytesMode::ForceIterables)
        .with_struct_tuple();
    serde::Serialize::serialize(stack, &mut serializer)?;
    Ok(buf)
}

/// One execution of one artifact.
struct Run<'a> {
    artifact: &'a Artifact,
    circuit: &'a str,
}

/// An ACIR function being solved, and which function it is.
struct Frame<'a> {
    acvm: ACVM<'a, FieldElement, Bn254BlackBoxSolver>,
    function: u32,
}

impl<'a> Run<'a> {
    fn program(&self) -> &'a Program<FieldElement> {
        self.artifact.program()
    }

    fn function_name(&self, index: u32) -> String {
        self.program()
            .functions
            .get(index as usize)
            .map_or_else(|| format!("#{index}"), |c| c.function_name.clone())
    }

    fn program_error(&self, reason: String) -> WitnessError {
        WitnessError::Program {
            circuit: self.circuit.to_string(),
            reason,
        }
    }

    fn frame(
        &self,
        solver: &'a Bn254BlackBoxSolver,
        function: u32,
        initial: WitnessMap<FieldElement>,
    ) -> Result<Frame<'a>, WitnessError> {
        let program = self.program();
        let circuit = program.functions.get(function as usize).ok_or_else(|| {
            self.program_error(format!(
                "call to ACIR function {function}, which does not exist"
            ))
        })?;
        Ok(Frame {
            acvm: ACVM::new(
                solver,
                &circuit.opcodes,
                initial,
                &program.unconstrained_functions,
                &circuit.assert_messages,
            ),
            function,
        })
    }

    /// Runs `main` and every ACIR function it calls; returns the witness stack in nargo's order.
    fn solve(
        &self,
        initial: WitnessMap<FieldElement>,
        log: &mut dyn LogSink,
    ) -> Result<WitnessStack<FieldElement>, WitnessError> {
        static SOLVER: Bn254BlackBoxSolver = Bn254BlackBoxSolver;
        let mut stack = WitnessStack::default();
        let mut frames = vec![self.frame(&SOLVER, 0, initial)?];
        while let Some(top) = frames.last_mut() {
            match top.acvm.solve() {
                ACVMStatus::Solved => {
                    let done = frames.pop().ok_or_else(|| {
                        self.program_error("execution lost its call stack".to_string())
                    })?;
                    let witness = done.acvm.finalize();
                    if let Some(caller) = frames.last_mut() {
                        let outputs = self.call_outputs(done.function, &witness)?;
                        caller.acvm.resolve_pending_acir_call(outputs);
                    }
                    stack.push(done.function, witness);
                }
                ACVMStatus::InProgress => {}
                ACVMStatus::Failure(error) => {
                    return Err(self.failure(top.function, error));
                }
                ACVMStatus::RequiresForeignCall(call) => {
                    if call.function != "print" {
                        return Err(WitnessError::UnknownForeignCall {
                            circuit: self.circuit.to_string(),
                            function: self.function_name(top.function),
                            name: call.function.clone(),
                        });
                    }
                    let text = print::render_print_call(&call.inputs).map_err(|e| {
                        WitnessError::Print {
                            circuit: self.circuit.to_string(),
                            reason: e.0,
                        }
                    })?;
                    log.print(&text);
                    top.acvm
                        .resolve_pending_foreign_call(ForeignCallResult::default());
                }
                ACVMStatus::RequiresAcirCall(call) => {
                    if frames.len() >= MAX_CALL_DEPTH {
                        return Err(self.program_error(format!(
                            "ACIR calls nest deeper than {MAX_CALL_DEPTH}"
                        )));
                    }
                    let frame = self.frame(&SOLVER, call.id.as_u32(), call.initial_witness)?;
                    frames.push(frame);
                }
            }
        }
        Ok(stack)
    }

    /// The values a called function returns to its caller: its return witnesses in index order.
    fn call_outputs(
        &self,
        function: u32,
        witness: &WitnessMap<FieldElement>,
    ) -> Result<Vec<FieldElement>, WitnessError> {
        let circuit = self
            .program()
            .functions
            .get(function as usize)
            .ok_or_else(|| {
                self.program_error(format!("ACIR function {function} does not exist"))
            })?;
        circuit
            .return_values
            .indices()
            .into_iter()
            .map(|i| {
                witness.get_index(i).copied().ok_or_else(|| {
                    self.program_error(format!(
                        "function `{}` left its return witness {i} unsolved",
                        circuit.function_name
                    ))
                })
            })
            .collect()
    }

    fn failure(&self, function: u32, error: OpcodeResolutionError<FieldElement>) -> WitnessError {
        let function_name = self.function_name(function);
        let (location, payload) = match &error {
            OpcodeResolutionError::UnsatisfiedConstrain {
                opcode_location,
                payload,
            }
            | OpcodeResolutionError::IndexOutOfBounds {
                opcode_location,
                payload,
                ..
            } => (error_location(opcode_location), payload.clone()),
            OpcodeResolutionError::BrilligFunctionFailed {
                call_stack,
                payload,
                ..
            } => (brillig_location(call_stack), payload.clone()),
            OpcodeResolutionError::InvalidInputBitSize {
                opcode_location, ..
            }
            | OpcodeResolutionError::AcirMainCallAttempted { opcode_location }
            | OpcodeResolutionError::AcirCallOutputsMismatch {
                opcode_location, ..
            }
            | OpcodeResolutionError::PredicateLargerThanOne {
                opcode_location, ..
            }
            | OpcodeResolutionError::MemoryOperationLargerThanOne {
                opcode_location, ..
            } => (error_location(opcode_location), None),
            OpcodeResolutionError::OpcodeNotSolvable(_)
            | OpcodeResolutionError::BlackBoxFunctionFailed(..)
            | OpcodeResolutionError::BrilligOutputsMismatch { .. } => ("unknown".to_string(), None),
        };
        match payload {
            Some(payload) => WitnessError::AssertionFailed {
                circuit: self.circuit.to_string(),
                function: function_name,
                location,
                message: self.resolve_payload(payload),
            },
            None => WitnessError::ConstraintFailed {
                circuit: self.circuit.to_string(),
                function: function_name,
                location,
                reason: lowercase_first(&error.to_string()),
            },
        }
    }

    /// Turns an assertion payload into text through the ABI's error types.
    fn resolve_payload(&self, payload: ResolvedAssertionPayload<FieldElement>) -> String {
        let raw = match payload {
            ResolvedAssertionPayload::String(s) => return s,
            ResolvedAssertionPayload::Raw(raw) => raw,
        };
        let selector = raw.selector.as_u64();
        let fallback = || {
            let data: Vec<String> = raw
                .data
                .iter()
                .map(|f| Field::from_inner(*f).to_hex())
                .collect();
            format!("error {selector} with data [{}]", data.join(", "))
        };
        match self.artifact.abi().error_types().get(&selector) {
            None => fallback(),
            Some(AbiErrorType::String { string }) => string.clone(),
            Some(AbiErrorType::FmtString { length, item_types }) => {
                let item = print::PrintType::Tuple {
                    types: item_types.iter().map(Into::into).collect(),
                };
                let typ = print::PrintType::FmtString {
                    length: *length,
                    typ: Box::new(item),
                };
                let mut fields = raw.data.iter().copied();
                print::render(&mut fields, &typ).unwrap_or_else(|_| fallback())
            }
            Some(AbiErrorType::Custom(typ)) => {
                let mut fields = raw.data.iter().copied();
                print::render(&mut fields, &typ.into()).unwrap_or_else(|_| fallback())
            }
        }
    }
}

fn error_location(location: &ErrorLocation) -> String {
    match location {
        ErrorLocation::Resolved(l) => opcode_location(l),
        ErrorLocation::Unresolved => "unknown".to_string(),
    }
}

fn opcode_location(location: &OpcodeLocation) -> String {
    match location {
        OpcodeLocation::Acir(i) => format!("opcode {i}"),
        OpcodeLocation::Brillig {
            acir_index,
            brillig_index,
        } => format!("opcode {acir_index} (unconstrained code, instruction {brillig_index})"),
    }
}

/// The innermost position of a failed unconstrained call.
fn brillig_location(call_stack: &[OpcodeLocation]) -> String {
    call_stack
        .last()
        .map_or_else(|| "unknown".to_string(), opcode_location)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
