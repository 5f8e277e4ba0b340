"""Regenerates the tree-table fixtures of tests/model_tree_table.rs, and writes the large
ensembles of the tree benchmark (optional: the tests never run Python).

    venv/bin/pip install scikit-learn skl2onnx onnx onnxruntime xgboost lightgbm onnxmltools
    venv/bin/python tests/data/models/regenerate_trees.py            # the small fixture
    venv/bin/python tests/data/models/regenerate_trees.py --large DIR # the benchmark's models

The small fixture (accepted/lightgbm_leaf_wise) is a LightGBM classifier grown leaf-wise with no
depth limit, as LightGBM's defaults do, on the four synthetic features of regenerate.py.

`--large DIR` writes, each as DIR/<name>/{model.onnx,schema.toml,calibration.csv}, the models of
issue 15's targets, exported as a lender would (onnxmltools for LightGBM and XGBoost, skl2onnx for
scikit-learn), trained on synthetic credit-like data with 20 or 60 features (half integer, half
continuous): LightGBM 500 x 31 leaves (default settings) on 20 and on 60 features, LightGBM
2,000 x 15 leaves, XGBoost 400 trees of depth 6, a random forest of 300 trees of depth 8, and a
smaller LightGBM 100 x 31 for the scaling table.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from regenerate import FEATURES, case, data, schema_text, write_csv  # noqa: E402


def small():
    import lightgbm
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    x, y = data(400, 7)
    cal = x[:60]
    n = len(FEATURES)
    lgb = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=12, min_child_samples=5,
                                  random_state=0, verbose=-1).fit(x, y)
    case("accepted", "lightgbm_leaf_wise",
         onnxmltools.convert_lightgbm(lgb, initial_types=[("input", FloatTensorType([None, n]))],
                                      zipmap=False, target_opset=15), cal)


def wide_data(rows, n, seed):
    """`n` credit-like features: even columns whole numbers (counts, months), odd ones amounts."""
    rng = np.random.default_rng(seed)
    features = []
    cols = []
    for i in range(n):
        if i % 2 == 0:
            features.append((f"count_{i}", 0, 100, True))
            cols.append(np.round(rng.uniform(0, 100, rows)))
        else:
            features.append((f"amount_{i}", 0.0, 500.0, False))
            cols.append(np.round(rng.uniform(0, 500, rows), 2))
    x = np.stack(cols, axis=1)
    w = rng.normal(size=n) / np.array([100.0 if i % 2 == 0 else 500.0 for i in range(n)])
    logit = (x - x.mean(axis=0)) @ w * 3 + np.sin(x[:, 0] / 10) + (x[:, 1] > 250)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y, features


def write(out, name, model, x, features):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    with open(os.path.join(folder, "schema.toml"), "w") as f:
        f.write(schema_text(features))
    write_csv(os.path.join(folder, "calibration.csv"), x, features)
    print("wrote", folder)


def large(out):
    import lightgbm
    import onnxmltools
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier

    def lgb_case(name, n, trees, leaves):
        x, y, features = wide_data(20000, n, 15)
        m = lightgbm.LGBMClassifier(n_estimators=trees, num_leaves=leaves, random_state=0,
                                    verbose=-1).fit(x, y)
        onnx_model = onnxmltools.convert_lightgbm(
            m, initial_types=[("input", FloatTensorType([None, n]))], zipmap=False,
            target_opset=15)
        write(out, name, onnx_model, x[:200], features)

    lgb_case("lightgbm_500x31_f20", 20, 500, 31)
    lgb_case("lightgbm_100x31_f20", 20, 100, 31)
    lgb_case("lightgbm_500x31_f60", 60, 500, 31)
    lgb_case("lightgbm_2000x15_f20", 20, 2000, 15)
    x, y, features = wide_data(20000, 20, 15)
    xgb = xgboost.XGBClassifier(n_estimators=400, max_depth=6, random_state=0).fit(x, y)
    write(out, "xgboost_400xd6_f20",
          onnxmltools.convert_xgboost(xgb, initial_types=[("input", FloatTensorType([None, 20]))],
                                      target_opset=15), x[:200], features)
    rf = RandomForestClassifier(n_estimators=300, max_depth=8, random_state=0,
                                n_jobs=1).fit(x[:5000], y[:5000])
    write(out, "random_forest_300xd8_f20",
          to_onnx(rf, x[:1].astype(np.float32), target_opset={"": 17, "ai.onnx.ml": 3},
                  options={"zipmap": False}), x[:200], features)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--large"]:
        large(sys.argv[2])
    else:
        small()
