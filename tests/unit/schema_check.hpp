#pragma once
// Validates JSON text against a schema of schemas/ (draft 2020-12, python3-jsonschema): exit
// code 0 when valid, the validator's message on err otherwise. (A header of its own rather
// than test_support.hpp, which every test includes.)
#include <string>

#include "test_support.hpp"

namespace mvt::test {

inline RunResult validate_against_schema(const std::string& json,
                                         const std::string& schema = "plan.schema.json") {
  TempDir d;
  write_file(d.path() / "doc.json", json);
  return run({"/usr/bin/python3", "-c",
              "import json,sys,jsonschema\n"
              "s=json.load(open(sys.argv[1]))\n"
              "jsonschema.Draft202012Validator.check_schema(s)\n"
              "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))\n",
              (source_dir() / "schemas" / schema).string(), (d.path() / "doc.json").string()});
}

}  // namespace mvt::test
