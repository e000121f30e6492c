/// The Makefile of a C scaffold: `lib<name>.so` from `<identifier>.c`, compiled against the
/// `zoo_plugin.h` that `zoo plugin header` finds, else `pkg-config --cflags zoo-plugin`.
struct CMakefileTemplate {
    let name: ScaffoldName
    let sourceFile: String

    var library: String { "lib\(name.name).so" }

    var text: String {
        """
        # Builds \(library), the \(name.name) plug-in for Zoo, against Zoo's plug-in header zoo_plugin.h.
        #   make                     \(library)
        #   make ZOO=/path/to/zoo    against the header of that zoo (default: the zoo on the PATH)
        #   make clean
        # The header is where `$(ZOO) plugin header` says, else where `pkg-config --cflags zoo-plugin` says
        # (or give ZOO_CFLAGS). It includes <dlpack/dlpack.h>: from the header's folder when the installation
        # carries a copy, else from the system (Debian: libdlpack-dev).
        ZOO ?= zoo
        CFLAGS ?= -O2 -Wall -Wextra

        ifeq ($(origin ZOO_CFLAGS),undefined)
          ZOO_HEADER := $(shell $(ZOO) plugin header 2>/dev/null)
          ifneq ($(ZOO_HEADER),)
            ZOO_CFLAGS := -I$(dir $(ZOO_HEADER))
          else ifeq ($(shell pkg-config --exists zoo-plugin 2>/dev/null && echo yes),yes)
            ZOO_CFLAGS := $(shell pkg-config --cflags zoo-plugin)
          else
            $(error zoo_plugin.h not found: neither `$(ZOO) plugin header` nor `pkg-config --cflags zoo-plugin` knows it; put zoo on the PATH or run make ZOO=/path/to/zoo)
          endif
        endif

        \(library): \(sourceFile)
        \t$(CC) $(CFLAGS) $(ZOO_CFLAGS) -std=c11 -fPIC -shared -o $@ $< -lm

        clean:
        \trm -f \(library)

        .PHONY: clean

        """
    }
}
