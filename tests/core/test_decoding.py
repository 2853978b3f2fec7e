"""Specification of mixroute.decoding: content codings decoded within a size limit."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import random
import sys
import tracemalloc
import types
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import httpx
import pytest
import zstandard

from mixroute import decoding
from mixroute.decoding import BodyTooLarge, ContentDecoder, DecodingFailed, accept_encoding

KiB = 1024
MiB = 1024 * KiB


def _payload(size: int) -> bytes:
    """JSON-like text with an incompressible tail, so every coding has real work to do."""
    rng = random.Random(size)
    rows = [{"id": i, "text": f"token {rng.random()}"} for i in range(size // 40)]
    return (json.dumps(rows).encode() + rng.randbytes(size // 10))[:size]


def _zlib(data: bytes) -> bytes:
    return zlib.compress(data)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def _br(data: bytes) -> bytes:
    return brotli.compress(data, quality=5)  # the default, 11, is slow to compress


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": _zlib,
    "deflate-raw": _raw_deflate,
    "br": _br,
    "zstd": _zstd,
}


def encode(header: str, data: bytes) -> bytes:
    """``data`` with the codings of ``header`` applied, first listed first."""
    for coding in header.split(","):
        coding = coding.strip()
        if coding != "identity":
            data = ENCODERS[coding](data)
    return data


def header_of(name: str) -> str:
    return "deflate" if name == "deflate-raw" else name


def decode_all(header: str | None, reads: list[bytes], limit: int = 64 * MiB) -> bytes:
    decoder = ContentDecoder(header, limit)
    out = [decoder.decode(read) for read in reads]
    out.append(decoder.flush())
    return b"".join(out)


def decode_reads(decoder: ContentDecoder, reads: list[bytes]) -> None:
    for read in reads:
        decoder.decode(read)


def one_byte_reads(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# --- round trips ---------------------------------------------------------------------------

CODINGS = ["gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd", "gzip, br", "br, zstd"]


@pytest.mark.parametrize("name", CODINGS)
def test_round_trip_in_one_read(name: str) -> None:
    data = _payload(300 * KiB)
    header = header_of(name)
    assert decode_all(header, [encode(name, data)]) == data


@pytest.mark.parametrize("name", CODINGS)
def test_round_trip_in_one_byte_reads(name: str) -> None:
    data = _payload(3 * KiB)
    header = header_of(name)
    assert decode_all(header, one_byte_reads(encode(name, data))) == data


@pytest.mark.parametrize("name", CODINGS)
def test_pieces_join_to_the_same_bytes(name: str) -> None:
    data = _payload(300 * KiB)
    decoder = ContentDecoder(header_of(name), 64 * MiB)
    pieces = [*decoder.iter_decode(encode(name, data)), *decoder.iter_flush()]
    assert b"".join(pieces) == data
    assert decoder.size == len(data)


@pytest.mark.parametrize(
    "header", ["gzip", "deflate", "br", "zstd", "gzip, br", "gzip, foo", "foo"]
)
def test_same_bytes_as_httpx(header: str) -> None:
    data = _payload(50 * KiB)
    known = ", ".join(c for c in header.split(", ") if c != "foo")
    body = encode(known, data) if known else data
    expected = httpx.Response(200, headers={"content-encoding": header}, content=body).content
    assert decode_all(header, [body]) == expected == data


def test_zstd_under_another_coding() -> None:
    # httpx 0.28 fails on any stack holding zstd (its flush feeds a finished frame again).
    data = _payload(50 * KiB)
    assert decode_all("zstd, gzip", [encode("zstd, gzip", data)]) == data


def test_codings_are_read_case_and_space_insensitively() -> None:
    data = b"hello " * 100
    assert decode_all(" GZip ,  BR ", [_br(gzip.compress(data))]) == data


def test_size_counts_the_decoded_bytes() -> None:
    decoder = ContentDecoder("gzip", 10 * KiB)
    decoder.decode(gzip.compress(b"x" * 5000))
    decoder.flush()
    assert decoder.size == 5000


# --- identity and unknown codings ------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "identity", "compress", "foo, identity"])
def test_identity_and_unknown_codings_pass_the_same_object_through(header: str | None) -> None:
    # httpx skips a coding it cannot decode, so the bytes arrive as they came.
    decoder = ContentDecoder(header, 100)
    data = b"x" * 60
    assert decoder.decode(data) is data
    assert decoder.flush() == b""
    assert decoder.size == 60


def test_identity_stops_past_the_limit() -> None:
    decoder = ContentDecoder(None, 100)
    decoder.decode(b"x" * 60)
    decoder.decode(b"x" * 40)  # exactly the limit is allowed
    with pytest.raises(BodyTooLarge) as info:
        decoder.decode(b"x")
    assert info.value.limit == 100
    assert "100 bytes" in str(info.value)


def test_an_unknown_coding_in_a_stack_is_skipped_as_httpx_does() -> None:
    assert decode_all("gzip, foo", [gzip.compress(b"abc")]) == b"abc"


# --- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CODINGS)
def test_a_body_of_exactly_the_limit_decodes(name: str) -> None:
    data = _payload(200 * KiB)
    assert decode_all(header_of(name), [encode(name, data)], limit=len(data)) == data


@pytest.mark.parametrize("name", CODINGS)
def test_one_byte_past_the_limit_raises(name: str) -> None:
    data = _payload(200 * KiB)
    with pytest.raises(BodyTooLarge) as info:
        decode_all(header_of(name), [encode(name, data)], limit=len(data) - 1)
    assert info.value.limit == len(data) - 1


def _zlib_bomb(wbits: int, size: int) -> bytes:
    """``size`` zero bytes compressed, without ever holding them."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, compressor.flush()])


