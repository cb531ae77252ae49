// One real syscall per event kind, performed by a child process, for the
// tests that check what the kernel (and the agent) report about them; and
// the policy (tests/e2e/policies/real_syscalls.vigil) with one rule per kind
// that watches for exactly these. A tag keeps concurrent tests apart: it is
// the child's comm, names its directory /tmp/<tag>, and goes into an exec
// argument and the memfd name.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {

// The tag and port the policy file is written for.
inline constexpr const char* kPolicyTag = "vigil-e2e";
inline constexpr int kPolicyPort = 39117;

inline void touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
}

// The policy for `tag` and `port` (tag: at most 15 bytes, it is a comm).
inline std::string real_syscalls_policy(const std::string& tag, int port) {
  std::ifstream in(VIGIL_SOURCE_DIR "/tests/e2e/policies/real_syscalls.vigil");
  std::stringstream text;
  text << in.rdbuf();
  std::string policy = text.str();
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t at = policy.find(from); at != std::string::npos;
         at = policy.find(from, at + to.size()))
      policy.replace(at, from.size(), to);
  };
  replace_all(kPolicyTag, tag);
  replace_all(std::to_string(kPolicyPort), std::to_string(port));
  return policy;
}

// Everything the rules watch for, under /tmp/<tag> (which must exist). Runs
// in a forked child; exits 0, or 10+ naming the step that failed.
[[noreturn]] inline void perform_real_syscalls(const std::string& tag, int port = kPolicyPort) {
  prctl(PR_SET_NAME, tag.c_str());
  std::string base = "/tmp/" + tag;
  mkdir((base + "/dir").c_str(), 0700);
  touch(base + "/open");
  touch(base + "/other");
  touch(base + "/rename-src");
  rename((base + "/rename-src").c_str(), (base + "/rename-dst").c_str());
  mkdir((base + "/sub").c_str(), 0700);
  touch(base + "/sub/unlink-me");
  unlink((base + "/sub/unlink-me").c_str());
  touch(base + "/chmod");
  chmod((base + "/chmod").c_str(), 0700);
  touch(base + "/chown");
  if (chown((base + "/chown").c_str(), 0, 0) != 0) _exit(10);
  link((base + "/open").c_str(), (base + "/link-dst").c_str());
  symlink((base + "/open").c_str(), (base + "/symlink-dst").c_str());

  int server = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(11);
  listen(server, 1);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(12);
  int accepted = accept(server, nullptr, nullptr);
  close(accepted);
  close(client);
  close(server);

  if (setuid(0) != 0 || setgid(0) != 0) _exit(13);
  syscall(SYS_finit_module, -1, "", 0);
  syscall(SYS_bpf, 4242, nullptr, 0);
  mkdir((base + "/mnt").c_str(), 0700);
  if (mount("none", (base + "/mnt").c_str(), "tmpfs", 0, nullptr) == 0)
    umount((base + "/mnt").c_str());
  close(static_cast<int>(syscall(SYS_memfd_create, tag.c_str(), 0)));

  // ptrace(TRACEME) and exit(3) in a grandchild (a traced child of ours
  // would stop at exec); exec in another.
  pid_t traced = fork();
  if (traced == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    _exit(3);
  }
  waitpid(traced, nullptr, 0);
  pid_t exec_child = fork();
  if (exec_child == 0) {
    std::string argument = tag + "-arg";
    execl("/bin/true", "true", argument.c_str(), static_cast<char*>(nullptr));
    _exit(14);
  }
  waitpid(exec_child, nullptr, 0);
  _exit(0);
}

}  // namespace vigil::testing
