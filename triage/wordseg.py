"""jieba's precise-mode segmentation (``jieba.lcut(text)``, HMM on) with a compact
dictionary, for the processes that only score texts (issue 14, item 3: memory).

Why not jieba itself there: ``import jieba`` costs ~21 MB (it imports pkg_resources) and
its dictionary another ~62 MB, a Python dict of 498,000 words and word prefixes, in
every Celery child that routes with a learned model. Here the same 349,000 words of
jieba's own ``dict.txt`` are one sorted string with two integer arrays (~6 MB): a word's
frequency and "is this a prefix of some word" are binary searches instead of dict
lookups (a few µs each, ~1 ms a text). The algorithm is jieba 0.42.1's, line for line
(``Tokenizer.get_DAG``, ``calc``, ``__cut_DAG`` and ``finalseg``'s Viterbi over its own
probability tables), so the words, and with them the model's features and predictions,
are the ones jieba gives: ``triage/tests/test_wordseg.py`` compares the two on the demo
texts and the generator's phrasings. Training keeps using jieba (faster per text, and
the process loads scikit-learn anyway).
"""

from __future__ import annotations

import bisect
import mmap
import os
import pickle
import re
import subprocess
import sys
import tempfile
import threading
from array import array
from importlib.util import find_spec
from math import log
from pathlib import Path

FORMAT = "wordseg4"
HEADER = 64
MIN_FLOAT = -3.14e100
STATES = "BEMS"
PREV_STATUS = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}
# jieba.re_han_default / re_skip_default and finalseg's re_han / re_skip.
RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
RE_SKIP = re.compile("(\r\n|\\s)", re.U)
RE_HMM_HAN = re.compile("([\u4e00-\u9fd5]+)")
RE_HMM_SKIP = re.compile("([a-zA-Z0-9]+(?:\\.\\d+)?%?)")


def jieba_dir() -> Path:
    """jieba's package directory, found without importing jieba."""
    spec = find_spec("jieba")
    if spec is None or not spec.origin:
        raise ImportError("jieba is not installed")
    return Path(spec.origin).parent


def compile_dictionary(directory: Path, target: Path) -> None:
    """jieba's dict.txt and HMM emission table → the compact file: a header line padded
    to 64 bytes (format, total, word count n, character count m), then as arrays each
    word's count (uint32 × n), each word's byte offset (uint32 × n+1), the emitting
    characters' code points, sorted (uint32 × m), their emission log-probabilities for
    the states B, E, M, S (float64 × 4m, MIN_FLOAT where a state has none), and last the
    sorted distinct words in UTF-8 (whose byte order is the code-point order Python
    sorts str by)."""
    freq: dict[str, int] = {}
    total = 0
    with open(directory / "dict.txt", "rb") as f:
        for line in f:
            word, count = line.strip().decode("utf-8").split(" ")[:2]
            freq[word] = int(count)  # a repeated word keeps its last count, as in jieba
            total += int(count)
    words = sorted(freq)
    counts = array("I", (freq[w] for w in words))
    encoded = [w.encode("utf-8") for w in words]
    starts = array("I", [0])
    for w in encoded:
        starts.append(starts[-1] + len(w))
    with open(directory / "finalseg" / "prob_emit.p", "rb") as f:
        emit = pickle.load(f)
    chars = sorted(set().union(*emit.values()))
    codes = array("I", (ord(c) for c in chars))
    probs = array("d", (emit[state].get(c, MIN_FLOAT) for state in STATES for c in chars))
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(f"{FORMAT} {total} {len(words)} {len(chars)}".encode().ljust(HEADER - 1) + b"\n")
        for part in (counts, starts, codes, probs):
            f.write(part.tobytes())
        f.write(b"".join(encoded))
    os.replace(tmp, target)  # atomic: processes starting at once never read half a file


def _cache_dir() -> Path:
    """The application's own var directory (HOTLINE_VAR_DIR/cache), not the shared /tmp,
    where another local user could plant a file under the name; /tmp only when that is
    not writable (a read-only checkout)."""
    try:
        from django.conf import settings

        folder = Path(settings.VAR_DIR) / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except Exception:  # settings not configured (a bare script) or no permission  # noqa: BLE001
        pass
    return Path(tempfile.gettempdir())


