import numpy as np
import pytest

from samplechop.exceptions import ModelError
from samplechop.model import load_model, save_model
from samplechop.model.architectures import default_architecture, seed_architecture
from samplechop.model.file import ChopModel
from samplechop.spectral.features import DEFAULT_FEATURES, SEED_FEATURES

torch = pytest.importorskip("torch")
from samplechop.training.networks import build_network, export_params  # noqa: E402


@pytest.mark.parametrize("arch, size", [(default_architecture(), 84), (seed_architecture(), 1)])
def test_numpy_forward_equals_torch_across_chunks(arch, size):
    torch.manual_seed(0)
    network = build_network(arch, size).eval()
    x = np.random.default_rng(1).standard_normal((9000, size)).astype(np.float32)
    with torch.no_grad():
        expected = torch.sigmoid(network(torch.from_numpy(x)[None]))[0].numpy()
    model = ChopModel(features={}, architecture=arch, params=export_params(network),
                      input_mean=np.zeros(size, np.float32), input_std=np.ones(size, np.float32))
    np.testing.assert_allclose(model.predict(x), expected, atol=2e-5)


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    network = build_network(seed_architecture(), 1)
    path = tmp_path / "m.npz"
    save_model(path, features=SEED_FEATURES, architecture=seed_architecture(), params=export_params(network),
               input_mean=np.array([2.0]), input_std=np.array([3.0]), threshold=0.4, training={"x": 1})
    model = load_model(path)
    assert model.features == SEED_FEATURES and model.threshold == 0.4 and model.training == {"x": 1}
    assert model.input_mean[0] == 2.0 and model.input_std[0] == 3.0
    assert model.n_parameters == sum(p.numel() for p in network.parameters())


def test_bad_model_files(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a samplechop model"):
        load_model(tmp_path / "junk.npz")
    torch.manual_seed(0)
    params = export_params(build_network(seed_architecture(), 1))
    params.pop("head.weight")
    save_model(tmp_path / "broken.npz", features=SEED_FEATURES, architecture=seed_architecture(),
               params=params, input_mean=np.zeros(1), input_std=np.ones(1))
    with pytest.raises(ModelError, match="head.weight"):
        load_model(tmp_path / "broken.npz")


@pytest.mark.parametrize("damage", ["nan weights", "inf weight", "nan mean", "threshold"])
def test_a_model_with_non_finite_weights_is_refused(tmp_path, damage, capsys):
    from samplechop.cli import main

    torch.manual_seed(0)
    params = export_params(build_network(seed_architecture(), 1))
    mean, threshold = np.zeros(1), 0.5
    if damage == "nan weights":
        params = {name: np.full_like(value, np.nan) for name, value in params.items()}
    elif damage == "inf weight":
        params["head.weight"][0, 0] = np.inf
    elif damage == "nan mean":
        mean = np.array([np.nan])
    else:
        threshold = float("nan")
    path = tmp_path / "damaged.npz"
    save_model(path, features=SEED_FEATURES, architecture=seed_architecture(), params=params, input_mean=mean,
               input_std=np.ones(1), threshold=threshold)
    with pytest.raises(ModelError, match="unusable model"):
        load_model(path)
    # the command line refuses it in one line, with the model's exit code, before any audio is read
    code = main(["chop", "--demo", "--dry-run", "--model", str(path)])
    err = capsys.readouterr().err
    assert code == 4 and "unusable model" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_shipped_model_loads():
    model = load_model()
    assert model.features == DEFAULT_FEATURES
    assert model.architecture["name"] == "chopnet"
    assert model.path.stat().st_size < 10 * 1024 * 1024


@pytest.mark.parametrize("arch, size", [(default_architecture(), 84), (seed_architecture(), 1)])
def test_onnx_graph_runs_like_the_numpy_reference(tmp_path, arch, size):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from samplechop.training.export import onnx_graph

    torch.manual_seed(0)
    network = build_network(arch, size)
    params = export_params(network)
    save_model(tmp_path / "m.npz", features=DEFAULT_FEATURES, architecture=arch, params=params,
               input_mean=np.zeros(size), input_std=np.ones(size), onnx=onnx_graph(network, size))
    model = load_model(tmp_path / "m.npz")
    assert model.runtime == "onnxruntime"
    reference = ChopModel(features={}, architecture=arch, params=params,
                          input_mean=np.zeros(size, np.float32), input_std=np.ones(size, np.float32))
    assert reference.runtime == "numpy"
    x = np.random.default_rng(2).standard_normal((9000, size)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), reference.predict(x), atol=2e-5)
