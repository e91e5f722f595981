"""The training loop: the seed network learns clicks; a tiny end-to-end run."""

import numpy as np
import pytest

pytest.importorskip("torch")

from samplechop.cli import main  # noqa: E402
from samplechop.dataset import build_dataset  # noqa: E402
from samplechop.model import load_model  # noqa: E402
from samplechop.spectral.features import DEFAULT_FEATURES, SEED_FEATURES  # noqa: E402
from samplechop.training.train import TrainSettings, train_model  # noqa: E402

#: Training runs PyTorch for seconds a test.
pytestmark = pytest.mark.slow


@pytest.fixture
def click_data(tmp_path, click_corpus):
    """The click corpus built with the default network's features, a quarter held out."""
    out = tmp_path / "data"
    build_dataset([click_corpus], out, features=DEFAULT_FEATURES, valid_share=0.25, jobs=1, log=lambda m: None)
    return out


@pytest.fixture
def seed_data(tmp_path, click_corpus):
    pytest.importorskip("librosa")
    out = tmp_path / "seed_data"
    build_dataset([click_corpus], out, features=SEED_FEATURES, valid_share=0.25, jobs=2, log=lambda m: None)
    return out


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_seed_learns_clicks(tmp_path, seed_data, precision):
    settings = TrainSettings(steps=120, batch_size=8, excerpt=4.0, eval_every=40, patience=10, seed=1,
                             precision=precision)
    report = train_model(seed_data, tmp_path / "seed.npz", settings, log=lambda m: None)
    assert report.best_score >= 0.9
    model = load_model(tmp_path / "seed.npz")
    assert model.architecture["name"] == "seed" and model.training["valid_f"] >= 0.9
    assert model.training["settings"]["precision"] == precision


def test_bfloat16_option_changes_the_training_run(tmp_path, click_data):
    """The same (deterministic) run in bfloat16 and in float32 gives different weights:
    the option takes effect."""
    settings = dict(steps=3, batch_size=2, excerpt=2.0, eval_every=3, patience=10, seed=3)
    for precision in ("float32", "bfloat16"):
        train_model(click_data, tmp_path / f"{precision}.npz", TrainSettings(**settings, precision=precision),
                    log=lambda m: None)
    single, half = load_model(tmp_path / "float32.npz"), load_model(tmp_path / "bfloat16.npz")
    assert any(not np.array_equal(single.params[name], half.params[name]) for name in single.params)


def test_checkpoint_from_before_the_precision_option_resumes(tmp_path, click_data):
    import torch

    checkpoint = tmp_path / "old.ckpt"
    settings = dict(batch_size=2, excerpt=2.0, eval_every=2, patience=10, seed=3, checkpoint=str(checkpoint))
    train_model(click_data, tmp_path / "m.npz", TrainSettings(steps=4, **settings), log=lambda m: None)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    del state["config"]["settings"]["precision"]  # as written before the options existed
    del state["config"]["settings"]["start_share"]
    torch.save(state, checkpoint)
    messages = []
    report = train_model(click_data, tmp_path / "m.npz", TrainSettings(steps=4, **settings), log=messages.append)
    assert report.steps == 4 and any("resumed" in m for m in messages)


@pytest.mark.parametrize("share, expected", [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)])
def test_a_share_of_excerpts_starts_at_the_first_frame(click_data, share, expected):
    from samplechop.dataset.store import open_dataset
    from samplechop.training.train import _ExcerptSampler

    dataset = open_dataset(click_data)
    size = dataset.feature_size
    sampler = _ExcerptSampler(dataset, frames=40, batch_size=1, pitch_shift=0, eq_db=0.0, mean=np.zeros(size),
                              std=np.ones(size), rng=np.random.default_rng(0), start_share=share)
    first_frames = {entry.source: np.asarray(dataset.arrays(entry)[0][0], dtype=np.float32)
                    for entry in dataset.split("train")}
    starts = 0
    for _ in range(400):
        x, _, _ = sampler.batch()
        starts += any(np.array_equal(x[0, 0].numpy(), first) for first in first_frames.values())
    assert abs(starts / 400 - expected) <= 0.08


