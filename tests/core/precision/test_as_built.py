"""What was really built against what the recipe asked, on engines the TensorRT-RTX builder makes
here from a torch-exported BERT of the corpus."""

import json
from pathlib import Path

import onnx
import pytest

from studio.cli.main import main
from studio.core.backends.layer_reports import load_plan
from studio.core.backends.sidecar import load_sidecar, typed_model
from studio.core.graph.fusion import fusion_map
from studio.core.graph.plan import Layer, Plan
from studio.core.precision.as_built import as_built, as_built_for

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    out = tmp_path_factory.mktemp("as-built")
    built = {}
    for precision, extra in (("fp32", []), ("fp16", []),
                             ("int8", ["--calib", str(CALIB), "--calib-column", "text", "--calib-samples", "16"])):
        path = out / f"m.{precision}.engine"
        assert main(["build", str(MODEL), "--backend", "tensorrt", "--precision", precision, "-o", str(path), "-q",
                     *extra]) == 0
        built[precision] = path
    return built


@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_a_lowered_build_runs_what_its_recipe_asked(engines, precision):
    res, why = as_built_for(engines[precision])
    assert why is None
    assert res.counts["as asked"] >= 0.8 * len(res.layers)
    assert not res.counts.get("lower than asked")
    # what the builder keeps in fp32 on its own (LayerNorm statistics) is named, and is little
    assert len(res.higher_than_asked) <= 2
    gemms = [v for v in res.layers if v.type == "gemm"]
    if precision == "int8":
        assert gemms and all(v.verdict == "as asked" and v.built == "int8" and "int8" in v.asked for v in gemms)


def test_an_engine_that_ignored_the_recipe_is_flagged(engines):
    """An engine built FP32 where the typed model asked FP16: the silent FP32 build users report."""
    typed, _ = typed_model(engines["fp16"], load_sidecar(engines["fp16"]))
    plan = load_plan(engines["fp32"], onnx_model=str(typed))
    res = as_built(plan, fusion_map(plan).nodes_for_layer, onnx.load(str(typed)))
    assert len(res.higher_than_asked) >= 0.5 * len(res.layers)
    assert "left in FP32 that the recipe lowered" in res.summary()


def test_an_fp32_build_has_nothing_to_compare(engines):
    res, why = as_built_for(engines["fp32"])
    assert res is None and "rewrote no precision" in why


def test_inserted_reformat_and_cast_layers_are_counted():
    layers = (Layer("Reformatting CopyNode for Input Tensor 0 to fc", "Reformat", "fp16"),
              Layer("cast_1", "Cast", "fp32"), Layer("fc", "gemm", "fp16"))
    m = onnx.helper.make_model(onnx.helper.make_graph([], "g", [], []))
    res = as_built(Plan("test", layers), lambda name: (), m)
    assert (res.reformat_layers, res.cast_layers) == (1, 1)
    assert res.counts == {"reformat": 2, "no origin": 1}


def test_layers_json_carries_the_comparison(engines, capsys):
    assert main(["layers", str(engines["int8"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_built"]["counts"]["as asked"] > 0 and "summary" in doc["as_built"]
    assert main(["layers", str(engines["int8"])]) == 0
    assert "as built:" in capsys.readouterr().out


def test_the_window_gets_the_comparison_from_a_child_process(engines):
    """Parsing the models holds Python's lock: the window's threads get the same result from a
    child process, and nothing to spawn one for when the build lowered nothing."""
    from studio.core.precision_search.job import as_built_isolated

    here, _ = as_built_for(engines["int8"])
    there, why = as_built_isolated(engines["int8"])
    assert why is None and there.to_dict() == here.to_dict() and there.asked == here.asked
    assert as_built_isolated(engines["fp32"]) == (None, "the build rewrote no precision (fp32, or built before "
                                                        "typed models were kept)")
