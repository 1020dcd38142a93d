//! Quantization of positions and velocities to integers: what goes on the wire, and back.
//!
//! Positions: 1/256 of a game unit (±50,000 needs 25 bits). Velocities: 1/64 unit per second. Both are
//! far below what a screen shows and make tick-to-tick differences small integers.

/// Wire units per game unit of position.
pub const POSITION_SCALE: f64 = 256.0;
/// Wire units per game unit per second of velocity.
pub const VELOCITY_SCALE: f64 = 64.0;

fn quantize(v: f64, scale: f64) -> i32 {
    // `as` saturates and maps NaN to 0: never panics on bad input.
    (v * scale).round() as i32
}

pub fn position(p: [f64; 3]) -> [i32; 3] {
    p.map(|v| quantize(v, POSITION_SCALE))
}

pub fn velocity(v: [f64; 3]) -> [i32; 3] {
    v.map(|x| quantize(x, VELOCITY_SCALE))
}

pub fn position_from(q: [i32; 3]) -> [f64; 3] {
    q.map(|v| f64::from(v) / POSITION_SCALE)
}

pub fn velocity_from(q: [i32; 3]) -> [f64; 3] {
    q.map(|v| f64::from(v) / VELOCITY_SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Within the world, a position comes back within half a wire unit.
        #[test]
        fn position_error_is_half_a_step(x in -50_000.0..50_000.0f64, y in -50_000.0..50_000.0f64, z in -50_000.0..50_000.0f64) {
            let back = position_from(position([x, y, z]));
            for (a, b) in back.iter().zip([x, y, z]) {
                prop_assert!((a - b).abs() <= 0.5 / POSITION_SCALE + 1e-9);
            }
        }
    }

    #[test]
    fn non_finite_input_does_not_panic() {
        assert_eq!(
            position([f64::NAN, f64::INFINITY, -f64::INFINITY]),
            [0, i32::MAX, i32::MIN]
        );
    }
}
