//! `AsyncReadExt::read_u32` and friends against `AsyncWriteExt::write_u32` and friends:
//! every value of every type comes back as written, in either byte order, through a small
//! in-memory pipe that splits them across reads; a stream that ends inside a number fails
//! with `UnexpectedEof`.

mod prop_config;

use std::io;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt, duplex};
use proptest::prelude::*;

/// One number of each kind, as a property test draws them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    U8(u8),
    I8(i8),
    U16(u16, bool),
    I16(i16, bool),
    U32(u32, bool),
    I32(i32, bool),
    U64(u64, bool),
    I64(i64, bool),
    U128(u128, bool),
    I128(i128, bool),
    /// Compared by bits, so NaNs compare too.
    F32(u32, bool),
    F64(u64, bool),
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u8>().prop_map(Number::U8),
        any::<i8>().prop_map(Number::I8),
        any::<(u16, bool)>().prop_map(|(v, le)| Number::U16(v, le)),
        any::<(i16, bool)>().prop_map(|(v, le)| Number::I16(v, le)),
        any::<(u32, bool)>().prop_map(|(v, le)| Number::U32(v, le)),
        any::<(i32, bool)>().prop_map(|(v, le)| Number::I32(v, le)),
        any::<(u64, bool)>().prop_map(|(v, le)| Number::U64(v, le)),
        any::<(i64, bool)>().prop_map(|(v, le)| Number::I64(v, le)),
        any::<(u128, bool)>().prop_map(|(v, le)| Number::U128(v, le)),
        any::<(i128, bool)>().prop_map(|(v, le)| Number::I128(v, le)),
        any::<(u32, bool)>().prop_map(|(v, le)| Number::F32(v, le)),
        any::<(u64, bool)>().prop_map(|(v, le)| Number::F64(v, le)),
    ]
}

async fn write<W: AsyncWriteExt + Unpin>(out: &mut W, n: Number) -> io::Result<()> {
    match n {
        Number::U8(v) => out.write_u8(v).await,
        Number::I8(v) => out.write_i8(v).await,
        Number::U16(v, false) => out.write_u16(v).await,
        Number::U16(v, true) => out.write_u16_le(v).await,
        Number::I16(v, false) => out.write_i16(v).await,
        Number::I16(v, true) => out.write_i16_le(v).await,
        Number::U32(v, false) => out.write_u32(v).await,
        Number::U32(v, true) => out.write_u32_le(v).await,
        Number::I32(v, false) => out.write_i32(v).await,
        Number::I32(v, true) => out.write_i32_le(v).await,
        Number::U64(v, false) => out.write_u64(v).await,
        Number::U64(v, true) => out.write_u64_le(v).await,
        Number::I64(v, false) => out.write_i64(v).await,
        Number::I64(v, true) => out.write_i64_le(v).await,
        Number::U128(v, false) => out.write_u128(v).await,
        Number::U128(v, true) => out.write_u128_le(v).await,
        Number::I128(v, false) => out.write_i128(v).await,
        Number::I128(v, true) => out.write_i128_le(v).await,
        Number::F32(v, false) => out.write_f32(f32::from_bits(v)).await,
        Number::F32(v, true) => out.write_f32_le(f32::from_bits(v)).await,
        Number::F64(v, false) => out.write_f64(f64::from_bits(v)).await,
        Number::F64(v, true) => out.write_f64_le(f64::from_bits(v)).await,
    }
}

/// Reads a number of the kind and byte order of `like`.
async fn read<R: AsyncReadExt + Unpin>(input: &mut R, like: Number) -> io::Result<Number> {
    Ok(match like {
        Number::U8(_) => Number::U8(input.read_u8().await?),
        Number::I8(_) => Number::I8(input.read_i8().await?),
        Number::U16(_, false) => Number::U16(input.read_u16().await?, false),
        Number::U16(_, true) => Number::U16(input.read_u16_le().await?, true),
        Number::I16(_, false) => Number::I16(input.read_i16().await?, false),
        Number::I16(_, true) => Number::I16(input.read_i16_le().await?, true),
        Number::U32(_, false) => Number::U32(input.read_u32().await?, false),
        Number::U32(_, true) => Number::U32(input.read_u32_le().await?, true),
        Number::I32(_, false) => Number::I32(input.read_i32().await?, false),
        Number::I32(_, true) => Number::I32(input.read_i32_le().await?, true),
        Number::U64(_, false) => Number::U64(input.read_u64().await?, false),
        Number::U64(_, true) => Number::U64(input.read_u64_le().await?, true),
        Number::I64(_, false) => Number::I64(input.read_i64().await?, false),
        Number::I64(_, true) => Number::I64(input.read_i64_le().await?, true),
        Number::U128(_, false) => Number::U128(input.read_u128().await?, false),
        Number::U128(_, true) => Number::U128(input.read_u128_le().await?, true),
        Number::I128(_, false) => Number::I128(input.read_i128().await?, false),
        Number::I128(_, true) => Number::I128(input.read_i128_le().await?, true),
        Number::F32(_, false) => Number::F32(input.read_f32().await?.to_bits(), false),
        Number::F32(_, true) => Number::F32(input.read_f32_le().await?.to_bits(), true),
        Number::F64(_, false) => Number::F64(input.read_f64().await?.to_bits(), false),
        Number::F64(_, true) => Number::F64(input.read_f64_le().await?.to_bits(), true),
    })
}

proptest! {
    #![proptest_config(prop_config::config(256))]

    #[test]
    fn numbers_come_back_as_written(
        numbers in proptest::collection::vec(number(), 0..40),
        pipe in 1usize..20,
    ) {
        let mut core = Core::new().unwrap();
        let got = core.run(async {
            // A pipe smaller than most numbers: each is split across several reads.
            let (mut writer, mut reader) = duplex(pipe);
            let sent = numbers.clone();
            let writing = mirage::spawn(async move {
                for n in sent {
                    write(&mut writer, n).await.unwrap();
                }
            });
            let mut got = Vec::new();
            for &like in &numbers {
                got.push(read(&mut reader, like).await.unwrap());
            }
            writing.await.unwrap();
            got
        });
        prop_assert_eq!(got, numbers);
    }
}

#[test]
fn the_byte_orders_are_the_ones_named() {
    let mut core = Core::new().unwrap();
    let mut out = Vec::new();
    core.run(async {
        out.write_u32(0x0102_0304).await.unwrap();
        out.write_u32_le(0x0102_0304).await.unwrap();
    });
    assert_eq!(out, [1, 2, 3, 4, 4, 3, 2, 1]);
}

#[test]
fn a_stream_that_ends_inside_a_number_fails_with_unexpected_eof() {
    let mut core = Core::new().unwrap();
    let mut input: &[u8] = &[0, 0, 1];
    let err = core.run(input.read_u32()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}
