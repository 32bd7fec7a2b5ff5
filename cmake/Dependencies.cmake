# Every third-party dependency, from Debian 12's packages (cmake/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(yaml-cpp REQUIRED)
pkg_check_modules(LIBVIRT REQUIRED IMPORTED_TARGET libvirt libvirt-qemu)
# libyaml: the spec reader's fast path (lib/spec/yaml_fast_reader.hpp); yaml-cpp does the rest.
pkg_check_modules(LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1)
find_package(LibXml2 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(Threads REQUIRED)
find_package(doctest QUIET)

# yaml-cpp 0.7's config exports a plain "yaml-cpp" target without an include interface on
# some builds; give the project one name to link.
if(NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp INTERFACE IMPORTED)
  target_link_libraries(yaml-cpp::yaml-cpp INTERFACE yaml-cpp)
  if(YAML_CPP_INCLUDE_DIR)
    target_include_directories(yaml-cpp::yaml-cpp INTERFACE ${YAML_CPP_INCLUDE_DIR})
  endif()
endif()
