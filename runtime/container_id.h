// The container a process runs in, from its cgroup path: container
// runtimes name the cgroup they create after the container.
//
//   docker        /docker/<id>                    (cgroupfs driver)
//                 /system.slice/docker-<id>.scope (systemd driver)
//   containerd    .../cri-containerd-<id>.scope, /kubepods/<qos>/pod<uid>/<id>,
//                 /<namespace>/<id> (nerdctl, ctr)
//   cri-o         .../crio-<id>.scope (not crio-conmon-<id>.scope: conmon,
//                 the monitor, runs on the host)
//   podman        .../libpod-<id>.scope, /libpod_parent/libpod-<id>
//                 (not libpod-conmon-<id>.scope)
//   nspawn        /machine.slice/machine-<name>.scope,
//                 /machine.slice/systemd-nspawn@<name>.service
//
// <id> is 64 lowercase hex digits, returned whole. For nested containers
// (docker in docker, a container inside an nspawn machine) the innermost
// one wins: it is the one the process is in. Sub-cgroups a container makes
// inside its own (`.../docker-<id>.scope/init.scope`) are still that
// container's.
#pragma once

#include <string>
#include <string_view>

namespace vigil::runtime {

// The container id (or nspawn machine name, systemd-unescaped); "" on the
// host or for a path no runtime made.
std::string container_id_from_cgroup_path(std::string_view path);

// The container id from the text of /proc/<pid>/cgroup: the unified
// hierarchy's line ("0::<path>") first, then the v1 hierarchies' (on v1 and
// hybrid hosts runtimes may place containers in v1 hierarchies only).
std::string container_id_from_proc_cgroup(std::string_view proc_cgroup_text);

}  // namespace vigil::runtime