def _brotli_bomb(size: int) -> bytes:
    compressor = brotli.Compressor(quality=5)
    block = bytes(MiB)
    parts = [compressor.process(block) for _ in range(size // MiB)]
    return b"".join([*parts, compressor.finish()])


def _zstd_bomb(size: int) -> bytes:
    compressor = zstandard.ZstdCompressor().compressobj()
    block = bytes(MiB)
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, compressor.flush()])


def _zstd_rle_bomb(blocks: int) -> bytes:
    """zstd's worst case by hand: RLE blocks of 128 KiB from 4 bytes each (8 MiB window)."""

    def block(last: int) -> bytes:
        header = (128 * KiB) << 3 | 1 << 1 | last  # size, type RLE, last-block flag
        return header.to_bytes(3, "little") + b"\0"

    frame_header = b"\x28\xb5\x2f\xfd" + b"\x00" + bytes([13 << 3])
    return frame_header + block(0) * (blocks - 1) + block(1)


BOMB_MAKERS: dict[str, Callable[[], bytes]] = {
    "gzip": lambda: _zlib_bomb(31, 16 * MiB),
    "deflate": lambda: _zlib_bomb(15, 16 * MiB),
    "deflate-raw": lambda: _zlib_bomb(-15, 16 * MiB),
    "br": lambda: _brotli_bomb(16 * MiB),
    "zstd": lambda: _zstd_bomb(16 * MiB),
    "zstd-rle": lambda: _zstd_rle_bomb(128),  # 16 MiB from 512 bytes
    "gzip, br": lambda: _br(_zlib_bomb(31, 16 * MiB)),
}


@functools.cache
def bomb(name: str) -> bytes:
    return BOMB_MAKERS[name]()


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("read_size", [16 * KiB, None], ids=["16KiB-reads", "one-read"])
@pytest.mark.parametrize("name", list(BOMB_MAKERS))
def test_a_bomb_stops_at_the_limit_in_bounded_memory(name: str, read_size: int | None) -> None:
    bomb_body = bomb(name)
    header = header_of(name.removesuffix("-rle"))
    step = read_size or len(bomb_body)
    reads = [bomb_body[i : i + step] for i in range(0, len(bomb_body), step)]
    limit = MiB
    decoder = ContentDecoder(header, limit)

    def run() -> None:
        with pytest.raises(BodyTooLarge):
            decode_reads(decoder, reads)

    peak = _peak(run)
    assert decoder.size > limit
    assert peak < 2.5 * limit, f"peak {peak / MiB:.2f} MiB"


@pytest.mark.parametrize("name", list(BOMB_MAKERS))
def test_pieces_stay_small_under_a_huge_limit(name: str) -> None:
    # A stream decoded with a limit far above its line limit: the reader takes one piece
    # at a time and stops itself, so no piece may be large and none is held.
    bomb_body = bomb(name)
    decoder = ContentDecoder(header_of(name.removesuffix("-rle")), 1 << 62)
    largest = 0

    def run() -> None:
        nonlocal largest
        for piece in decoder.iter_decode(bomb_body):
            largest = max(largest, len(piece))
            if decoder.size > 8 * MiB:
                return

    peak = _peak(run)
    assert largest <= 1.25 * MiB
    assert peak < 3 * MiB, f"peak {peak / MiB:.2f} MiB"


# --- framing ------------------------------------------------------------------------------


def test_zstd_frames_one_after_another() -> None:
    first, second = _zstd(b"first " * 1000), _zstd(b"second " * 1000)
    expected = b"first " * 1000 + b"second " * 1000
    assert decode_all("zstd", [first + second]) == expected
    assert decode_all("zstd", [first, second]) == expected
    assert decode_all("zstd", one_byte_reads(first + second)) == expected