def test_bad_start_share_is_refused():
    from samplechop.exceptions import ParameterError

    with pytest.raises(ParameterError, match="--start-share"):
        TrainSettings(start_share=1.5).validate()


def test_unknown_precision_is_refused():
    from samplechop.exceptions import ParameterError

    with pytest.raises(ParameterError, match="--precision"):
        TrainSettings(precision="float16").validate()


def test_training_is_reproducible_and_resumes(tmp_path, click_data):
    settings = dict(steps=6, batch_size=2, excerpt=2.0, eval_every=3, patience=10, seed=3)
    train_model(click_data, tmp_path / "a.npz", TrainSettings(**settings), log=lambda m: None)
    train_model(click_data, tmp_path / "b.npz", TrainSettings(**settings), log=lambda m: None)
    a, b = load_model(tmp_path / "a.npz"), load_model(tmp_path / "b.npz")
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    # An interrupted run (stopped at step 3) resumes from its checkpoint to the same result.
    checkpoint = tmp_path / "c.ckpt"
    train_model(click_data, tmp_path / "c.npz", TrainSettings(**dict(settings, steps=6), checkpoint=str(checkpoint)),
                log=lambda m: None)
    messages = []
    report = train_model(click_data, tmp_path / "c.npz", TrainSettings(**settings, checkpoint=str(checkpoint)),
                         log=messages.append)
    assert report.steps == 6 and any("resumed" in m for m in messages)


