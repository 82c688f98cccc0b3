#!/usr/bin/python3
# Writes test/fixtures/mia/svc.json: softmax outputs for three splits and the MIA-efficacy scikit-learn's
# SVC(C=3, gamma='auto', kernel='rbf') gives on them, exactly as the SalUn reference's SVC_fit_predict does.
# Run once with Debian's python3 (python3-sklearn, python3-numpy); the JSON is committed.
import json
import numpy as np
from sklearn.svm import SVC

rng = np.random.RandomState(0)
C = 4

def split(n, sharpness):
    logits = rng.randn(n, C) * sharpness
    labels = rng.randint(0, C, n)
    logits[np.arange(n), labels] += sharpness  # members: confident on their label
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return np.round(p, 5).astype(np.float32), labels

retain = split(400, 3.0)
test = split(250, 1.0)
forget = split(150, 2.0)

def views(p, y):
    conf = p[np.arange(len(y)), y][:, None]
    corr = (p.argmax(1) == y).astype(np.float64)[:, None]
    ent = -(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0)).sum(1)[:, None]
    return {'confidence': conf, 'correctness': corr, 'entropy': ent, 'prob': p}

def efficacy(view):
    n = len(test[1])
    shadow_in = views(*retain)[view][:n]
    shadow_out = views(*test)[view]
    X = np.concatenate([shadow_in, shadow_out]).reshape(len(shadow_in) + len(shadow_out), -1).astype(np.float64)
    Y = np.concatenate([np.ones(len(shadow_in)), np.zeros(len(shadow_out))])
    clf = SVC(C=3, gamma='auto', kernel='rbf').fit(X, Y)
    target = views(*forget)[view].reshape(len(forget[1]), -1).astype(np.float64)
    return float(100 * (1 - clf.predict(target).mean()))

out = {
    'numClasses': C,
    'splits': {name: {'probs': [round(float(v), 5) for v in s[0].ravel()], 'labels': s[1].tolist()}
               for name, s in [('retain', retain), ('test', test), ('forget', forget)]},
    'expected': {v: efficacy(v) for v in ['confidence', 'correctness', 'entropy', 'prob']},
}
json.dump(out, open('test/fixtures/mia/svc.json', 'w'))
print(out['expected'])
