"""Vectorised output of a batch block: JSON lines written by one compiled, parallel pass.

The per-suggestion f-string of the first JsonlSink cost about 3.5 µs a suggestion: 35 s for
1M people x 10 suggestions, four times the ranking. Here Python touches no suggestion:

- ids are JSON-encoded once per run, by one ``json.dumps`` of the whole id list (the C
  encoder), into one byte buffer with start offsets;
- scores are written by a compiled shortest round-trip formatter (Ryu, :func:`_put_float`)
  that gives CPython's ``repr`` of a float byte for byte (what ``json.dumps`` writes for a
  finite float). It replaced one ``repr`` of the block's score list, which held the GIL on
  one core: 119 ms of a 206 ms block of 20,000 people x 10 (``profile_jsonl.py``);
- a numba kernel writes ids, scores, counts and the fixed JSON text into one output buffer,
  the block's rows split in chunks over every thread, each chunk at an offset from a cheap
  upper bound, the chunks then moved together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from numba import njit, prange

from graphmatch.index import kernels

__all__ = ["encode_lines", "float_reprs", "id_table", "quoted_ids"]


def quoted_ids(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return every id's JSON string (``json.dumps(id)``) as one buffer and start offsets.

    Parameters
    ----------
    ids : sequence of str
        The ids.

    Returns
    -------
    buf : numpy.ndarray of uint8
        The quoted ids, each followed by a newline (which no JSON string holds unescaped).
    start : numpy.ndarray of int64
        ``len(ids) + 1`` offsets: id i is ``buf[start[i] : start[i + 1] - 1]``.

    Examples
    --------
    >>> buf, start = quoted_ids(["a", 'b"'])
    >>> bytes(buf[start[1] : start[2] - 1])
    b'"b\\\\""'
    """
    # separators=("\n", ...): a JSON string never holds a raw newline, so newlines split the
    # encoded list exactly; ensure_ascii (the default) is what the line writer always used.
    text = json.dumps(list(ids), separators=("\n", ":"))[1:-1]
    buf = np.frombuffer((text + "\n").encode("ascii") if ids else b"", np.uint8)
    start = np.zeros(len(ids) + 1, np.int64)
    if len(ids):
        start[1:] = np.flatnonzero(buf == 10) + 1
    return buf, start


#: Bytes per id in the fixed-width table (:func:`id_table`): a length byte and the quoted id.
WIDE = 16


@njit(cache=True, nogil=True)
def _fill_table(buf: np.ndarray, start: np.ndarray, table: np.ndarray) -> None:
    """Fill the fixed-width id table from the quoted ids (length 255: too long, use buf)."""
    for i in range(start.shape[0] - 1):
        lo = start[i]
        n = start[i + 1] - 1 - lo
        if n >= WIDE:
            table[i, 0] = 255
            continue
        table[i, 0] = n
        for t in range(n):
            table[i, 1 + t] = buf[lo + t]