def test_tiny_end_to_end_build_train_finetune_evaluate(tmp_path, click_corpus, capsys):
    data, model = tmp_path / "data", tmp_path / "model.npz"
    assert main(["dataset", "build", str(click_corpus), "-o", str(data), "--jobs", "1"]) == 0
    assert main(["train", str(data), "-o", str(model), "--steps", "4", "--batch-size", "2",
                 "--excerpt", "2", "--eval-every", "2"]) == 0
    tuned = tmp_path / "tuned.npz"
    assert main(["train", str(data), "-o", str(tuned), "--init", str(model), "--steps", "2",
                 "--batch-size", "2", "--excerpt", "2", "--eval-every", "2", "--precision", "bfloat16"]) == 0
    assert load_model(tuned).training["init"] == str(model)
    assert load_model(tuned).training["settings"]["precision"] == "bfloat16"
    report = tmp_path / "eval.json"
    assert main(["evaluate", str(data), "--model", str(tuned), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "onsets" in out and "beats" in out and "precision" in out
    import json
    table = json.loads(report.read_text())
    assert set(table["mean_f"]) == {"model", "onsets", "beats"}
    assert len(table["files"]) == 2  # round(0.15 * 12) held out
    # the model between the two: its weights mixed, its provenance recorded, its threshold set
    from samplechop.exceptions import ModelError
    from samplechop.training.interpolate import interpolate_models

    base, tuned_model = load_model(model), load_model(tuned)
    for alpha in (0.0, 0.5, 1.0):
        mixed = interpolate_models(model, tuned, alpha=alpha, output=tmp_path / f"mix{alpha}.npz", data=data)
        for name, value in mixed.params.items():
            np.testing.assert_allclose(value, (1 - alpha) * base.params[name] + alpha * tuned_model.params[name],
                                       rtol=1e-6, atol=1e-7)
        assert mixed.training["interpolated"]["alpha"] == alpha and 0.0 < mixed.threshold < 1.0
        assert mixed.onnx is not None  # runs in onnxruntime like any shipped model
    half = load_model(tmp_path / "mix0.5.npz")
    assert half.predict(np.zeros((50, half.input_mean.size), np.float32)).shape == (50,)
    with pytest.raises(ModelError, match="alpha"):
        interpolate_models(model, tuned, alpha=1.5, output=tmp_path / "bad.npz")


def test_equalising_the_features_equals_the_spectrogram_of_equalised_audio():
    from samplechop.spectral.features import log_spectrogram
    from samplechop.training.train import _equalise

    rng = np.random.default_rng(0)
    y = rng.standard_normal(22050).astype(np.float32) * 0.1
    gains_db = np.linspace(-6.0, 6.0, 84)
    features = log_spectrogram(y)
    louder = log_spectrogram(y * 10 ** (3.0 / 20))  # a level change is a flat EQ
    np.testing.assert_allclose(_equalise(features, np.full(84, 3.0)), louder, rtol=1e-4, atol=1e-5)
    equalised = _equalise(features, gains_db)
    magnitudes = np.expm1(features) * 10 ** (gains_db / 20)
    np.testing.assert_allclose(np.expm1(equalised), magnitudes, rtol=1e-4, atol=1e-5)
    assert _equalise(features, np.zeros(84)) == pytest.approx(features, abs=1e-6)


@pytest.mark.parametrize("value", [-1.0, 30.0, float("nan")])
def test_eq_db_out_of_range_is_refused(value):
    from samplechop.exceptions import ParameterError

    with pytest.raises(ParameterError, match="--eq-db"):
        TrainSettings(eq_db=value).validate()


def _damaged_copy(click_data, tmp_path, damage: str):
    """A copy of the click data set with one kind of damage; the path of what is damaged."""
    import json
    import shutil

    data = tmp_path / f"damaged-{damage}"
    shutil.copytree(click_data, data)
    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    shard = manifest["shards"][0]["name"]
    features_path = data / f"{shard}.features.npy"
    if damage == "nan":
        features = np.load(features_path)
        features[5:9] = np.nan
        np.save(features_path, features)
        return data, features_path
    if damage == "empty shard":
        features_path.write_bytes(b"")
        return data, features_path
    entry = manifest["files"][0]
    if damage == "negative offset":
        entry["offset"] = -40
    else:  # "huge entry"
        entry["frames"] = 10**9
    manifest_path.write_text(json.dumps(manifest))
    return data, manifest_path


@pytest.mark.parametrize("damage", ["nan", "empty shard", "negative offset", "huge entry"])
def test_a_damaged_data_set_is_refused_naming_the_file(click_data, tmp_path, capsys, damage):
    from samplechop.cli import main

    data, damaged = _damaged_copy(click_data, tmp_path, damage)
    code = main(["train", str(data), "-o", str(tmp_path / "m.npz"), "--steps", "30", "--batch-size", "4",
                 "--excerpt", "4", "--eval-every", "30", "--progress", "off"])
    err = capsys.readouterr().err
    assert code == 5, err
    last = err.strip().splitlines()[-1]
    assert damaged.name in last and "Traceback" not in err and "unexpected error" not in err
    assert not (tmp_path / "m.npz").exists()


def test_training_that_diverges_stops_with_one_line(click_data, tmp_path, capsys):
    from samplechop.cli import main

    model = tmp_path / "m.npz"
    code = main(["train", str(click_data), "-o", str(model), "--steps", "40", "--batch-size", "4", "--excerpt", "4",
                 "--eval-every", "40", "--lr", "0.9", "--progress", "off"])
    err = capsys.readouterr().err
    assert code == 4 and "training diverged at step" in err.strip().splitlines()[-1], err
    assert not model.exists()  # no model of NaN weights


@pytest.fixture
def other_click_data(tmp_path):
    """A second data set: six other click files, none held out."""
    from conftest import write_click_files

    folder = write_click_files(tmp_path / "other_clicks", count=6, rng_seed=99, name="other{:02d}", seed_offset=100)
    out = tmp_path / "other_data"
    build_dataset([folder], out, features=DEFAULT_FEATURES, valid_share=0.0, jobs=1, log=lambda m: None)
    return out


@pytest.mark.parametrize("share", [0.25, 0.6])
def test_a_mixed_data_set_gets_its_share_of_the_excerpts(click_data, other_click_data, share):
    from samplechop.dataset.store import open_dataset
    from samplechop.training.train import _ExcerptSampler

    main_set, other = open_dataset(click_data), open_dataset(other_click_data)
    size = main_set.feature_size
    sampler = _ExcerptSampler(main_set, frames=40, batch_size=4, pitch_shift=0, eq_db=0.0, mean=np.zeros(size),
                              std=np.ones(size), rng=np.random.default_rng(0), start_share=1.0,
                              mixed=[(other, share)])
    firsts = {name: [np.asarray(dataset.arrays(entry)[0][0], dtype=np.float32) for entry in dataset.split("train")]
              for name, dataset in (("main", main_set), ("other", other))}
    counts = {"main": 0, "other": 0}
    for _ in range(150):
        x, _, _ = sampler.batch()
        for row in x[:, 0].numpy():
            (name,) = [name for name, frames in firsts.items() if any(np.array_equal(row, f) for f in frames)]
            counts[name] += 1
    assert abs(counts["other"] / 600 - share) <= 0.06


def test_training_with_a_mix_records_it_and_resumes(tmp_path, click_data, other_click_data):
    checkpoint = tmp_path / "mixed.ckpt"
    settings = dict(batch_size=2, excerpt=2.0, eval_every=2, patience=10, seed=3, checkpoint=str(checkpoint),
                    mix=((str(other_click_data), 0.3),))
    train_model(click_data, tmp_path / "mixed.npz", TrainSettings(steps=4, **settings), log=lambda m: None)
    messages = []
    report = train_model(click_data, tmp_path / "mixed.npz", TrainSettings(steps=4, **settings),
                         log=messages.append)
    assert report.steps == 4 and any("resumed" in m for m in messages)
    training = load_model(tmp_path / "mixed.npz").training
    assert training["settings"]["mix"] == [[str(other_click_data.resolve()), 0.3]]
    assert training["mixed"][0]["share"] == 0.3 and training["mixed"][0]["counts"]["train"]["files"] == 6
    # another mix is another run: its checkpoint is not taken for this one
    from samplechop.exceptions import ModelError

    with pytest.raises(ModelError, match="another run"):
        train_model(click_data, tmp_path / "mixed.npz",
                    TrainSettings(steps=4, **dict(settings, mix=((str(other_click_data), 0.5),))),
                    log=lambda m: None)


def test_a_mix_of_other_features_is_refused(tmp_path, click_data, seed_data):
    from samplechop.exceptions import DatasetError

    with pytest.raises(DatasetError, match="other features"):
        train_model(click_data, tmp_path / "m.npz",
                    TrainSettings(steps=1, batch_size=2, excerpt=2.0, mix=((str(seed_data), 0.2),)),
                    log=lambda m: None)


@pytest.mark.parametrize("value, message", [
    ("data", "DATA:SHARE"), ("data:much", "DATA:SHARE"), (":0.2", "DATA:SHARE"),
    ("data:1.5", "between 0 and 1"), ("data:nan", "between 0 and 1"),
])
def test_bad_mix_options_get_one_line(tmp_path, click_data, capsys, value, message):
    code = main(["train", str(click_data), "-o", str(tmp_path / "m.npz"), "--mix", value])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_mixed_shares_must_leave_room_for_the_data_set():
    from samplechop.exceptions import ParameterError

    with pytest.raises(ParameterError, match="add up to 1"):
        TrainSettings(mix=(("a", 0.6), ("b", 0.4))).validate()


def test_keep_last_writes_the_last_steps_model(tmp_path, click_data):
    model = tmp_path / "last.npz"
    assert main(["train", str(click_data), "-o", str(model), "--steps", "6", "--batch-size", "2", "--excerpt", "2",
                 "--eval-every", "2", "--patience", "1", "--keep", "last", "--progress", "off"]) == 0
    training = load_model(model).training
    assert training["step"] == 6 and training["settings"]["keep"] == "last"
