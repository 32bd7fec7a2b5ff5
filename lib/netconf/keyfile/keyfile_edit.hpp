#pragma once
// Writing the model into a keyfile profile (internal to the keyfile format): only the fields
// the spec declares whose values the profile does not hold, each in place (the rules of
// keyfile_format.hpp), and the field-level changes of an edit for the plan.
#include <vector>

#include "model/field_change.hpp"
#include "model/interface_config.hpp"
#include "netconf/keyfile/keyfile_file.hpp"

namespace mvt::keyfile {

// Writes the fields `want` declares whose values `have` does not hold (have null: all).
void write_fields(File& f, const InterfaceConfig& want, const InterfaceConfig* have);

// Decoded values that differ ("ipv4.address1"), in the new file's order, then removed keys.
std::vector<FieldChange> key_changes(const File& before, const File& after);

}  // namespace mvt::keyfile
