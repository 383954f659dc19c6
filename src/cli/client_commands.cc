// The client commands of `portcullis`: ping, version, status, ban, unban, banned, reload, get,
// set, flushlogs, stop. Argument parsing and output formatting are pure (client_request.cc,
// client_format.cc); this file does the I/O: reading address files, the socket, stdout/stderr.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/client_format.h"
#include "cli/client_request.h"
#include "cli/commands.h"
#include "cli/socket_path.h"
#include "control/client.h"
#include "portcullis/protocol.h"
#include "portcullis/version.h"

namespace portcullis::cli {
namespace {

using json = nlohmann::json;

#ifndef PORTCULLIS_SYSCONFDIR
#define PORTCULLIS_SYSCONFDIR "/etc"
#endif

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void Out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void Err(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string SocketPath(const ClientOptions& options) {
  if (options.socket) {
    return *options.socket;
  }
  if (options.config_dir) {
    return SocketPathFromConfigDir(*options.config_dir);
  }
  return SocketPathFromConfigDir(PORTCULLIS_SYSCONFDIR "/portcullis");
}

// Reads a whole address file ("-" = stdin). False (and *error set) if it cannot be read.
bool ReadAddressFile(const std::string& path, std::string* text, std::string* error) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
      return false;
    }
    ss << in.rdbuf();
  }
  *text = ss.str();
  return true;
}

}  // namespace

int RunClient(int argc, char** argv) {
  std::string name = argc > 0 ? argv[0] : "";
  std::vector<std::string> args(argv + 1, argv + argc);
  Result<ClientInvocation> parsed = ParseClientCommand(name, args);
  if (!parsed.ok()) {
    Err("portcullis " + name + ": " + parsed.status().message() + "\n" + ClientUsage(name));
    return kExitUsage;
  }
  ClientInvocation& inv = *parsed;
  if (inv.options.help) {
    Out(ClientUsage(name));
    return kExitOk;
  }

  if (inv.addr_file) {
    std::string text, error;
    if (!ReadAddressFile(*inv.addr_file, &text, &error)) {
      Err("portcullis: " + error + "\n");
      return kExitError;
    }
    for (std::string& a : ParseAddressList(text)) {
      inv.request["addrs"].push_back(std::move(a));
    }
    if (inv.request["addrs"].empty()) {
      Err("portcullis: no addresses in " + (*inv.addr_file == "-" ? "stdin" : *inv.addr_file) +
          "\n");
      return kExitError;
    }
  }

  // A list over the request limit goes in parts, one transaction each (in order; a failed part
  // stops the rest, and the message says how many parts were applied).
  const std::string socket_path = SocketPath(inv.options);
  std::vector<json> parts = SplitAddressRequest(inv.request, protocol::kMaxRequestBytes);
  std::vector<json> results;
  for (json& part : parts) {
    part["v"] = protocol::kProtocolVersion;
    std::string progress;  // said with an error after some parts were applied
    if (!results.empty()) {
      progress = std::to_string(results.size()) + " of " + std::to_string(parts.size()) +
                 " parts of the address list were applied before this error";
    }
    std::string applied = progress.empty() ? "" : " (" + progress + ")";
    Result<std::string> reply = CallDaemon(socket_path, Dump(part), inv.options.timeout_ms);
    if (!reply.ok()) {
      if (name == "version" && !inv.options.json) {
        Out(std::string("portcullis ") + PORTCULLIS_VERSION + "\n");
      }
      Err("portcullis: " + reply.status().message() + applied + "\n");
      StatusCode code = reply.status().code();
      return code == StatusCode::kUnavailable || code == StatusCode::kPermissionDenied
                 ? kExitUnavailable
                 : kExitError;
    }
    json response = json::parse(*reply, nullptr, false);
    if (!response.is_object() || !response.contains("ok")) {
      Err("portcullis: unreadable answer from portcullisd on " + socket_path + applied + "\n");
      return kExitError;
    }
    if (response["ok"] != true) {
      if (inv.options.json) {
        response.erase("v");
        Out(Dump(response) + "\n");
      }
      Err(FormatError(response));
      if (!progress.empty()) Err("portcullis: " + progress + "\n");
      return ErrorExitCode(response);
    }
    results.push_back(response.contains("result") ? response["result"] : json::object());
  }
  json result = results.size() == 1 ? results[0] : MergePartResults(results);
  if (inv.options.json) {
    if (name == "version" && result.is_object()) {
      result["client_version"] = PORTCULLIS_VERSION;
    }
    Out(Dump(result) + "\n");
  } else {
    Out(FormatResult(inv.request, result));
  }
  return ResultExitCode(inv.request, result);
}

}  // namespace portcullis::cli
