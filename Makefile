# Zoo: the two commands of the README.
#   make demo   build in release and train the demo recipe (installs what it needs)
#   make test   build and run every test (installs what it needs)
#   make bench  build in release and run zoo-bench
#   make compare  zoo-bench against PyTorch in alternating rounds (needs PyTorch: TORCH_PYTHON)

DEBIAN_PACKAGES := libopenblas-dev libffi-dev libdlpack-dev zlib1g-dev dataset-fashion-mnist
SWIFT ?= swift
# Tests run in release with testing enabled: numeric kernels in unoptimised Swift are too slow.
TEST_FLAGS := -c release -Xswiftc -enable-testing

# After a build, the built plug-ins' metadata files (NAME.zoo.json), so that listing, inspecting and
# validating never run plug-in code.
SEAL = seal() { .build/release/zoo plugin seal $$1/lib*.so >/dev/null; }; seal

.PHONY: demo test deps bench build compare

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release
	$(SEAL) .build/release

test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SEAL) .build/release
	$(SWIFT) test $(TEST_FLAGS) --skip-build --disable-swift-testing

# The demo: Fashion-MNIST-LT (Debian's dataset-fashion-mnist) with a ConvNet and BatchFormer V1;
# the run folder is runs/fashion-mnist-lt-batchformer/<name>-<timestamp>.
demo: deps
	$(SWIFT) build -c release
	$(SEAL) .build/release
	.build/release/zoo train Examples/recipes/fashion-mnist-lt-batchformer.yaml --plugin-path .build/release

bench: deps
	$(SWIFT) build -c release
	.build/release/zoo-bench

# Zoo against PyTorch on the same workloads, alternating, each run in its own process. PyTorch is
# never a dependency of the build or the tests: TORCH_PYTHON is an interpreter that has it, e.g.
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy
TORCH_PYTHON ?= /tmp/torchenv/bin/python
ROUNDS ?= 5
compare: deps
	$(SWIFT) build -c release
	python3 Benchmarks/compare.py --zoo-bench .build/release/zoo-bench --python $(TORCH_PYTHON) --rounds $(ROUNDS)
