"""float_text.float32_rows against numpy's own str, value by value: what gensim writes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cbow_torch.vectors.float_text import float32_rows

F32 = np.finfo(np.float32)


def numpys(x: np.ndarray) -> list[bytes]:
    """The rows as gensim writes them: str(numpy.float32) of each value."""
    return [(" ".join(str(v) for v in row) + "\n").encode() for row in x]


def rows_of(values, n: int = 5) -> np.ndarray:
    x = np.asarray(values, np.float32).ravel()  # [k]
    x = np.concatenate([x, np.zeros(-x.size % n, np.float32)])  # [k'], whole rows
    return x.reshape(-1, n)  # [k' / n, n]


def neighbours(values) -> np.ndarray:
    """Each value, the float32 on either side of it, and their negatives."""
    x = np.asarray(values, np.float32)  # [k]
    with np.errstate(over="ignore"):  # float32's max steps to inf
        up = np.nextafter(x, np.float32(np.inf))  # [k]
        down = np.nextafter(x, np.float32(-np.inf))  # [k]
    both = np.concatenate([x, up, down])  # [3k]
    return np.concatenate([both, -both])  # [6k]


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 0.01, 0.3, 1.0, 30.0, 1e4, 1e7])
def test_random_normals_of_each_scale(scale):
    rng = np.random.default_rng(int(scale * 1e6) % 1000)
    x = (rng.standard_normal((2_000, 100)) * scale).astype(np.float32)  # [2000, 100]
    assert float32_rows(x) == numpys(x)


def test_edge_values():
    powers = 10.0 ** np.arange(-45, 39)  # [84], every power of ten in float32's range
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, F32.max, F32.tiny, F32.smallest_subnormal]
    edges += [F32.tiny - F32.smallest_subnormal, 1e-4, 1e6, 1e-14, 1e22, 65504.0, 2.0**24 + 2]
    edges += [1 / 3, 2 / 3, 0.1, 0.5, 9.999999, 9.9999999, 99999.99, 999999.94, 0.00012345678]
    nine = [1.2345679e8, 1.00000005e-3, 3.4028235e38, 1.1754944e-38, 0.33333334, 16777217.0]
    x = neighbours(edges + nine + powers.tolist())  # [6k], with their float32 neighbours
    got, want = float32_rows(rows_of(x)), numpys(rows_of(x))
    assert got == want
    assert b" 1e-04 " in b" ".join(got) + b" "  # float32(1e-4) < 1e-4: scientific, as numpy
    assert b"-0.0" in got[0] and b"nan" in got[0] and b"-nan" not in b"".join(got)


def test_payload_nans_and_signs():
    bits = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFFFFFFF, 0x80000000, 0x80000001])
    x = bits.astype(np.uint32).view(np.float32)  # [6], quiet, signalling, negative nans, -0.0
    assert float32_rows(rows_of(x, 3)) == numpys(rows_of(x, 3))


def test_millions_of_random_bit_patterns():
    rng = np.random.default_rng(26)
    bits = rng.integers(0, 2**32, 3_000_000, dtype=np.uint64).astype(np.uint32)  # [3M]
    x = bits.view(np.float32).reshape(-1, 100)  # [30000, 100], every exponent, nans included
    assert float32_rows(x) == numpys(x)


def test_rows_and_shapes():
    x = np.arange(6, dtype=np.float64).reshape(2, 3) / 4  # [2, 3], float64 taken as float32
    assert float32_rows(x) == [b"0.0 0.25 0.5\n", b"0.75 1.0 1.25\n"]
    assert float32_rows(np.zeros((0, 5))) == []
    assert float32_rows(np.zeros((2, 0))) == [b"\n", b"\n"]
    assert float32_rows(np.full((1, 1), 1e30)) == [b"1e+30\n"]  # through str alone
    with pytest.raises(ValueError, match=r"takes a \[V, N\] matrix, got shape \(3,\)"):
        float32_rows(np.zeros(3))


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_import_loads_no_numba_and_the_first_call_does():
    out = run_python(
        "import sys, numpy as np\n"
        "from cbow_torch.vectors.float_text import float32_rows\n"
        "print('before', 'numba' in sys.modules)\n"
        "float32_rows(np.ones((1, 1)))\n"
        "print('after', 'numba' in sys.modules)\n"
    )
    assert "before False" in out and "after True" in out


def test_without_numba_the_same_bytes_and_a_warning():
    out = run_python(
        "import sys, numpy as np\n"
        "sys.modules['numba'] = None  # numba's import fails\n"
        "from cbow_torch.vectors.float_text import float32_rows\n"
        "x = np.array([[0.1, -0.0, 1e-05, 1e30], [np.nan, 150.0, -2.5e-07, 3.0]], np.float32)\n"
        "print(b''.join(float32_rows(x)))\n"
    )
    assert "b'0.1 -0.0 1e-05 1e+30\\n" in out and "nan 150.0 -2.5e-07 3.0\\n'" in out
    assert "numba does not import" in out and "pip install -U numba" in out
