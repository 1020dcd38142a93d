//! LEB128 varints and zigzag signed integers: the building blocks of the binary frame format.

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded (small magnitudes of either sign stay short).
pub fn put_i64(out: &mut Vec<u8>, v: i64) {
    put_u64(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// A cursor over a byte slice; every read fails cleanly at the end instead of panicking.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// The input ended early or held a malformed number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed frame at byte {at}: {what}")]
pub struct ReadError {
    pub at: usize,
    pub what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn err(&self, what: &'static str) -> ReadError {
        ReadError { at: self.pos, what }
    }

    pub fn u8(&mut self) -> Result<u8, ReadError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    pub fn u64(&mut self) -> Result<u64, ReadError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("varint longer than 64 bits"))
    }

    pub fn i64(&mut self) -> Result<i64, ReadError> {
        let v = self.u64()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn i32(&mut self) -> Result<i32, ReadError> {
        i32::try_from(self.i64()?).map_err(|_| self.err("integer out of range"))
    }

    /// A count that must fit what is left of the input (one byte per item at least).
    pub fn count(&mut self) -> Result<usize, ReadError> {
        let n = self.u64()?;
        if n > (self.bytes.len() - self.pos) as u64 {
            return Err(self.err("count larger than the frame"));
        }
        Ok(n as usize)
    }

    pub fn f32(&mut self) -> Result<f32, ReadError> {
        let end = self.pos + 4;
        let b = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.err("unexpected end"))?;
        self.pos = end;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn roundtrip(u in any::<u64>(), i in any::<i64>()) {
            let mut out = Vec::new();
            put_u64(&mut out, u);
            put_i64(&mut out, i);
            let mut r = Reader::new(&out);
            prop_assert_eq!(r.u64().unwrap(), u);
            prop_assert_eq!(r.i64().unwrap(), i);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&bytes);
            while r.u64().is_ok() {}
        }
    }

    #[test]
    fn small_values_are_one_byte() {
        let mut out = Vec::new();
        put_i64(&mut out, -3);
        put_u64(&mut out, 127);
        assert_eq!(out.len(), 2);
    }
}