def _compiled(directory: Path) -> Path:
    """The compact file for this jieba, compiled once per machine in a child process
    (parsing 349,000 lines into a dict leaves ~10 MB of freed but fragmented heap in
    the process that does it; the child's heap goes away with it). Named after the
    sources' sizes and times, so an upgraded jieba gets a file of its own."""
    stamp = "-".join(
        f"{st.st_size}-{int(st.st_mtime)}"
        for st in ((directory / "dict.txt").stat(), (directory / "finalseg" / "prob_emit.p").stat())
    )
    target = _cache_dir() / f"hotline-wordseg-{FORMAT}-{stamp}.bin"
    if not target.exists():
        code = "import sys, pathlib, triage.wordseg as w; w.compile_dictionary(*map(pathlib.Path, sys.argv[1:]))"
        try:
            subprocess.run(
                [sys.executable, "-c", code, str(directory), str(target)],
                check=True,
                cwd=str(Path(__file__).resolve().parent.parent),
                timeout=120,
                capture_output=True,
            )
        except (OSError, subprocess.SubprocessError):
            compile_dictionary(directory, target)  # no child process here: compile in this one
    return target


class _Words:
    """The sorted words (UTF-8 bytes) in the mapped file, as a sequence for bisect."""

    __slots__ = ("data", "base", "starts")

    def __init__(self, data: mmap.mmap, base: int, starts: memoryview) -> None:
        self.data = data  # slicing an mmap gives bytes, which compare
        self.base = base
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.data[self.base + self.starts[i] : self.base + self.starts[i + 1]]


class Dictionary:
    """jieba's FREQ (word → frequency, every prefix of a word → 0) and its total, and
    finalseg's emission table, read from the compiled file through mmap: its pages are
    the page cache's, shared by every process on the machine, and only those a lookup
    touches become resident."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        fmt, total, n, m = mapped[:HEADER].split()
        if fmt.decode() != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        n, m = int(n), int(m)
        view = memoryview(mapped)
        pos = HEADER
        self.counts = view[pos : pos + 4 * n].cast("I")
        pos += 4 * n
        starts = view[pos : pos + 4 * (n + 1)].cast("I")
        pos += 4 * (n + 1)
        self.codes = view[pos : pos + 4 * m].cast("I")
        pos += 4 * m
        self.probs = view[pos : pos + 32 * m].cast("d")
        pos += 32 * m
        if len(starts) != n + 1 or len(self.probs) != 4 * m or pos + starts[-1] != len(mapped):
            raise ValueError(f"{path}: truncated")
        self.words = _Words(mapped, pos, starts)
        self.total = int(total)
        self.n_chars = m
        self._spans: dict[str, tuple[int, int]] = {}

    def lookup(self, frag: str) -> int | None:
        """jieba's ``FREQ.get(frag)``: the count of a word, 0 for a prefix of a word only,
        None for neither."""
        key = frag.encode("utf-8")
        words = self.words
        lo, hi = self._span(frag[0])
        i = bisect.bisect_left(words, key, lo, hi)
        if i == hi:
            return None
        w = words[i]
        if w == key:
            return self.counts[i]
        return 0 if w.startswith(key) else None

    def _span(self, first: str) -> tuple[int, int]:
        """The words that start with ``first``: contiguous in the sorted list. Kept per
        character, so a lookup bisects a few hundred words (and touches a page or two of
        the file) instead of all 349,000."""
        span = self._spans.get(first)
        if span is None:
            lo = bisect.bisect_left(self.words, first.encode("utf-8"))
            hi = bisect.bisect_left(self.words, chr(ord(first) + 1).encode("utf-8", "surrogatepass"), lo)
            span = self._spans[first] = (lo, hi)
        return span

    def emission(self, char: str) -> dict[str, float]:
        """finalseg's ``emit_p[state].get(char, MIN_FLOAT)`` for the four states."""
        code, m = ord(char), self.n_chars
        i = bisect.bisect_left(self.codes, code)
        if i == m or self.codes[i] != code:
            return dict.fromkeys(STATES, MIN_FLOAT)
        return {state: self.probs[k * m + i] for k, state in enumerate(STATES)}


