// How vigil's events map onto OCSF 1.1 event classes: one row per event
// kind (class, activity, and which objects describe its target). The
// renderer is format_alert_ocsf (alert_format.h); docs/alerts.md explains
// each choice and what is approximate.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "compiler/schema.h"

namespace vigil::runtime {

inline constexpr std::string_view kOcsfSchemaVersion = "1.1.0";

enum class OcsfClass : uint8_t {
  FileSystemActivity,       // 1001
  KernelExtensionActivity,  // 1002
  KernelActivity,           // 1003
  ProcessActivity,          // 1007
  NetworkActivity,          // 4001
};

struct OcsfClassInfo {
  OcsfClass ocsf_class;
  uint32_t class_uid;
  std::string_view class_name;
  uint32_t category_uid;
  std::string_view category_name;
};

// What the event acted on, and so which OCSF objects carry it.
enum class OcsfTarget : uint8_t {
  LaunchedProcess,     // process = the new image; actor = its parent (exec)
  SelfProcess,         // process = actor = the acting process (exit, setuid, setgid)
  ForkedChild,         // process = the child (fork.child_pid); actor = the forking process
  TracedProcess,       // process = ptrace.target_pid; actor = the tracer
  FileAtPath,          // file = file.path
  FileAtNewPath,       // file = file.newpath: the name created (link, symlink)
  RenamedFile,         // file = file.path, file_result = file.newpath
  MemfdFile,           // file = "memfd:<memfd.name>"
  MountPoint,          // file = mount.target
  OutboundConnection,  // src_endpoint = local (saddr), dst_endpoint = remote (daddr)
  InboundConnection,   // src_endpoint = the peer (daddr), dst_endpoint = local (saddr)
  LocalEndpoint,       // dst_endpoint = local: the side that will receive (bind, listen)
  KernelModule,        // driver.file = module.path / module.name
  SystemCall,          // kernel = the system call (bpf)
};

struct OcsfMapping {
  EventKind kind;
  OcsfClass ocsf_class;
  uint32_t activity_id;
  std::string_view activity_name;  // the OCSF caption; for 99 (Other), what happened
  OcsfTarget target;
  uint32_t file_type_id;  // file targets: OCSF file type_id (0 Unknown, 2 Folder, ...)
};

// Every event kind, in EventKind order.
std::span<const OcsfMapping> ocsf_mappings();
const OcsfMapping& ocsf_mapping(EventKind kind);
const OcsfClassInfo& ocsf_class_info(OcsfClass ocsf_class);

}  // namespace vigil::runtime
