"""The kit writer describes the source on a thread while the chops are written: the
same kit as one thread would write, and errors and interruptions from either side
end the kit with nothing left behind."""

import json
import threading

import numpy as np
import pytest
import soundfile as sf

from conftest import chord_track, click_track
from samplechop.chop import ChopSettings, analyse, select_chops
from samplechop.exceptions import OutputError, ParameterError
from samplechop.export import describe, writer


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrency")
    clicks = click_track([0.4, 1.5, 2.6, 3.3, 4.5, 5.6, 6.4, 7.2], sr=44100, duration=8.0)
    chords = chord_track([0, 2, 4, 6], [(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)],
                         sr=44100, duration=8.0)
    source = folder / "take.wav"
    sf.write(source, 0.6 * np.stack([clicks + chords, chords - 0.5 * clicks], axis=1), 44100,
             subtype="PCM_16")
    return select_chops(analyse(source), ChopSettings(n=6, threshold=0.0))


def _describe_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-describe")]


def test_the_source_described_apart_gives_the_same_description(result):
    alone = describe.describe_result(result)
    apart = describe.describe_result(result, source=describe.describe_result_source(result))
    assert apart == alone
    assert alone.tempo is not None and alone.key is not None


def test_the_kit_holds_the_description_one_thread_computes(result, tmp_path):
    kit = writer.write_kit(result, tmp_path)
    expected = describe.describe_result(result)
    document = json.loads((kit.folder / "take.chops.json").read_text())
    assert document == kit.document
    source = kit.document["source"]
    assert (source["tempo"], source["key"], source["key_strength"]) == (
        expected.tempo, expected.key, expected.key_strength)
    assert [(chop["peak_db"], chop["rms_db"], chop["pitch_class"]) for chop in kit.document["chops"]] == [
        (chop.peak_db, chop.rms_db, chop.pitch_class) for chop in expected.chops]
    assert not _describe_threads()


def test_an_error_describing_the_source_ends_the_kit_with_nothing_left(result, tmp_path, monkeypatch):
    def fails(_):
        raise ParameterError("the description failed")

    monkeypatch.setattr(writer, "describe_result_source", fails)
    with pytest.raises(ParameterError, match="the description failed"):
        writer.write_kit(result, tmp_path)
    assert list(tmp_path.iterdir()) == [] and not _describe_threads()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OutputError("full disk")])
def test_a_stop_while_the_chops_are_written_leaves_nothing_and_no_thread(result, tmp_path, monkeypatch, stop):
    written = writer.write_slices
    described = threading.Event()

    def slow_description(result):
        described.wait(5)  # still running when the chops fail
        return describe.describe_result_source(result)

    def stops(info, chops, folder, names, **options):
        written(info, chops[:1], folder, names[:1], **options)
        described.set()
        raise stop

    monkeypatch.setattr(writer, "describe_result_source", slow_description)
    monkeypatch.setattr(writer, "write_slices", stops)
    with pytest.raises(type(stop) if isinstance(stop, BaseException) else stop):
        writer.write_kit(result, tmp_path)
    assert list(tmp_path.iterdir()) == [] and not _describe_threads()


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


def test_a_long_source_gets_the_same_kit_written_in_turn(result, tmp_path, monkeypatch):
    threaded = writer.write_kit(result, tmp_path / "threaded")
    monkeypatch.setattr(writer, "CONCURRENT_KIT_SECONDS", 1.0)  # the 8 s source counts as long
    started = []
    monkeypatch.setattr(writer, "ThreadPoolExecutor", lambda *a, **k: started.append(1))
    in_turn = writer.write_kit(result, tmp_path / "in_turn")
    assert not started and in_turn.document == threaded.document
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

    class RecordedEvent(threading.Event):
        def __init__(self):
            super().__init__()
            events.append(self)

    def write_wav(path, data, **options):
        if path.name == names[split]:
            raise OutputError(f"{path}: cannot write (disk full)")
        if not written:
            events[0].wait(5)  # the caller's first chop ends once the other thread has set ``stop``
        written.append(path.name)
        return real(path, data, **options)

    monkeypatch.setattr(slices.threading, "Event", RecordedEvent)
    monkeypatch.setattr(slices.audio, "write_wav", write_wav)
    with pytest.raises(OutputError, match="disk full"):
        slices.write_slices(result.info, result.chops, tmp_path, names, fade_in=0.001, fade_out=0.005, threads=2)
    assert split >= 2 and events[0].is_set() and written == [names[0]]


def test_threads_1_writes_the_kit_in_turn(result, tmp_path, monkeypatch):
    """A file chopped beside others (a batch unit) starts no thread of its own."""
    threaded = writer.write_kit(result, tmp_path / "threaded")
    started = []
    monkeypatch.setattr(writer, "ThreadPoolExecutor", lambda *a, **k: started.append(1))
    calls = []
    real = writer.write_slices
    monkeypatch.setattr(writer, "write_slices", lambda *a, **k: calls.append(k.get("threads", 1)) or real(*a, **k))
    in_turn = writer.write_kit(result, tmp_path / "in_turn", threads=1)
    assert not started and calls == [1] and in_turn.document == threaded.document