def id_table(ids: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Return the quoted ids in rows of :data:`WIDE` bytes: the length, then the id.

    Naming a suggested person then reads one cache line, not an offset and then the bytes
    (two dependent misses in graph-sized arrays); ids of 15 bytes or more quoted are marked
    with length 255 and read from the buffer.

    Parameters
    ----------
    ids : tuple of numpy.ndarray
        :func:`quoted_ids` of the ids.

    Returns
    -------
    numpy.ndarray of uint8
        ``(len(ids), WIDE)``.

    Examples
    --------
    >>> id_table(quoted_ids(["ab", "x" * 20]))[:, :5].tolist()
    [[4, 34, 97, 98, 34], [255, 0, 0, 0, 0]]
    """
    buf, start = ids
    table = np.zeros((start.shape[0] - 1, WIDE), np.uint8)
    _fill_table(buf, start, table)
    return table


# --- Ryu (Ulf Adams, PLDI 2018): the shortest digits that read back as the same double. ---
# The 125-bit powers of 5 and their inverses are built here from Python's exact integers and
# held as 28-bit limbs, so every product in the kernel fits a signed 64-bit integer.
_BITS = 125
_LIMB = 28
_MASK = (1 << _LIMB) - 1
#: Longest repr of a float: "-2.2250738585072014e-308".
FLOAT_REPR_MAX = 24


def _limbs(x: int) -> list[int]:
    """Split a non-negative integer under 2**140 into five 28-bit limbs, lowest first."""
    return [(x >> (_LIMB * i)) & _MASK for i in range(5)]


def _pow5_tables() -> tuple[np.ndarray, np.ndarray]:
    """Return Ryu's tables: ceil-ish 2**j / 5**i (i < 342) and 5**i's top 125 bits (i < 326)."""
    inv = np.zeros((342, 5), np.int64)
    for i in range(342):
        p = 5**i
        inv[i] = _limbs((1 << (p.bit_length() - 1 + _BITS)) // p + 1)
    pw = np.zeros((326, 5), np.int64)
    for i in range(326):
        p = 5**i
        j = p.bit_length() - _BITS
        pw[i] = _limbs(p >> j if j >= 0 else p << -j)
    return inv, pw


_POW5_INV, _POW5 = _pow5_tables()


@njit(cache=True, nogil=True)
def _mul_shift(m: int, tab: np.ndarray, row: int, j: int) -> int:
    """Return floor(m * tab[row] / 2**j) for m < 2**56 (the result is under 2**63)."""
    a0 = m & 0xFFFFFFF
    a1 = m >> 28
    b0, b1, b2, b3, b4 = tab[row, 0], tab[row, 1], tab[row, 2], tab[row, 3], tab[row, 4]
    # Partial products of 28-bit limbs stay under 2**57: no overflow before the carries.
    t = a0 * b0
    c0 = t & 0xFFFFFFF
    t = (t >> 28) + a0 * b1 + a1 * b0
    c1 = t & 0xFFFFFFF
    t = (t >> 28) + a0 * b2 + a1 * b1
    c2 = t & 0xFFFFFFF
    t = (t >> 28) + a0 * b3 + a1 * b2
    c3 = t & 0xFFFFFFF
    t = (t >> 28) + a0 * b4 + a1 * b3
    c4 = t & 0xFFFFFFF
    t = (t >> 28) + a1 * b4
    c5 = t & 0xFFFFFFF
    c6 = t >> 28
    limbs = (c0, c1, c2, c3, c4, c5, c6)
    k0 = j // 28
    r = j - 28 * k0
    out = limbs[k0] >> r
    # Higher limbs shifted into place; bits past 63 wrap away, and the result fits in 63.
    for t2 in range(1, 4):
        if k0 + t2 > 6:
            break
        sh = 28 * t2 - r
        if sh < 64:
            out += limbs[k0 + t2] << sh
    return int(out)


@njit(cache=True, nogil=True)
def _pow5_factor(value: int) -> int:
    """Return how many times 5 divides value (> 0)."""
    count = 0
    while value % 5 == 0:
        value //= 5
        count += 1
    return count


@njit(cache=True, nogil=True)
def _shortest(bits: int, inv: np.ndarray, pw: np.ndarray) -> tuple[int, int]:
    """Return (digits, exponent) of a finite non-zero double's shortest round-trip decimal."""
    mantissa = bits & ((1 << 52) - 1)
    exponent = (bits >> 52) & 0x7FF
    if exponent == 0:
        e2 = 1 - 1023 - 52 - 2
        m2 = mantissa
    else:
        e2 = exponent - 1023 - 52 - 2
        m2 = (1 << 52) | mantissa
    accept = (m2 & 1) == 0
    mv = 4 * m2
    mm_shift = 1 if (mantissa != 0 or exponent <= 1) else 0
    vm_tz = False
    vr_tz = False
    if e2 >= 0:
        q = ((e2 * 78913) >> 18) - (1 if e2 > 3 else 0)
        e10 = q
        k = _BITS + ((q * 1217359) >> 19) + 1 - 1
        i = -e2 + q + k
        vr = _mul_shift(4 * m2, inv, q, i)
        vp = _mul_shift(4 * m2 + 2, inv, q, i)
        vm = _mul_shift(4 * m2 - 1 - mm_shift, inv, q, i)
        if q <= 21:
            if mv % 5 == 0:
                vr_tz = _pow5_factor(mv) >= q
            elif accept:
                vm_tz = _pow5_factor(mv - 1 - mm_shift) >= q
            else:
                vp -= 1 if _pow5_factor(mv + 2) >= q else 0
    else:
        q = ((-e2 * 732923) >> 20) - (1 if -e2 > 1 else 0)
        e10 = q + e2
        i = -e2 - q
        k = ((i * 1217359) >> 19) + 1 - _BITS
        j = q - k
        vr = _mul_shift(4 * m2, pw, i, j)
        vp = _mul_shift(4 * m2 + 2, pw, i, j)
        vm = _mul_shift(4 * m2 - 1 - mm_shift, pw, i, j)
        if q <= 1:
            vr_tz = True
            if accept:
                vm_tz = mm_shift == 1
            else:
                vp -= 1
        elif q < 63:
            vr_tz = (mv & ((1 << q) - 1)) == 0
    removed = 0
    last = 0
    if vm_tz or vr_tz:
        # The general case (about 0.7% of doubles): exact trailing zeros matter.
        while vp // 10 > vm // 10:
            vm_tz = vm_tz and vm % 10 == 0
            vr_tz = vr_tz and last == 0
            last = vr % 10
            vr //= 10
            vp //= 10
            vm //= 10
            removed += 1
        if vm_tz:
            while vm % 10 == 0:
                vr_tz = vr_tz and last == 0
                last = vr % 10
                vr //= 10
                vp //= 10
                vm //= 10
                removed += 1
        if vr_tz and last == 5 and vr % 2 == 0:
            last = 4  # exactly ...50...0: round half to even
        up = (vr == vm and (not accept or not vm_tz)) or last >= 5
        output = vr + (1 if up else 0)
    else:
        round_up = False
        if vp // 100 > vm // 100:
            round_up = vr % 100 >= 50
            vr //= 100
            vp //= 100
            vm //= 100
            removed += 2
        while vp // 10 > vm // 10:
            round_up = vr % 10 >= 5
            vr //= 10
            vp //= 10
            vm //= 10
            removed += 1
        output = vr + (1 if (vr == vm or round_up) else 0)
    return output, e10 + removed


#: "00" to "99": digits are written two per division (a 17-digit score took 34 divisions).
_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode("ascii"), np.uint8).copy()
#: 10**0 .. 10**18.
_POW10 = np.array([10**i for i in range(19)], np.int64)