class Segmenter:
    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or jieba_dir()
        self.dictionary = Dictionary(_compiled(directory))
        self.logtotal = log(self.dictionary.total)
        hmm = directory / "finalseg"
        with open(hmm / "prob_start.p", "rb") as f:
            self.start_p = pickle.load(f)
        with open(hmm / "prob_trans.p", "rb") as f:
            self.trans_p = pickle.load(f)

    # -- jieba.Tokenizer ---------------------------------------------------------------
    def get_dag(self, sentence: str) -> dict[int, list[int]]:
        lookup = self.dictionary.lookup
        dag = {}
        n = len(sentence)
        for k in range(n):
            tmplist = []
            i = k
            frag = sentence[k]
            count = lookup(frag)
            while i < n and count is not None:
                if count:
                    tmplist.append(i)
                i += 1
                frag = sentence[k : i + 1]
                count = lookup(frag)
            if not tmplist:
                tmplist.append(k)
            dag[k] = tmplist
        return dag

    def calc(self, sentence: str, dag: dict[int, list[int]]) -> dict[int, tuple[float, int]]:
        lookup = self.dictionary.lookup
        n = len(sentence)
        route: dict[int, tuple[float, int]] = {n: (0, 0)}
        logtotal = self.logtotal
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (log(lookup(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x) for x in dag[idx]
            )
        return route

    def _cut_dag(self, sentence: str):
        dag = self.get_dag(sentence)
        route = self.calc(sentence, dag)
        lookup = self.dictionary.lookup
        x = 0
        buf = ""
        n = len(sentence)
        while x < n:
            y = route[x][1] + 1
            l_word = sentence[x:y]
            if y - x == 1:
                buf += l_word
            else:
                if buf:
                    yield from self._flush(buf, lookup)
                    buf = ""
                yield l_word
            x = y
        if buf:
            yield from self._flush(buf, lookup)

    def _flush(self, buf: str, lookup):
        """Single characters gathered between words: one stays itself, a run the
        dictionary knows is cut into characters, an unknown run goes to the HMM."""
        if len(buf) == 1:
            yield buf
        elif not lookup(buf):
            yield from self._hmm_cut(buf)
        else:
            yield from buf

    def cut(self, sentence: str):
        for blk in RE_HAN.split(sentence):
            if not blk:
                continue
            if RE_HAN.match(blk):
                yield from self._cut_dag(blk)
            else:
                for x in RE_SKIP.split(blk):
                    if RE_SKIP.match(x):
                        yield x
                    else:
                        yield from x

    # -- jieba.finalseg ----------------------------------------------------------------
    def _viterbi(self, obs: str):
        start_p, trans_p, emission = self.start_p, self.trans_p, self.dictionary.emission
        v = [{}]
        path = {}
        em = emission(obs[0])
        for y in "BMES":
            v[0][y] = start_p[y] + em[y]
            path[y] = [y]
        for t in range(1, len(obs)):
            v.append({})
            newpath = {}
            em = emission(obs[t])
            for y in "BMES":
                em_p = em[y]
                prob, state = max((v[t - 1][y0] + trans_p[y0].get(y, MIN_FLOAT) + em_p, y0) for y0 in PREV_STATUS[y])
                v[t][y] = prob
                newpath[y] = path[state] + [y]
            path = newpath
        prob, state = max((v[len(obs) - 1][y], y) for y in "ES")
        return prob, path[state]

    def _hmm_block(self, sentence: str):
        _, pos_list = self._viterbi(sentence)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield sentence[begin : i + 1]
                nexti = i + 1
            elif pos == "S":
                yield char
                nexti = i + 1
        if nexti < len(sentence):
            yield sentence[nexti:]

    def _hmm_cut(self, sentence: str):
        for blk in RE_HMM_HAN.split(sentence):
            if RE_HMM_HAN.match(blk):
                yield from self._hmm_block(blk)  # no force-split words (jieba's default)
            else:
                for x in RE_HMM_SKIP.split(blk):
                    if x:
                        yield x


_segmenter: Segmenter | None = None
_lock = threading.Lock()


def segmenter() -> Segmenter:
    """The process's segmenter, built on first use (~1 s from jieba's dict.txt)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                _segmenter = Segmenter()
    return _segmenter


def lcut(text: str) -> list[str]:
    """``jieba.lcut(text)``."""
    return list(segmenter().cut(text))
