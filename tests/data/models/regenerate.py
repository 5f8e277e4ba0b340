"""Regenerates the ONNX fixtures of tests/model_*.rs (optional: the tests never run Python).

Each folder under accepted/ holds a model the importer must accept (model.onnx, schema.toml,
calibration.csv) and expected.csv: the score onnxruntime computes on every calibration row (the
probability of the positive class for classifiers, the raw output otherwise). Each folder under
refused/ holds a model (or bytes) the importer must refuse and error.txt: text the error must
contain.

    python -m venv venv && venv/bin/pip install scikit-learn skl2onnx onnx onnxruntime \
        xgboost lightgbm onnxmltools
    venv/bin/python tests/data/models/regenerate.py

`regenerate.py --deep` rewrites only the perceptrons with more than one hidden layer
(`deep_cases`), which need scikit-learn, skl2onnx, onnx and onnxruntime only.

Outputs are deterministic for fixed library versions (seeded data and models).
"""

import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = [
    ("age", 18, 80, True),
    ("income_k", 0.0, 200.0, False),
    ("debt_ratio", 0.0, 2.0, False),
    ("late_payments", 0, 10, True),
]


def data(rows, seed):
    rng = np.random.default_rng(seed)
    cols = []
    for name, lo, hi, integer in FEATURES:
        v = rng.uniform(lo, hi, rows)
        v = np.round(v) if integer else np.round(v, 3)
        cols.append(v)
    x = np.stack(cols, axis=1).astype(np.float64)
    logit = -0.04 * (x[:, 0] - 40) + 0.02 * x[:, 1] - 1.5 * x[:, 2] - 0.4 * x[:, 3] + 0.5
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def schema_text(features):
    out = ["# Feature schema of a test model, in input order."]
    for name, lo, hi, integer in features:
        out.append("")
        out.append("[[features]]")
        out.append(f'name = "{name}"')
        out.append(f"min = {lo}")
        out.append(f"max = {hi}")
        if integer:
            out.append("integer = true")
    return "\n".join(out) + "\n"


def write_csv(path, x, features):
    with open(path, "w") as f:
        f.write("row," + ",".join(n for n, *_ in features) + "\n")
        for i, r in enumerate(x):
            cells = []
            for v, (_, _, _, integer) in zip(r, features):
                cells.append(str(int(v)) if integer else f"{v:.3f}")
            f.write(f"{i}," + ",".join(cells) + "\n")


def reference(model_bytes, x):
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outs = sess.run(None, {name: x.astype(np.float32)})
    names = [o.name for o in sess.get_outputs()]
    for o, n in zip(outs, names):
        if "prob" in n:
            if isinstance(o, list):  # ZipMap
                return np.array([d[1] for d in o])
            return np.asarray(o)[:, 1]
    for o in outs:
        a = np.asarray(o, dtype=np.float64)
        if a.dtype.kind == "f":
            return a.reshape(len(x), -1)[:, 0]
    raise RuntimeError("no score output")


def case(kind, name, model, x, features=FEATURES, error=None):
    folder = os.path.join(HERE, kind, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    data_bytes = model if isinstance(model, bytes) else model.SerializeToString()
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data_bytes)
    with open(os.path.join(folder, "schema.toml"), "w") as f:
        f.write(schema_text(features))
    write_csv(os.path.join(folder, "calibration.csv"), x, features)
    if kind == "accepted":
        scores = reference(data_bytes, x)
        with open(os.path.join(folder, "expected.csv"), "w") as f:
            f.write("row,score\n")
            for i, s in enumerate(scores):
                f.write(f"{i},{float(s)!r}\n")
    else:
        with open(os.path.join(folder, "error.txt"), "w") as f:
            f.write(error + "\n")