@njit(cache=True, nogil=True)
def _put_digits(out: np.ndarray, at: int, value: int, n: int) -> None:
    """Write the n decimal digits of value (>= 0) at ``at``."""
    t = at + n
    while t - at >= 2:
        q = value // 100
        r = 2 * (value - 100 * q)
        out[t - 2] = _PAIRS[r]
        out[t - 1] = _PAIRS[r + 1]
        value = q
        t -= 2
    if t > at:
        out[at] = 48 + value


@njit(cache=True, nogil=True)
def _n_digits(value: int) -> int:
    """Return how many decimal digits a non-negative int (< 10**18) has."""
    # From the top: most scores have 16 or 17 digits (a loop up from 1 cost 50 ns a float).
    n = 18
    while n > 1 and value < _POW10[n - 1]:
        n -= 1
    return n


@njit(cache=True, nogil=True)
def _put_float(out: np.ndarray, at: int, bits: int, inv: np.ndarray, pw: np.ndarray) -> int:
    """Write ``repr`` of the double with these bits at ``at``; return the position after it."""
    exponent = (bits >> 52) & 0x7FF
    if exponent == 0x7FF and bits & ((1 << 52) - 1):  # repr(nan), whatever its sign
        out[at], out[at + 1], out[at + 2] = 110, 97, 110
        return at + 3
    if bits < 0:
        out[at] = 45  # -
        at += 1
        bits &= 0x7FFFFFFFFFFFFFFF
    if exponent == 0x7FF:  # inf: what repr writes (not JSON; scores are finite)
        out[at], out[at + 1], out[at + 2] = 105, 110, 102
        return at + 3
    if bits == 0:
        out[at], out[at + 1], out[at + 2] = 48, 46, 48  # 0.0
        return at + 3
    digits, e10 = _shortest(bits, inv, pw)
    n = _n_digits(digits)
    point = e10 + n  # value = 0.DIGITS * 10**point
    if -4 < point <= 16:  # CPython's float_repr_style "short": fixed notation
        if point <= 0:
            out[at], out[at + 1] = 48, 46  # 0.
            at += 2
            for _ in range(-point):
                out[at] = 48
                at += 1
            _put_digits(out, at, digits, n)
            return at + n
        if point < n:
            scale = _POW10[n - point]
            high = digits // scale
            _put_digits(out, at, high, point)
            out[at + point] = 46
            _put_digits(out, at + point + 1, digits - high * scale, n - point)
            return at + n + 1
        _put_digits(out, at, digits, n)
        at += n
        for _ in range(point - n):
            out[at] = 48
            at += 1
        out[at], out[at + 1] = 46, 48  # .0
        return at + 2
    # Exponent notation: d[.ddd]e+XX / e-XX, at least two exponent digits.
    scale = _POW10[n - 1]
    lead = digits // scale
    out[at] = 48 + lead
    at += 1
    if n > 1:
        out[at] = 46
        _put_digits(out, at + 1, digits - lead * scale, n - 1)
        at += n
    e = point - 1
    out[at] = 101  # e
    out[at + 1] = 45 if e < 0 else 43
    at += 2
    e = -e if e < 0 else e
    ne = max(2, _n_digits(e))
    _put_digits(out, at, e, ne)
    return at + ne


