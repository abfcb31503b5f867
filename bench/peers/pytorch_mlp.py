"""The same model, loss, optimizer and batching in PyTorch (Debian's python3-torch). Prints one JSON line."""
import json
import os
import time

import torch
from torch import nn

import fashion_mnist

args = fashion_mnist.arguments()
# Debian's build starts with one intra-op thread; give it every core, as this project's trainer has.
torch.set_num_threads(os.cpu_count())

x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in fashion_mnist.load(args.data))
torch.manual_seed(args.seed)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
for layer in (model[0], model[2]):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
loss_fn = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(args.seed)

epoch_seconds = []
n = x_train.shape[0]
for _ in range(args.epochs):
    start = time.perf_counter()
    order = torch.randperm(n, generator=generator)
    for i in range(0, n, args.batch_size):
        index = order[i:i + args.batch_size]
        loss = loss_fn(model(x_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    epoch_seconds.append(time.perf_counter() - start)

with torch.no_grad():
    accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
# After training, untimed: which BLAS the products ran on, and its large-product rate on the same threads.
a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
gflops = fashion_mnist.sgemm_gflops(lambda: torch.mm(a, b))
built_in = next((line.split("=", 1)[1].rstrip(",") for line in torch.__config__.show().split()
                 if line.startswith("BLAS_INFO=")), None)
print(json.dumps({"epochSeconds": epoch_seconds, "testAccuracy": accuracy,
                  "version": torch.__version__, "threads": torch.get_num_threads(),
                  "blas": fashion_mnist.blas_in_use(built_in), "sgemmGflops": gflops}))
