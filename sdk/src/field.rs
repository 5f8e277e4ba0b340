//! BN254 field elements: [`govproof_core::field`], re-exported, plus the one conversion to and
//! from acvm's field element, which the witness solver needs and the verifier crate must not
//! depend on.

pub use govproof_core::field::*;

use acir::FieldElement;

/// Converts between [`Field`] and acvm's [`FieldElement`] (the same BN254 element either way):
/// the one place the SDK crosses from the verifier crate's field into acvm's.
pub trait AcvmField {
    /// The acvm field element (always canonical).
    fn into_inner(self) -> FieldElement;
    /// Wraps an acvm field element; these are always reduced, so this cannot fail.
    fn from_inner(fe: FieldElement) -> Self;
}

impl AcvmField for Field {
    fn into_inner(self) -> FieldElement {
        FieldElement::from_repr(self.to_fr())
    }

    fn from_inner(fe: FieldElement) -> Self {
        Field::from_fr(fe.into_repr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acir::AcirField;

    #[test]
    fn acvm_conversion_round_trips_and_keeps_the_value() {
        for f in [
            Field::zero(),
            Field::one(),
            -Field::one(),
            Field::from_u128(u128::MAX),
        ] {
            let fe = f.into_inner();
            assert_eq!(Field::from_inner(fe), f);
            assert_eq!(fe, FieldElement::from_be_bytes_reduce(&f.to_be_bytes()));
        }
    }
}
