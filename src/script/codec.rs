//! The byte encoding of scripts: how fuzzer bytes become a script, and back.
//!
//! Every choice reads whole bytes (a variant is one byte modulo the number of variants, an
//! offset two bytes), so that [`Writer`] can write any script decoding can produce (and any
//! entry the corpus accepts) as bytes that decode to exactly that script: corpus entries and
//! minimized findings feed libFuzzer as its seeds. Decoding
//! never fails: when the input runs out, a value is cut short (a text ends, the script ends).

/// Reads choices from fuzzer bytes.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// One byte, if any is left.
    pub fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    /// A choice among `count` (at most 256) alternatives.
    pub fn choose(&mut self, count: usize) -> Option<usize> {
        Some(usize::from(self.byte()?) % count.clamp(1, 256))
    }

    /// A little-endian `u16`; a missing second byte reads as 0.
    pub fn u16(&mut self) -> Option<u16> {
        let low = self.byte()?;
        let high = self.byte().unwrap_or(0);
        Some(u16::from_le_bytes([low, high]))
    }
}

/// Writes the bytes a [`Reader`] decodes back into the same choices.
#[derive(Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes one byte.
    pub fn byte(&mut self, byte: u8) {
        self.bytes.push(byte);
    }

    /// Writes alternative `index` (below 256).
    pub fn choose(&mut self, index: usize) {
        self.bytes.push(u8::try_from(index).unwrap_or(u8::MAX));
    }

    /// Writes a little-endian `u16`.
    pub fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }
}

/// A value with a byte encoding.
pub trait Codec: Sized {
    /// Decodes a value; `None` when the input ran out before it was complete.
    fn decode(reader: &mut Reader<'_>) -> Option<Self>;
    /// Writes the bytes that decode to this value.
    fn encode(&self, writer: &mut Writer);
}
