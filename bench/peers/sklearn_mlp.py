"""scikit-learn's MLPClassifier with the same shape and optimizer (Debian's python3-sklearn). One JSON line."""
import json
import time

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier

import fashion_mnist

args = fashion_mnist.arguments()

x_train, y_train, x_test, y_test = fashion_mnist.load(args.data)
# alpha=0: no L2 penalty, as in the Keras model; epsilon as Keras' Adam.
model = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", solver="adam", alpha=0.0,
                      batch_size=args.batch_size, learning_rate_init=0.001, epsilon=1e-7,
                      shuffle=True, random_state=args.seed)
classes = np.arange(10)
epoch_seconds = []
for _ in range(args.epochs):
    start = time.perf_counter()
    model.partial_fit(x_train, y_train, classes=classes)  # one pass over the shuffled data
    epoch_seconds.append(time.perf_counter() - start)

# After training, untimed: which BLAS numpy's products ran on, and its large-product rate.
a, b = np.random.rand(2048, 2048).astype(np.float32), np.random.rand(2048, 2048).astype(np.float32)
gflops = fashion_mnist.sgemm_gflops(lambda: a @ b)
print(json.dumps({"epochSeconds": epoch_seconds, "testAccuracy": float(model.score(x_test, y_test)),
                  "version": sklearn.__version__, "blas": fashion_mnist.blas_in_use(), "sgemmGflops": gflops}))
