// The unit tests' helpers (TempDir, run, run_tool, read_file, write_file from
// tests/unit/test_support.hpp) for the system test binary too, which globs only
// tests/system/*.cpp: one definition, compiled into both binaries.
#include "../unit/test_support.cpp"