@njit(cache=True, nogil=True)
def _reprs(bits: np.ndarray, inv: np.ndarray, pw: np.ndarray) -> np.ndarray:
    """Return the reprs of the doubles with these bits, each followed by a newline."""
    out = np.empty(bits.shape[0] * (FLOAT_REPR_MAX + 1), np.uint8)
    at = 0
    for i in range(bits.shape[0]):
        at = _put_float(out, at, bits[i], inv, pw)
        out[at] = 10
        at += 1
    return out[:at]


def float_reprs(values: np.ndarray) -> list[str]:
    """Return ``repr`` of each float as the compiled formatter writes it (for tests, checks).

    Parameters
    ----------
    values : numpy.ndarray of float64
        The floats.

    Returns
    -------
    list of str
        One repr per value, as CPython's ``repr(float(v))`` writes it.

    Examples
    --------
    >>> float_reprs(np.array([0.5, 1e-5, 1e16, 2.0 / 3.0, 123456789.0]))
    ['0.5', '1e-05', '1e+16', '0.6666666666666666', '123456789.0']
    """
    bits = np.ascontiguousarray(values, np.float64).reshape(-1).view(np.int64)
    return bytes(_reprs(bits, _POW5_INV, _POW5)).decode("ascii").split("\n")[:-1]


_LIT = {
    "open": b'{"id":',
    "sugg": b',"suggestions":[',
    "end": b"]}\n",
    "score": b',"score":',
    "count": b',"mutual_count":',
    "mutual": b',"mutual":[',
}
_OPEN, _SUGG, _END, _SCORE, _COUNT, _MUTUAL = (
    np.frombuffer(_LIT[k], np.uint8).copy()
    for k in ("open", "sugg", "end", "score", "count", "mutual")
)


@njit(cache=True, nogil=True)
def _put(out: np.ndarray, at: int, src: np.ndarray, lo: int, hi: int) -> int:
    """Copy src[lo:hi] to out at ``at``; return the position after it."""
    for t in range(hi - lo):
        out[at + t] = src[lo + t]
    return at + hi - lo


@njit(cache=True, nogil=True)
def _put_int(out: np.ndarray, at: int, value: int) -> int:
    """Write a non-negative int's decimal digits at ``at``; return the position after them."""
    n = _n_digits(value)
    _put_digits(out, at, value, n)
    return at + n


@njit(cache=True, nogil=True)
def _put_id(
    out: np.ndarray, at: int, v: int, ibuf: np.ndarray, istart: np.ndarray, table: np.ndarray
) -> int:
    """Write id v's JSON string at ``at``; return the position after it."""
    n = table[v, 0]
    if n == 255:
        return _put(out, at, ibuf, istart[v], istart[v + 1] - 1)
    for t in range(n):
        out[at + t] = table[v, 1 + t]
    return int(at + n)


