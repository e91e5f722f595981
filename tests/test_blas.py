"""numpy's BLAS on one thread wherever samplechop analyses audio (samplechop.blas)."""

import subprocess
import sys

import pytest

#: The threads of numpy's own BLAS (scipy ships another, which the chopping path does not call).
THREADS = ("from threadpoolctl import threadpool_info; "
           "print([i['num_threads'] for i in threadpool_info() if 'numpy' in i['filepath']])")


def _run(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


@pytest.mark.parametrize("first", ["numpy", "samplechop"])
def test_an_analysis_leaves_one_blas_thread(tmp_path, first):
    import numpy as np
    import soundfile as sf

    path = tmp_path / "noise.wav"
    sf.write(path, np.random.default_rng(0).standard_normal(22050 * 3) * 0.1, 22050)
    ask = "from samplechop import blas; blas.before_numpy(); " if first == "samplechop" else ""
    lines = _run(f"{ask}import numpy, sys; from samplechop.chop import analyse; analyse({str(path)!r}); "
                 f"print('threadpoolctl' in sys.modules); {THREADS}")
    if first == "samplechop":  # the command line's way: OpenBLAS started on one thread
        assert lines[0] == "False"
    else:  # numpy started with two threads: threadpoolctl took them down to one
        assert lines[0] == "True"
    assert lines[1] == "[1]"
