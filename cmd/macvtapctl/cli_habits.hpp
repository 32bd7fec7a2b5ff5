#pragma once
// Habits from other tools that CLI11 would misread (issue 16 point 6), refused with a hint
// before anything runs (exit 1, nothing changed):
//  - a single-dash word of two letters or more (Terraform's `-out=x.plan`, `-auto-approve`,
//    `-var-file`): CLI11 reads `-out=x.plan` as `-o` with the value `ut=x.plan`. Allowed: a
//    cluster of known one-letter flags (`-vy`), a one-letter option with an attached value
//    that is not a bare word (`-f./spec.yaml`), anything after `--`;
//  - a plan file (`plan -o`) named like an output format (`-o json`): almost always meant
//    `--format json`; a path (`-o ./json`) is taken as given.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mvt::cli {

// The message (without "macvtapctl: error: ") for the first single-dash long option in
// `args` (argv without the program name), given the options `app` and its subcommands
// define; empty when there is none.
std::string single_dash_long_option(CLI::App& app, const std::vector<std::string>& args);

// The output formats a value is compared with (case-insensitive): json, text, markdown, md,
// and which --format each means.
std::string format_meant_by(const std::string& value);

// Validator for `-o,--out PLANFILE`: refuses a bare format name with a hint.
CLI::Validator plan_file_not_a_format();

}  // namespace mvt::cli