@njit(cache=True, nogil=True)
def _emit_rows(
    lo: int,
    hi: int,
    pbuf: np.ndarray,
    pstart: np.ndarray,
    ibuf: np.ndarray,
    istart: np.ndarray,
    table: np.ndarray,
    found: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
    sbits: np.ndarray,
    named: np.ndarray,
    explain: bool,
    lit: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    inv: np.ndarray,
    pw: np.ndarray,
    out: np.ndarray,
    at: int,
) -> int:
    """Write rows lo..hi-1's lines into out from ``at``; return the position after them."""
    l_open, l_sugg, l_end, l_score, l_count, l_mutual = lit
    flat = table.reshape(-1)
    for i in range(lo, hi):
        # The ids two rows ahead: random rows of a graph-sized table miss every cache.
        if i + 2 < hi:
            for j in range(lengths[i + 2]):
                kernels._prefetch(flat, found[i + 2, j] * WIDE)
        at = _put(out, at, l_open, 0, l_open.shape[0])
        at = _put(out, at, pbuf, pstart[i], pstart[i + 1] - 1)
        at = _put(out, at, l_sugg, 0, l_sugg.shape[0])
        for j in range(lengths[i]):
            if j > 0:
                out[at] = 44  # ,
                at += 1
            at = _put(out, at, l_open, 0, l_open.shape[0])
            at = _put_id(out, at, found[i, j], ibuf, istart, table)
            at = _put(out, at, l_score, 0, l_score.shape[0])
            at = _put_float(out, at, sbits[i, j], inv, pw)
            at = _put(out, at, l_count, 0, l_count.shape[0])
            at = _put_int(out, at, counts[i, j])
            if explain:
                at = _put(out, at, l_mutual, 0, l_mutual.shape[0])
                first = True
                for t in range(named.shape[2]):
                    w = named[i, j, t]
                    if w < 0:
                        continue
                    if not first:
                        out[at] = 44
                        at += 1
                    first = False
                    at = _put_id(out, at, w, ibuf, istart, table)
                out[at] = 93  # ]
                at += 1
            out[at] = 125  # }
            at += 1
        at = _put(out, at, l_end, 0, l_end.shape[0])
    return at


@njit(cache=True, nogil=True)
def _bounds(
    pstart: np.ndarray,
    lengths: np.ndarray,
    longest: int,
    n_explain: int,
    lit: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    chunks: int,
) -> np.ndarray:
    """Return where each chunk of rows starts writing: cumulative upper bounds of its size."""
    l_open, l_sugg, l_end, l_score, l_count, l_mutual = lit
    rows = lengths.shape[0]
    fixed_line = l_open.shape[0] + l_sugg.shape[0] + l_end.shape[0]
    # Per suggestion: a comma, the JSON text, the longest id, float repr and int, "}", and
    # with explain each named friend as the longest id and a comma. A bound from the longest
    # id reads no id: an exact one read each suggested id once more (a cache miss each), and
    # the pages past what a chunk writes are never touched.
    item = 1 + l_open.shape[0] + longest + l_score.shape[0] + FLOAT_REPR_MAX
    item += l_count.shape[0] + 20 + 1
    if n_explain > 0:
        item += l_mutual.shape[0] + 1 + n_explain * (longest + 1)
    bound = np.zeros(chunks + 1, np.int64)
    for c in range(chunks):
        lo = rows * c // chunks
        hi = rows * (c + 1) // chunks
        size = (hi - lo) * fixed_line + pstart[hi] - pstart[lo]
        for i in range(lo, hi):
            size += item * lengths[i]
        bound[c + 1] = bound[c] + size
    return bound


@njit(cache=True, nogil=True, parallel=True)
def _emit_chunks(
    pbuf: np.ndarray,
    pstart: np.ndarray,
    ibuf: np.ndarray,
    istart: np.ndarray,
    table: np.ndarray,
    found: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
    sbits: np.ndarray,
    named: np.ndarray,
    explain: bool,
    lit: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    inv: np.ndarray,
    pw: np.ndarray,
    bound: np.ndarray,
    out: np.ndarray,
    ends: np.ndarray,
) -> None:
    """Write each chunk of rows at its bound on every thread; record where each ends.

    Nothing but the prange loop is in here: numba turns array expressions of a parallel
    function into parallel loops of their own, and those tiny regions (one per chunk) made
    the writer 5x slower on two threads than on one.
    """
    chunks = ends.shape[0]
    rows = lengths.shape[0]
    for c in prange(chunks):
        lo = rows * c // chunks
        hi = rows * (c + 1) // chunks
        ends[c] = _emit_rows(
            lo, hi, pbuf, pstart, ibuf, istart, table, found, counts, lengths, sbits, named,
            explain, lit, inv, pw, out, bound[c],
        )  # fmt: skip


