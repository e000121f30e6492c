# Zoo: the two commands of the README.
#   make demo   build in release and train the demo recipe (installs what it needs)
#   make test   build and run every test (installs what it needs), then test-outside
#   make test-outside  plug-ins from `zoo plugin new`, built, checked and trained outside the repository
#   make bench  build in release and run zoo-bench
#   make compare  zoo-bench against PyTorch in alternating rounds (needs PyTorch: TORCH_PYTHON)
#   make sanitize the core, reader, host and kit tests and a 1,000-step run under ASan/UBSan/LSan
#   make memcheck a training run's memory under valgrind: no growth from 100 to 1,000 steps
#   make install  build in release and install zoo, the built-in plug-ins, zoo_plugin.h and zoo-plugin.pc
#                 under PREFIX (default /usr/local), staged under DESTDIR when given; make uninstall

# pkgconf: the install test reads the installed zoo-plugin.pc with pkg-config.
DEBIAN_PACKAGES := libopenblas-dev libffi-dev libdlpack-dev zlib1g-dev dataset-fashion-mnist pkgconf
SWIFT ?= swift
# Tests run in release with testing enabled: numeric kernels in unoptimised Swift are too slow.
TEST_FLAGS := -c release -Xswiftc -enable-testing

# After a build, the built plug-ins' metadata files (NAME.zoo.json), so that listing and inspecting
# them never run plug-in code.
SEAL = seal() { .build/release/zoo plugin seal $$1/lib*.so >/dev/null; }; seal

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: demo test test-outside deps bench build compare sanitize memcheck install uninstall

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
	$(MAKE) --no-print-directory test-outside

# Plug-ins started with `zoo plugin new` and built the way their authors build them, in a temporary
# folder outside the repository (Tests/Outside/run.sh): a Swift loss package depending on this
# checkout by path, and a C module of every role; each checked with no flags and trained one epoch.
# It uses the release build that `make test` made.
test-outside:
	Tests/Outside/run.sh .build/release

# What goes where: Scripts/install.sh. The tests call that script on the test build, so they never rebuild.
install: build
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" Scripts/install.sh .build/release

uninstall:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" Scripts/install.sh --uninstall

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

# AddressSanitizer over the whole package, UndefinedBehaviorSanitizer over its C code (the kernels,
# the C example plug-in; Swift has no UBSan), LeakSanitizer at the exit of a 1,000-step training run.
SANITIZE_FLAGS := -c release --build-path .build-asan --sanitize=address -Xswiftc -enable-testing \
  -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
sanitize: deps
	$(SWIFT) build $(SANITIZE_FLAGS) --build-tests
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test $(SANITIZE_FLAGS) --skip-build --disable-swift-testing \
	  --filter 'ZooTensorTests|ZooPluginHostTests|ZooDataTests|ZooPluginKitTests'
	ASAN_OPTIONS=detect_leaks=1 .build-asan/release/zoo train Tests/Sanitizers/memcheck.yaml --plugin-path .build-asan/release \
	  --out .build-asan/sanitize-run --set training.epochs=100 --set evaluation.every=100 --log-every 0

memcheck: build
	@command -v valgrind >/dev/null || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq valgrind; }
	Tests/Sanitizers/memcheck.sh .build/release
