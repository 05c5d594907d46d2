"""Reading a response body under a size cap, on the wire and after decompression.

A gzip, deflate or brotli "bomb" of one megabyte can expand to gigabytes, so no decoder is ever asked for
more than PIECE bytes of output at a time, and every stage counts what it has produced against the cap.
Memory stays near the cap whatever the server sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from articles.fetching.errors import PermanentFetchError, ResponseTooLargeError

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None

PIECE = 64 * 1024


def accept_encoding() -> str:
    return "gzip, deflate, br" if brotli is not None else "gzip, deflate"


def human_size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _too_large(limit: int, *, decompressed: bool) -> ResponseTooLargeError:
    where = " once decompressed" if decompressed else ""
    return ResponseTooLargeError(f"The response is larger than the {human_size(limit)} limit{where}.")


def _corrupt(name: str) -> PermanentFetchError:
    return PermanentFetchError(f"The server sent a corrupt {name}-compressed body.")


class _ZlibDecoder:
    def __init__(self, name: str, wbits: int) -> None:
        self.name = name
        self._wbits = wbits
        self._d = zlib.decompressobj(wbits)
        self._head = b""  # deflate: the first bytes, kept until we know whether a zlib header is there
        self._started = False
        self._done = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._decode(data)
        except zlib.error:
            raise _corrupt(self.name) from None

    def _decode(self, data: bytes) -> Iterator[bytes]:
        if self._done:
            return
        if not self._started:
            self._head += data
            if len(self._head) < 2 and data:
                return
            data, self._head = self._head, b""
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error:
                if self.name != "deflate":
                    raise
                # "deflate" is often sent as a raw stream, without the zlib wrapper it should have.
                self._wbits = -zlib.MAX_WBITS
                self._d = zlib.decompressobj(self._wbits)
                out = self._d.decompress(data, PIECE)
            self._started = True
        else:
            out = self._d.decompress(data, PIECE)
        while True:
            if out:
                yield out
            if self._d.eof:
                # gzip allows several members one after the other; anything else after the end is ignored.
                rest = self._d.unused_data
                if self.name != "gzip" or not rest:
                    return
                self._d = zlib.decompressobj(self._wbits)
                try:
                    out = self._d.decompress(rest, PIECE)
                except zlib.error:
                    self._done = True  # trailing garbage after a complete member: browsers ignore it too
                    return
                continue
            tail = self._d.unconsumed_tail
            # A full piece may leave output inside zlib even when all input was taken: ask again.
            if not tail and len(out) < PIECE:
                return
            out = self._d.decompress(tail, PIECE)

    def flush(self) -> Iterator[bytes]:
        # Ask with empty input until nothing comes: zlib's own flush() has no output limit. A body cut
        # short ends here too, and keeps what was decoded (as browsers do).
        yield from self.decode(b"")


class _BrotliDecoder:
    name = "br"

    def __init__(self) -> None:
        assert brotli is not None
        self._d = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._d.is_finished():
                return
            out = self._d.process(data, output_buffer_limit=PIECE)
            if out:
                yield out
            while not self._d.can_accept_more_data():
                out = self._d.process(b"", output_buffer_limit=PIECE)
                if not out:
                    return
                yield out
        except brotli.error:
            raise _corrupt("brotli") from None

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _decoders(content_encoding: str) -> list[_ZlibDecoder | _BrotliDecoder]:
    """Decoders in the order to apply them (the reverse of the order the server encoded in)."""
    decoders: list[_ZlibDecoder | _BrotliDecoder] = []
    for token in reversed([t.strip().lower() for t in content_encoding.split(",")]):
        if token in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder("gzip", 16 + zlib.MAX_WBITS))
        elif token == "deflate":
            decoders.append(_ZlibDecoder("deflate", zlib.MAX_WBITS))
        elif token == "br" and brotli is not None:
            decoders.append(_BrotliDecoder())
        # identity, empty and unknown codings are passed through as they are, as httpx does.
    return decoders


class BodyReader:
    """Feed it raw chunks off the wire; `finish()` returns the decoded body or raises."""

    def __init__(self, *, content_encoding: str, max_bytes: int) -> None:
        self._max = max_bytes
        self._decoders = _decoders(content_encoding)
        self._produced = [0] * len(self._decoders)
        self._wire = 0
        self._body = bytearray()

    def _stage(self, index: int, pieces: Iterable[bytes], final: bool) -> Iterator[bytes]:
        decoder = self._decoders[index]
        for piece in pieces:
            yield from self._count(index, decoder.decode(piece))
        if final:
            yield from self._count(index, decoder.flush())

    def _count(self, index: int, outputs: Iterator[bytes]) -> Iterator[bytes]:
        for out in outputs:
            self._produced[index] += len(out)
            if self._produced[index] > self._max:
                raise _too_large(self._max, decompressed=True)
            yield out

    def _pipe(self, pieces: Iterable[bytes], final: bool) -> None:
        for index in range(len(self._decoders)):
            pieces = self._stage(index, pieces, final)
        for out in pieces:
            if len(self._body) + len(out) > self._max:
                raise _too_large(self._max, decompressed=bool(self._decoders))
            self._body += out

    def feed(self, chunk: bytes) -> None:
        self._wire += len(chunk)
        if self._wire > self._max:
            raise _too_large(self._max, decompressed=False)
        self._pipe([chunk], final=False)

    def finish(self) -> bytes:
        self._pipe([], final=True)
        body = bytes(self._body)
        self._body = bytearray()
        return body
