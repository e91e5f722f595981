"""The source's description (tempo, key, chroma) is computed on a thread of its own,
started by analyse() or by the kit writer, while the chops are selected and written:
the same kit as one thread would write, and errors and interruptions from either side
end the kit with nothing left behind."""

import json
import threading

import numpy as np
import pytest
import soundfile as sf

from conftest import chord_track, click_track
from samplechop.chop import ChopSettings, analyse, select_chops
from samplechop.chop import analysis as analysis_module
from samplechop.exceptions import OutputError, ParameterError
from samplechop.export import describe, writer

SETTINGS = ChopSettings(n=6, threshold=0.0)


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    """The analysis's default threads as on a machine of two cores or more (on one
    core, analyse() describes nothing beside)."""
    monkeypatch.setattr(analysis_module, "FEATURE_THREADS", 2)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrency")
    clicks = click_track([0.4, 1.5, 2.6, 3.3, 4.5, 5.6, 6.4, 7.2], sr=44100, duration=8.0)
    chords = chord_track([0, 2, 4, 6], [(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)],
                         sr=44100, duration=8.0)
    path = folder / "take.wav"
    sf.write(path, 0.6 * np.stack([clicks + chords, chords - 0.5 * clicks], axis=1), 44100, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def result(source):
    analysed = select_chops(analyse(source, threads=2), SETTINGS)
    assert analysed.analysis.source_description is not None  # its describing thread done
    assert _describe_threads_end()
    return analysed


def _describe_threads_end():
    """Whether every describing thread ends within a few seconds."""
    for thread in threading.enumerate():
        if thread.name.startswith("samplechop-describe"):
            thread.join(5)
    return not [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-describe")]


def _described_on(monkeypatch, block=None):
    """Record the name of the thread each description runs on (after ``block`` is set)."""
    threads = []
    real = analysis_module.describe_source

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread().name)
        if block is not None:
            block.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis_module, "describe_source", recorded)
    return threads


def test_the_source_described_beside_is_the_one_described_in_turn(source):
    beside, in_turn = analyse(source), analyse(source, describe=False)
    first, second = beside.source_description, in_turn.source_description
    assert (first.tempo, first.key, first.key_strength) == (second.tempo, second.key, second.key_strength)
    assert first.tempo is not None and first.key is not None
    np.testing.assert_array_equal(first.chroma, second.chroma)
    assert _describe_threads_end()


@pytest.mark.parametrize("how, where", [
    ({}, "beside"),
    ({"describe": False}, "on first use"),
    ({"threads": 1}, "on first use"),
    ({"long": True}, "on first use"),
])
def test_analyse_starts_the_description_beside_only_where_a_core_is_spare(source, monkeypatch, how, where):
    threads = _described_on(monkeypatch)
    if how.pop("long", False):
        monkeypatch.setattr(analysis_module, "DESCRIBE_BESIDE_SECONDS", 1.0)  # the 8 s source counts as long
    analysis = analyse(source, **how)
    assert _describe_threads_end()
    assert len(threads) == (1 if where == "beside" else 0)
    first, again = analysis.source_description, analysis.source_description
    assert again is first and len(threads) == 1  # computed once
    assert threads[0].startswith("samplechop-describe") == (where == "beside")


def test_the_kit_holds_the_description_one_thread_computes(source, result, tmp_path):
    kit = writer.write_kit(result, tmp_path)
    in_turn = select_chops(analyse(source, describe=False), SETTINGS)
    expected = describe.describe_result(in_turn)
    document = json.loads((kit.folder / "take.chops.json").read_text())
    assert document == kit.document
    source = kit.document["source"]
    assert (source["tempo"], source["key"], source["key_strength"]) == (
        expected.tempo, expected.key, expected.key_strength)
    assert [(chop["peak_db"], chop["rms_db"], chop["pitch_class"]) for chop in kit.document["chops"]] == [
        (chop.peak_db, chop.rms_db, chop.pitch_class) for chop in expected.chops]
    assert _describe_threads_end()


@pytest.mark.parametrize("started_by", ["analyse", "the kit writer"])
def test_an_error_describing_the_source_ends_the_kit_with_nothing_left(source, tmp_path, monkeypatch, started_by):
    def fails(*_, **__):
        raise ParameterError("the description failed")

    monkeypatch.setattr(analysis_module, "describe_source", fails)
    fresh = select_chops(analyse(source, describe=started_by == "analyse"), SETTINGS)
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match="the description failed"):
        writer.write_kit(fresh, out)
    assert list(out.iterdir()) == [] and _describe_threads_end()


def test_a_description_that_failed_is_computed_again_on_the_next_read(source, monkeypatch):
    real, calls = analysis_module.describe_source, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis_module, "describe_source", fails_once)
    analysis = analyse(source)  # the failure happens beside
    with pytest.raises(MemoryError):
        assert analysis.source_description is None  # raises
    assert analysis.source_description.key is not None and len(calls) == 2
    assert _describe_threads_end()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OutputError("full disk")])