def torch_style(layers, n, sigmoid=True, name="net", activation="Relu"):
    """A graph as torch.onnx.export writes nn.Sequential(Linear, ReLU, ..., Sigmoid)."""
    nodes, inits = [], []
    cur = "input"
    for k, (w, b) in enumerate(layers):
        inits.append(numpy_helper.from_array(w.astype(np.float32), f"fc{k}.weight"))
        inits.append(numpy_helper.from_array(b.astype(np.float32), f"fc{k}.bias"))
        out = f"/fc{k}/Gemm_output_0"
        nodes.append(
            helper.make_node(
                "Gemm", [cur, f"fc{k}.weight", f"fc{k}.bias"], [out], name=f"/fc{k}/Gemm", transB=1
            )
        )
        cur = out
        if k + 1 < len(layers):
            out = f"/act{k}/{activation}_output_0"
            nodes.append(helper.make_node(activation, [cur], [out], name=f"/act{k}/{activation}"))
            cur = out
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", [cur], ["output"], name="/sigmoid/Sigmoid"))
    else:
        nodes.append(helper.make_node("Identity", [cur], ["output"], name="/out/Identity"))
    g = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 1])],
        inits,
    )
    m = helper.make_model(g, producer_name="pytorch", producer_version="2.5.0",
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def main():
    from sklearn.ensemble import (GradientBoostingClassifier, RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import to_onnx

    x, y = data(400, 7)
    cal = x[:60]
    opset = {"": 17, "ai.onnx.ml": 3}
    n = len(FEATURES)

    lr = LogisticRegression(max_iter=2000).fit(x, y)
    case("accepted", "logistic_sklearn", to_onnx(lr, x[:1].astype(np.float32), target_opset=opset), cal)

    rng = np.random.default_rng(11)
    w = rng.normal(scale=0.3, size=(1, n))
    case("accepted", "logistic_gemm_sigmoid", torch_style([(w, np.array([0.2]))], n), cal)

    # A regression head: MatMul + Add, no sigmoid (a raw score).
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"], name="matmul"),
         helper.make_node("Add", ["xw", "b"], ["y"], name="bias")],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(rng.normal(scale=0.1, size=(n, 1)).astype(np.float32), "W"),
         numpy_helper.from_array(np.array([1.5], dtype=np.float32), "b")],
    )
    m = helper.make_model(g, producer_name="handmade", opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    case("accepted", "linear_matmul_add", m, cal)

    mlp = make_pipeline(StandardScaler(), MLPClassifier((6,), max_iter=3000, random_state=0)).fit(x, y)
    case("accepted", "mlp_sklearn_scaler",
         to_onnx(mlp, x[:1].astype(np.float32), target_opset=opset, options={"zipmap": False}), cal)

    layers = [(rng.normal(scale=0.2, size=(5, n)), rng.normal(scale=0.1, size=5)),
              (rng.normal(scale=0.5, size=(1, 5)), np.array([-0.1]))]
    case("accepted", "mlp_gemm_relu", torch_style(layers, n), cal)

    gbc = GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0).fit(x, y)
    case("accepted", "gbt_sklearn",
         to_onnx(gbc, x[:1].astype(np.float32), target_opset=opset, options={"zipmap": False}), cal)

    rf = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)
    case("accepted", "random_forest_sklearn",
         to_onnx(rf, x[:1].astype(np.float32), target_opset=opset, options={"zipmap": False}), cal)

    rfr = RandomForestRegressor(n_estimators=4, max_depth=3, random_state=0).fit(x, x[:, 1] / 50)
    case("accepted", "tree_regressor_average",
         to_onnx(rfr, x[:1].astype(np.float32), target_opset=opset), cal)

    import lightgbm
    import onnxmltools
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    xgb = xgboost.XGBClassifier(n_estimators=6, max_depth=3, random_state=0).fit(x, y)
    case("accepted", "xgboost",
         onnxmltools.convert_xgboost(xgb, initial_types=[("input", FloatTensorType([None, n]))],
                                     target_opset=15), cal)
    lgb = lightgbm.LGBMClassifier(n_estimators=6, num_leaves=6, max_depth=3, random_state=0,
                                  verbose=-1).fit(x, y)
    case("accepted", "lightgbm",
         onnxmltools.convert_lightgbm(lgb, initial_types=[("input", FloatTensorType([None, n]))],
                                      zipmap=False, target_opset=15), cal)

    # Refused.
    case("refused", "unsupported_operator_tanh",
         torch_style(layers, n, activation="Tanh"), cal,
         error="operator `Tanh` (node `/act0/Tanh`) is not supported")
    good = torch_style([(w, np.array([0.2]))], n).SerializeToString()
    case("refused", "malformed_truncated", good[: len(good) // 2], cal, error="not an ONNX model")
    case("refused", "malformed_not_protobuf", b"this is not a protobuf message at all\xff\xff", cal,
         error="not an ONNX model")
    five = torch_style([(rng.normal(size=(1, 5)), np.array([0.0]))], 5)
    case("refused", "shape_mismatch_with_schema", five, cal,
         error="the model's input `input` takes 5 features, the feature schema lists 4")
    # Drawn (and no longer written: two hidden layers are accepted now, see deep_cases) so that
    # the fixtures below keep their values.
    rng.normal(scale=0.2, size=(3, n)), rng.normal(scale=0.2, size=(3, 3))
    rng.normal(scale=0.2, size=(1, 3))
    big = torch_style([(np.array([[1000.0, 0.0, 0.0, 0.0]]), np.array([0.0]))], n)
    case("refused", "weight_outside_the_fixed_point_range", big, cal,
         error="weight 0 is 1000, outside the circuits' weight range")
    y3 = np.clip(y + (x[:, 3] > 7), 0, 2)
    multi = LogisticRegression(max_iter=2000).fit(x, y3)
    case("refused", "multiclass", to_onnx(multi, x[:1].astype(np.float32), target_opset=opset), cal,
         error="has 3 classes; govproof proves binary classifiers")
    mismatch = torch_style([(rng.normal(size=(1, 5)), np.array([0.0]))], 5)
    mismatch.graph.input[0].type.tensor_type.shape.dim[1].dim_value = n
    case("refused", "weights_do_not_fit_the_input", mismatch, cal,
         error="its weights take 5 inputs but the tensor it reads has 4")
    deep_cases()


def deep_cases():
    """Perceptrons with two and three hidden layers (accepted) and with four (refused)."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import to_onnx

    x, y = data(400, 7)
    cal = x[:60]
    opset = {"": 17, "ai.onnx.ml": 3}
    n = len(FEATURES)
    rng = np.random.default_rng(23)

    def layer(outputs, inputs, scale, bias=0.1):
        return (rng.normal(scale=scale, size=(outputs, inputs)),
                rng.normal(scale=bias, size=outputs))

    two = [layer(6, n, 0.2), layer(4, 6, 0.4), layer(1, 4, 0.5)]
    case("accepted", "mlp_two_hidden_layers", torch_style(two, n), cal)
    three = [layer(5, n, 0.2), layer(4, 5, 0.4), layer(3, 4, 0.4), layer(1, 3, 0.5)]
    case("accepted", "mlp_three_hidden_layers", torch_style(three, n, sigmoid=False), cal)
    mlp = make_pipeline(StandardScaler(),
                        MLPClassifier((8, 4), max_iter=3000, random_state=0)).fit(x, y)
    case("accepted", "mlp_sklearn_two_hidden_layers",
         to_onnx(mlp, x[:1].astype(np.float32), target_opset=opset, options={"zipmap": False}), cal)
    four = [layer(3, n, 0.2)] + [layer(3, 3, 0.2) for _ in range(3)] + [layer(1, 3, 0.2)]
    case("refused", "four_hidden_layers", torch_style(four, n), cal,
         error="the model has 4 hidden layers")


if __name__ == "__main__":
    if sys.argv[1:] == ["--deep"]:
        deep_cases()
    else:
        main()