@njit(cache=True, nogil=True)
def _compact(out: np.ndarray, bound: np.ndarray, ends: np.ndarray) -> int:
    """Move the chunks together (each only down: a forward copy is safe); return the size."""
    if ends.shape[0] == 0:
        return 0
    at = ends[0]
    for c in range(1, ends.shape[0]):
        for t in range(bound[c], ends[c]):
            out[at] = out[t]
            at += 1
    return int(at)


#: Rows per chunk of the parallel writer: small enough to spread a block over the threads
#: evenly, large enough that a chunk's fixed cost is nothing.
CHUNK_ROWS = 512


def encode_lines(
    people: Sequence[str],
    ids: tuple[np.ndarray, np.ndarray],
    found: np.ndarray,
    counts: np.ndarray,
    scores: np.ndarray,
    lengths: np.ndarray,
    named: np.ndarray | None,
    table: np.ndarray | None = None,
    longest: int | None = None,
) -> np.ndarray:
    """Return a block's JSON lines, byte for byte the ones ``json.dumps`` writes.

    Runs a ``parallel=True`` kernel, under :data:`graphmatch.index.kernels.PARALLEL`.

    Parameters
    ----------
    people : sequence of str
        The block's people, one line each.
    ids : tuple of numpy.ndarray
        :func:`quoted_ids` of every id the positions in ``found`` and ``named`` refer to.
    found, counts, scores : numpy.ndarray
        ``(people, k)`` suggested positions, mutual counts and scores.
    lengths : numpy.ndarray
        Suggestions per person.
    named : numpy.ndarray or None
        ``(people, k, explain)`` named mutual friends (-1 pads), or None for no ``"mutual"``.
    table : numpy.ndarray, optional
        :func:`id_table` of ``ids`` (built here if not given: pass it to reuse it).
    longest : int, optional
        The longest quoted id's bytes (computed here if not given).

    Returns
    -------
    numpy.ndarray of uint8
        The lines, each ending in a newline.

    Examples
    --------
    >>> ids = quoted_ids(["a", "b"])
    >>> out = encode_lines(["a"], ids, np.array([[1]]), np.array([[1]]), np.array([[0.5]]),
    ...                    np.array([1]), None)
    >>> bytes(out)
    b'{"id":"a","suggestions":[{"id":"b","score":0.5,"mutual_count":1}]}\\n'
    """
    pbuf, pstart = quoted_ids(people)
    ibuf, istart = ids
    if table is None:
        table = id_table(ids)
    if longest is None:
        longest = int(np.diff(istart).max(initial=1)) - 1
    lengths = np.ascontiguousarray(lengths, np.int64)
    found = np.ascontiguousarray(found, np.int64)
    counts = np.ascontiguousarray(counts, np.int64)
    sbits = np.ascontiguousarray(scores, np.float64).view(np.int64)
    explain = named is not None
    nm = np.zeros((0, 0, 0), np.int64) if named is None else np.ascontiguousarray(named, np.int64)
    lit = (_OPEN, _SUGG, _END, _SCORE, _COUNT, _MUTUAL)
    chunks = -(-len(lengths) // CHUNK_ROWS)
    bound = _bounds(pstart, lengths, longest, nm.shape[2] if explain else 0, lit, chunks)
    out = np.empty(int(bound[-1]), np.uint8)
    ends = np.zeros(chunks, np.int64)
    with kernels.PARALLEL:  # numba's workqueue layer aborts on two parallel callers at once
        _emit_chunks(
            pbuf, pstart, ibuf, istart, table, found, counts, lengths, sbits, nm, explain, lit,
            _POW5_INV, _POW5, bound, out, ends,
        )  # fmt: skip
    return out[: _compact(out, bound, ends)]
