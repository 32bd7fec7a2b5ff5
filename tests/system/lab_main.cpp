// doctest main of the system tests (tests/system/*.cpp; CTest label "system").
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
