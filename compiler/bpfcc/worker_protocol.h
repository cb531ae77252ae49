// The messages between compile_bpf_isolated and its worker process. Each is
// framed as an 8-byte magic, a little-endian u64 payload length and the
// payload; inside, integers are little-endian u32/u64 and strings and byte
// arrays a u64 length followed by the bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/bpfcc/compile_request.h"

namespace vigil::bpfcc {

// A worker is started as `<worker executable> __compile-worker`, with the
// request on its stdin and the result expected on its stdout.
inline constexpr std::string_view kCompileWorkerArgument = "__compile-worker";

// What the worker does. The fault kinds exist so tests can prove that a
// worker crash or hang becomes an error in the parent.
enum class WorkerTask : std::uint32_t { Compile = 1, FaultAbort = 2, FaultHang = 3 };

struct WorkerRequest {
  WorkerTask task = WorkerTask::Compile;
  std::uint64_t memory_limit_bytes = 0;  // 0: none
  BpfCompileRequest compile;
};

inline constexpr std::size_t kFrameHeaderBytes = 16;
inline constexpr std::uint64_t kMaxFramePayloadBytes = 256ull << 20;
inline constexpr std::string_view kRequestMagic = "VBPFREQ1";
inline constexpr std::string_view kResultMagic = "VBPFRES1";

std::string encode_worker_request(const WorkerRequest& request);
std::string encode_worker_result(const BpfCompileResult& result);

// Parses a frame header; returns the payload length, or nullopt (with `error`
// set) if the magic is wrong or the length is over kMaxFramePayloadBytes.
std::optional<std::uint64_t> decode_frame_header(std::string_view header, std::string_view magic,
                                                 std::string& error);

// Decode a whole frame (header + payload). On failure return false and set `error`.
bool decode_worker_request(std::string_view frame, WorkerRequest& request, std::string& error);
bool decode_worker_result(std::string_view frame, BpfCompileResult& result, std::string& error);

}  // namespace vigil::bpfcc
