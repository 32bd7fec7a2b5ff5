#pragma once
// Typed exceptions for environment failures (never for bad input: see diagnostics.hpp).
#include <stdexcept>
#include <string>

namespace mvt {

// Base of every exception the library throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A libvirt call failed. code/domain are virErrorNumber/virErrorDomain values.
class LibvirtError : public Error {
 public:
  LibvirtError(std::string message, int code, int domain = 0)
      : Error(std::move(message)), code_(code), domain_(domain) {}
  int code() const { return code_; }
  int domain() const { return domain_; }

 private:
  int code_;
  int domain_;
};

// An OS call failed; err is the errno value.
class SystemError : public Error {
 public:
  SystemError(std::string message, int err) : Error(std::move(message)), errno_(err) {}
  int err() const { return errno_; }

 private:
  int errno_;
};

// A file source refused an operation (path escaping its root, symlink, read-only source...).
class AccessError : public Error {
 public:
  using Error::Error;
};

// The guest agent refused or failed a command.
class AgentError : public Error {
 public:
  using Error::Error;
};

}  // namespace mvt
