# doctest from Debian (doctest-dev): the target and doctest_discover_tests().
find_package(doctest REQUIRED)
if(EXISTS /usr/lib/cmake/doctest/doctest.cmake)
  include(/usr/lib/cmake/doctest/doctest.cmake)
else()
  include(doctest)
endif()