def test_a_stop_while_the_chops_are_written_leaves_nothing_and_no_thread(source, tmp_path, monkeypatch, stop):
    written = writer.write_slices
    described = threading.Event()
    threads = _described_on(monkeypatch, block=described)  # still running when the chops fail

    def stops(info, chops, folder, names, **options):
        written(info, chops[:1], folder, names[:1], **options)
        described.set()
        raise stop

    monkeypatch.setattr(writer, "write_slices", stops)
    fresh = select_chops(analyse(source, describe=False), SETTINGS)
    out = tmp_path / "out"
    with pytest.raises(type(stop) if isinstance(stop, BaseException) else stop):
        writer.write_kit(fresh, out)
    assert list(out.iterdir()) == [] and _describe_threads_end()
    assert threads and threads[0].startswith("samplechop-describe")


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_chops_written_on_threads_are_the_same_files(result, tmp_path, threads):
    from samplechop.export.slices import chop_names, write_slices

    names = chop_names("take", len(result.chops))
    folders = {count: tmp_path / str(count) for count in (1, threads)}
    outputs = {}
    for count, folder in folders.items():
        folder.mkdir(exist_ok=True)
        outputs[count] = write_slices(result.info, result.chops, folder, names, fade_in=0.001, fade_out=0.005,
                                      threads=count)
    assert outputs[threads][1] == outputs[1][1]  # the levels, in chop order
    assert [path.name for path in outputs[threads][0]] == names
    for name in names:
        assert (folders[threads] / name).read_bytes() == (folders[1] / name).read_bytes()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-slices")]


@pytest.mark.parametrize("failing", ["first", "last"])
def test_a_chop_that_fails_on_either_thread_stops_both(result, tmp_path, monkeypatch, failing):
    from samplechop.export import slices

    number = 1 if failing == "first" else len(result.chops)  # the caller's thread, or the other
    real = slices.audio.write_wav

    def write_wav(path, data, **options):
        if path.name.endswith(f"_chop{number:02d}.wav"):
            raise OutputError(f"{path}: cannot write (disk full)")
        return real(path, data, **options)

    monkeypatch.setattr(slices.audio, "write_wav", write_wav)
    with pytest.raises(OutputError, match="disk full"):
        writer.write_kit(result, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-")]


def _slice_threads(monkeypatch):
    """Record the ``threads`` each call of write_slices is given."""
    calls = []
    real = writer.write_slices
    monkeypatch.setattr(writer, "write_slices", lambda *a, **k: calls.append(k.get("threads", 1)) or real(*a, **k))
    return calls


def test_a_long_source_gets_the_same_kit_written_in_turn(source, result, tmp_path, monkeypatch):
    threaded = writer.write_kit(result, tmp_path / "threaded")
    monkeypatch.setattr(writer, "CONCURRENT_KIT_SECONDS", 1.0)  # the 8 s source counts as long
    fresh = select_chops(analyse(source, describe=False), SETTINGS)
    described, calls = _described_on(monkeypatch), _slice_threads(monkeypatch)
    in_turn = writer.write_kit(fresh, tmp_path / "in_turn")
    assert calls == [1] and described == ["MainThread"] and in_turn.document == threaded.document
    for name in threaded.files:
        if name.endswith(".wav"):
            assert (in_turn.folder / name).read_bytes() == (threaded.folder / name).read_bytes()


def test_a_failure_on_the_second_thread_stops_the_first_after_its_chop(result, tmp_path, monkeypatch):
    """The second thread's first chop fails while the caller's thread writes its own:
    the caller's thread writes at most the chop it had started, and the second
    thread's error (not the caller's stop) is raised."""
    from samplechop.export import slices

    names = slices.chop_names("take", len(result.chops))
    split = slices._half_of_the_samples(result.chops)
    real = slices.audio.write_wav
    events, written = [], []
    caller_inside = threading.Event()  # made before Event is replaced below

    class RecordedEvent(threading.Event):
        def __init__(self):
            super().__init__()
            events.append(self)

    def write_wav(path, data, **options):
        if path.name == names[split]:
            caller_inside.wait(5)  # fails while the caller's thread is inside its first chop
            raise OutputError(f"{path}: cannot write (disk full)")
        if not written:
            caller_inside.set()
            events[0].wait(5)  # the caller's first chop ends once the other thread has set ``stop``
        written.append(path.name)
        return real(path, data, **options)

    monkeypatch.setattr(slices.threading, "Event", RecordedEvent)
    monkeypatch.setattr(slices.audio, "write_wav", write_wav)
    with pytest.raises(OutputError, match="disk full"):
        slices.write_slices(result.info, result.chops, tmp_path, names, fade_in=0.001, fade_out=0.005, threads=2)
    assert split >= 2 and events[0].is_set() and written == [names[0]]


def test_threads_1_writes_the_kit_in_turn(source, result, tmp_path, monkeypatch):
    """A file chopped beside others (a batch unit) starts no thread of its own."""
    threaded = writer.write_kit(result, tmp_path / "threaded")
    fresh = select_chops(analyse(source, threads=1), SETTINGS)
    described, calls = _described_on(monkeypatch), _slice_threads(monkeypatch)
    in_turn = writer.write_kit(fresh, tmp_path / "in_turn", threads=1)
    assert calls == [1] and described == ["MainThread"] and in_turn.document == threaded.document