def test_deflate_raw_or_zlib_is_told_apart_even_from_one_byte_reads() -> None:
    # httpx decides on its first read, which may hold one byte; the decoder waits for two.
    data = _payload(2 * KiB)
    assert decode_all("deflate", one_byte_reads(_raw_deflate(data))) == data
    assert decode_all("deflate", one_byte_reads(_zlib(data))) == data


def test_empty_bodies_decode_to_nothing() -> None:
    for header in ("gzip", "deflate", "br", "zstd", "gzip, br"):
        assert decode_all(header, []) == b""
        assert decode_all(header, [b""]) == b""


def test_bytes_after_the_end_of_a_gzip_stream_are_ignored_as_httpx_does() -> None:
    assert decode_all("gzip", [gzip.compress(b"abc") + b"trailing junk"]) == b"abc"
    assert decode_all("gzip", [gzip.compress(b"abc"), b"more junk", b"and more"]) == b"abc"


def test_a_truncated_gzip_stream_gives_its_prefix_as_httpx_does() -> None:
    body = gzip.compress(_payload(50 * KiB))
    assert _payload(50 * KiB).startswith(decode_all("gzip", [body[: len(body) // 2]]))


# --- corrupt data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("gzip", b"this is not gzip data at all"),
        ("x-gzip", b"\x1f\x8b\x08\x00garbage-garbage"),
        ("deflate", b"\xff\xff\xff\xff not deflate"),
        ("br", b"\xff\xff\xff\xff not brotli"),
        ("zstd", b"\x28\xb5\x2f\xfd\xff\xff\xff\xff not zstd"),
        ("zstd", b"not zstd at all, no magic"),
        ("gzip, br", brotli.compress(b"not gzip inside")),
    ],
)
def test_corrupt_data_raises_decoding_failed_naming_the_coding(header: str, body: bytes) -> None:
    with pytest.raises(DecodingFailed) as info:
        decode_all(header, [body])
    coding = info.value.coding
    assert coding in header
    assert repr(coding) in str(info.value)


def test_truncated_zstd_is_reported_at_flush_as_httpx_does() -> None:
    body = _zstd(_payload(50 * KiB))
    decoder = ContentDecoder("zstd", MiB)
    decoder.decode(body[:-10])
    with pytest.raises(DecodingFailed, match="incomplete"):
        decoder.flush()


def test_garbage_after_a_zstd_frame_is_an_error() -> None:
    with pytest.raises(DecodingFailed):
        decode_all("zstd", [_zstd(b"abc"), b"garbage after the frame"])


# --- Accept-Encoding ----------------------------------------------------------------------


def test_accept_encoding_offers_what_this_environment_decodes() -> None:
    assert accept_encoding() == "gzip, deflate, br, zstd"  # brotli 1.2 and zstandard here


def _fresh_copy(monkeypatch: pytest.MonkeyPatch, **modules: object) -> types.ModuleType:
    """mixroute.decoding loaded again under another name, with some modules replaced."""
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    path = Path(decoding.__file__)
    spec = importlib.util.spec_from_file_location("_decoding_copy", path)
    assert spec is not None
    assert spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    return copy


def test_accept_encoding_without_optional_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail, as if the package were not installed.
    copy = _fresh_copy(monkeypatch, brotli=None, brotlicffi=None, zstandard=None)
    assert copy.accept_encoding() == "gzip, deflate"
    # Not offered, and if sent anyway, passed through like any coding httpx cannot read.
    body = brotli.compress(b"abc")
    assert copy.ContentDecoder("br", 100).decode(body) is body


def test_a_brotli_that_cannot_cap_its_output_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    class OldDecompressor:
        def process(self, data: bytes) -> bytes:  # brotli < 1.2: no output_buffer_limit
            return data

    old = types.ModuleType("brotli")
    old.Decompressor = OldDecompressor  # type: ignore[attr-defined]
    copy = _fresh_copy(monkeypatch, brotli=old, brotlicffi=None)
    assert copy.accept_encoding() == "gzip, deflate, zstd"


def test_zstd_slices_follow_the_worst_case_block_ratio() -> None:
    # The bound the zstd stage relies on: libzstd refuses a block over 128 KiB.
    oversized = b"\x28\xb5\x2f\xfd\x00" + bytes([13 << 3])
    oversized += ((128 * KiB + 1) << 3 | 1 << 1 | 1).to_bytes(3, "little") + b"\0"
    with pytest.raises(DecodingFailed):
        decode_all("zstd", [oversized])


def test_streamed_gzip_chunks_decode_as_they_arrive() -> None:
    # A gzip'd event stream: each read's events come out of that read, not at the end.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    decoder = ContentDecoder("gzip", MiB)
    for n in range(50):
        event = b'data: {"n": %d}\n\n' % n
        read = compressor.compress(event) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert decoder.decode(read) == event
    decoder.decode(compressor.flush())
    assert decoder.flush() == b""
