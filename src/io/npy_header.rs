//! The .npy header: magic, version, length, and a Python dict literal
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` — read with a small bounded parser, written as
//! NumPy writes it (padded so the data starts at a multiple of 64 bytes).

use super::file::FileData;
use super::header::HEADER_LIMIT;
use crate::{DType, Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Nesting deeper than this in a header is rejected (a structured dtype nests a few levels; a hostile file could
/// nest millions and overflow the stack).
const MAX_DEPTH: usize = 16;

/// What a .npy header says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NpyHeader {
    pub(crate) dtype: DType,
    /// The data is big-endian (`>` in `descr`) and must be byte-swapped.
    pub(crate) big_endian: bool,
    /// The data is in column-major (Fortran) order and must be transposed.
    pub(crate) fortran: bool,
    pub(crate) shape: Vec<usize>,
    /// Where the data starts.
    pub(crate) data_offset: u64,
    /// The data's size in bytes (`shape` × dtype size, checked not to overflow).
    pub(crate) data_len: usize,
}

impl NpyHeader {
    /// `true` when the data can be copied as it is (little-endian or one-byte, and C order or at most 1-d).
    pub(crate) fn is_plain(&self) -> bool {
        let swap = self.big_endian && self.dtype.size_in_bytes() > 1;
        let transpose = self.fortran && self.shape.iter().filter(|&&d| d > 1).count() > 1;
        !swap && !transpose
    }
}

/// Reads and checks the header of the .npy data in `data` (a whole .npy file, or an .npz entry named `tensor`),
/// including that the data is at least as long as the shape says.
pub(crate) fn read_header(data: &FileData, tensor: Option<&str>) -> Result<NpyHeader> {
    let bad = |reason: String| data.bad(tensor, reason);
    if data.len() < 10 {
        return Err(bad(format!("the file is {} bytes, too short for a .npy header", data.len())));
    }
    let mut prefix = [0u8; 12];
    data.read_at(0, &mut prefix[..10], tensor)?;
    if &prefix[..6] != MAGIC {
        return Err(bad("it does not start with the .npy magic \"\\x93NUMPY\"".into()));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let (header_len, start) = match (major, minor) {
        (1, 0) => (u16::from_le_bytes([prefix[8], prefix[9]]) as u64, 10u64),
        (2, 0) | (3, 0) => {
            if data.len() < 12 {
                return Err(bad("the file ends inside the header length".into()));
            }
            data.read_at(10, &mut prefix[10..12], tensor)?;
            (u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as u64, 12u64)
        }
        _ => return Err(bad(format!("format version {major}.{minor} is unknown (1.0, 2.0 and 3.0 exist)"))),
    };
    if header_len > HEADER_LIMIT {
        return Err(bad(format!("the header length {header_len} is absurd (the limit is {HEADER_LIMIT})")));
    }
    if start + header_len > data.len() {
        return Err(bad(format!(
            "the header length {header_len} runs past the end of the {}-byte file (truncated?)",
            data.len()
        )));
    }
    let raw = data.bytes(start, header_len as usize, tensor)?;
    // Versions 1 and 2 are latin-1, version 3 is UTF-8.
    let text: String = if major == 3 {
        std::str::from_utf8(&raw).map_err(|_| bad("the version 3 header is not UTF-8".into()))?.to_owned()
    } else {
        raw.iter().map(|&b| b as char).collect()
    };
    let dict = Parser { s: text.trim_end().as_bytes(), at: 0 }
        .parse_all()
        .map_err(|e| bad(format!("the header is not a valid .npy header dict: {e}")))?;
    let header = interpret(dict, data, tensor, start + header_len)?;
    let have = data.len() - header.data_offset;
    if have < header.data_len as u64 {
        return Err(bad(format!(
            "the data is {have} bytes but shape {:?} of {} needs {}",
            header.shape, header.dtype, header.data_len
        )));
    }
    Ok(header)
}

/// A Python literal, as far as .npy headers use them.
#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(String),
    Bool(bool),
    Int(u64),
    Seq(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
    None,
}

fn interpret(dict: Lit, data: &FileData, tensor: Option<&str>, data_offset: u64) -> Result<NpyHeader> {
    let bad = |reason: String| data.bad(tensor, reason);
    let Lit::Dict(members) = dict else { return Err(bad("the header is not a dict".into())) };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in members {
        let slot = match &key {
            Lit::Str(k) if k == "descr" => &mut descr,
            Lit::Str(k) if k == "fortran_order" => &mut fortran,
            Lit::Str(k) if k == "shape" => &mut shape,
            _ => return Err(bad(format!("unexpected header key {key:?} (only descr, fortran_order, shape)"))),
        };
        if slot.replace(value).is_some() {
            return Err(bad(format!("the header key {key:?} appears twice")));
        }
    }
    let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
        return Err(bad("the header needs the keys descr, fortran_order and shape".into()));
    };
    let Lit::Bool(fortran) = fortran else { return Err(bad("fortran_order is not True or False".into())) };
    let shape = match shape {
        Lit::Seq(dims) => dims
            .into_iter()
            .map(|d| match d {
                Lit::Int(d) => usize::try_from(d).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| bad("shape holds something other than non-negative integers".into()))?,
        _ => return Err(bad("shape is not a tuple".into())),
    };
    let (dtype, big_endian) = descr_dtype(&descr).map_err(|(dtype, hint)| Error::UnsupportedFileDType {
        path: data.path().to_path_buf(),
        tensor: tensor.map(str::to_owned),
        dtype,
        hint,
    })?;
    let data_len = crate::Shape::from(shape.as_slice())
        .checked_size(dtype)
        .map_err(|_| bad(format!("shape {shape:?} of {dtype} overflows")))?
        .1;
    Ok(NpyHeader { dtype, big_endian, fortran, shape, data_offset, data_len })
}

const SUPPORTED: &str = "supported: |b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f2 <f4 <f8 and their big-endian '>' forms";

/// The dtype and byte order of a `descr`; otherwise (the descr as written, a hint).
fn descr_dtype(descr: &Lit) -> std::result::Result<(DType, bool), (String, String)> {
    let Lit::Str(s) = descr else {
        return Err((
            format!("{descr:?}"),
            "structured (record) dtypes are not supported; save each field as its own array".into(),
        ));
    };
    let (order, code) = match s.as_bytes().first() {
        Some(b'<' | b'>' | b'|' | b'=') => (s.as_bytes()[0], &s[1..]),
        _ => (b'|', s.as_str()),
    };
    use DType::*;
    let dtype = match code {
        "b1" | "?" => Bool,
        "u1" => U8,
        "i1" => I8,
        "u2" => U16,
        "i2" => I16,
        "u4" => U32,
        "i4" => I32,
        "u8" => U64,
        "i8" => I64,
        "f2" => F16,
        "f4" => F32,
        "f8" => F64,
        _ => {
            let hint = match code.as_bytes().first() {
                Some(b'c') => "complex arrays are not supported; save the real and imaginary parts as float arrays",
                Some(b'O') => "object arrays (pickled Python objects) are not supported; save a numeric array",
                Some(b'V') => {
                    "raw void data: ml_dtypes' bfloat16 is saved like this, but the file cannot say so; save it as \
                     float32, or use safetensors (which has BF16)"
                }
                _ => SUPPORTED,
            };
            return Err((s.clone(), hint.into()));
        }
    };
    if order == b'=' && dtype.size_in_bytes() > 1 {
        return Err((
            s.clone(),
            "native byte order '=' does not say which order the writer had; write '<' or '>'".into(),
        ));
    }
    Ok((dtype, order == b'>' && dtype.size_in_bytes() > 1))
}

/// The `descr` NumPy writes for a dtype; `Err` hint for bf16, which NumPy lacks.
pub(crate) fn descr(dtype: DType) -> std::result::Result<&'static str, &'static str> {
    use DType::*;
    Ok(match dtype {
        Bool => "|b1",
        U8 => "|u1",
        I8 => "|i1",
        U16 => "<u2",
        I16 => "<i2",
        U32 => "<u4",
        I32 => "<i4",
        U64 => "<u8",
        I64 => "<i8",
        F16 => "<f2",
        F32 => "<f4",
        F64 => "<f8",
        BF16 => {
            return Err("NumPy has no bfloat16 (ml_dtypes saves it as untyped '<V2'); cast to f32 first, or use \
                        safetensors, which has BF16");
        }
    })
}

/// The whole header (magic to newline) for a C-order array, padded so the data starts at a multiple of 64.
pub(crate) fn write_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [] => "()".to_owned(),
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    let (version, prefix) = if dict.len() + 11 <= 65535 { (1u8, 10) } else { (2u8, 12) };
    let total = (prefix + dict.len() + 1).next_multiple_of(64);
    dict.extend(std::iter::repeat_n(' ', total - prefix - dict.len() - 1));
    dict.push('\n');
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}

/// A recursive-descent parser for the Python literals of a header (depth-bounded).
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn parse_all(mut self) -> std::result::Result<Lit, String> {
        let value = self.value(0)?;
        self.skip_ws();
        if self.at != self.s.len() {
            return Err(format!("unexpected text after the dict at byte {}", self.at));
        }
        Ok(value)
    }

    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> std::result::Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.skip_ws();
        let Some(&c) = self.s.get(self.at) else { return Err("it ends where a value should be".into()) };
        match c {
            b'\'' | b'"' => self.string(c),
            b'(' | b'[' => {
                self.at += 1;
                let close = if c == b'(' { b')' } else { b']' };
                let items = self.items(close, depth, |p, d| p.value(d + 1))?;
                Ok(Lit::Seq(items))
            }
            b'{' => {
                self.at += 1;
                let members = self.items(b'}', depth, |p, d| {
                    let key = p.value(d + 1)?;
                    if !p.eat(b':') {
                        return Err(format!("expected ':' at byte {}", p.at));
                    }
                    Ok((key, p.value(d + 1)?))
                })?;
                Ok(Lit::Dict(members))
            }
            b'0'..=b'9' => {
                let start = self.at;
                while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let digits = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
                let n = digits.parse::<u64>().map_err(|_| format!("the integer {digits} is too large"))?;
                if self.s.get(self.at) == Some(&b'L') {
                    self.at += 1; // Python 2's long suffix, as old NumPy wrote it
                }
                Ok(Lit::Int(n))
            }
            _ => {
                for (word, lit) in [("True", Lit::Bool(true)), ("False", Lit::Bool(false)), ("None", Lit::None)] {
                    if self.s[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return Ok(lit);
                    }
                }
                Err(format!("unexpected character {:?} at byte {}", c as char, self.at))
            }
        }
    }

    /// Comma-separated items up to `close` (a trailing comma allowed).
    fn items<T>(
        &mut self,
        close: u8,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> std::result::Result<T, String>,
    ) -> std::result::Result<Vec<T>, String> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(out);
            }
            out.push(item(self, depth)?);
            if !self.eat(b',') {
                return if self.eat(close) {
                    Ok(out)
                } else {
                    Err(format!("expected ',' or a close at byte {}", self.at))
                };
            }
        }
    }

    fn string(&mut self, quote: u8) -> std::result::Result<Lit, String> {
        self.at += 1;
        let start = self.at;
        while let Some(&c) = self.s.get(self.at) {
            if c == quote {
                let s = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                self.at += 1;
                return Ok(Lit::Str(s));
            }
            if c == b'\\' {
                return Err("escapes in header strings are not supported".into());
            }
            self.at += 1;
        }
        Err("a string is not closed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> std::result::Result<Lit, String> {
        Parser { s: s.as_bytes(), at: 0 }.parse_all()
    }

    #[test]
    fn parses_numpy_headers() {
        let lit = parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }").unwrap();
        let Lit::Dict(m) = lit else { panic!("not a dict") };
        assert_eq!(m[2].1, Lit::Seq(vec![Lit::Int(2), Lit::Int(3)]));
        assert_eq!(parse("(3L,)").unwrap(), Lit::Seq(vec![Lit::Int(3)]));
        assert_eq!(parse("()").unwrap(), Lit::Seq(vec![]));
    }

    #[test]
    fn rejects_bad_literals() {
        for s in ["{", "{'a' 1}", "(1 2)", "'abc", "[1,,]", "{'a': 1} x", "99999999999999999999999", "Tru"] {
            assert!(parse(s).is_err(), "{s}");
        }
        assert!(parse(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn header_is_padded_to_64() {
        for shape in [&[][..], &[3], &[2, 3, 4]] {
            let h = write_header("<f4", shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(h.last(), Some(&b'\n'));
        }
    }
}
