// Sub-word packing: 8- and 16-bit elements live in array<u32> words in their little-endian byte layout,
// element i of a word in bits [i * bits, (i + 1) * bits).

// The field of element i (bits = 8 or 16) of a word, zero-extended.
fn sub_get(word: u32, i: u32, bits: u32) -> u32 {
    return extractBits(word, i * bits, bits);
}

// The word with element i (bits = 8 or 16) replaced by the low bits of v.
fn sub_put(word: u32, i: u32, bits: u32, v: u32) -> u32 {
    return insertBits(word, v, i * bits, bits);
}
