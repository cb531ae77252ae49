#include "compiler/bpfcc/worker_protocol.h"

namespace vigil::bpfcc {
namespace {

class Writer {
 public:
  void u32(std::uint32_t value) { integer(value, 4); }
  void u64(std::uint64_t value) { integer(value, 8); }
  void bytes(std::string_view data) {
    u64(data.size());
    out_.append(data);
  }
  std::string frame(std::string_view magic) const {
    Writer header;
    header.out_.append(magic);
    header.u64(out_.size());
    return header.out_ + out_;
  }

 private:
  void integer(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Bounds-checked reads; after the first failure every read fails.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool u32(std::uint32_t& value) {
    std::uint64_t wide = 0;
    if (!integer(wide, 4)) return false;
    value = static_cast<std::uint32_t>(wide);
    return true;
  }
  bool u64(std::uint64_t& value) { return integer(value, 8); }
  bool bytes(std::string& value, std::uint64_t limit = kMaxFramePayloadBytes) {
    std::uint64_t size = 0;
    if (!u64(size) || size > limit || size > data_.size()) return ok_ = false;
    value.assign(data_.substr(0, size));
    data_.remove_prefix(size);
    return true;
  }
  bool fail() { return ok_ = false; }
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && data_.empty(); }

 private:
  bool integer(std::uint64_t& value, int width) {
    if (!ok_ || data_.size() < static_cast<std::size_t>(width)) return ok_ = false;
    value = 0;
    for (int i = 0; i < width; ++i)
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[i])) << (8 * i);
    data_.remove_prefix(width);
    return true;
  }
  std::string_view data_;
  bool ok_ = true;
};

bool payload_of(std::string_view frame, std::string_view magic, std::string_view& payload,
                std::string& error) {
  if (frame.size() < kFrameHeaderBytes) {
    error = "truncated message";
    return false;
  }
  std::optional<std::uint64_t> size =
      decode_frame_header(frame.substr(0, kFrameHeaderBytes), magic, error);
  if (!size) return false;
  if (frame.size() - kFrameHeaderBytes != *size) {
    error = "message length mismatch";
    return false;
  }
  payload = frame.substr(kFrameHeaderBytes);
  return true;
}

}  // namespace

std::string encode_worker_request(const WorkerRequest& request) {
  Writer out;
  out.u32(static_cast<std::uint32_t>(request.task));
  out.u64(request.memory_limit_bytes);
  const BpfCompileRequest& compile = request.compile;
  out.bytes(compile.source);
  out.bytes(compile.source_name);
  out.u64(compile.headers.size());
  for (const BpfHeader& header : compile.headers) {
    out.bytes(header.name);
    out.bytes(header.contents);
  }
  out.u64(compile.defines.size());
  for (const auto& [name, value] : compile.defines) {
    out.bytes(name);
    out.bytes(value);
  }
  out.u32(static_cast<std::uint32_t>(compile.optimization_level));
  out.bytes(compile.cpu);
  return out.frame(kRequestMagic);
}

bool decode_worker_request(std::string_view frame, WorkerRequest& request, std::string& error) {
  std::string_view payload;
  if (!payload_of(frame, kRequestMagic, payload, error)) return false;
  Reader in(payload);
  std::uint32_t task = 0, level = 0;
  std::uint64_t headers = 0, defines = 0;
  BpfCompileRequest& compile = request.compile;
  in.u32(task);
  in.u64(request.memory_limit_bytes);
  in.bytes(compile.source);
  in.bytes(compile.source_name);
  // Each entry takes at least 16 bytes, which bounds the count by the payload.
  if (!in.u64(headers) || headers > payload.size() / 16) in.fail();
  compile.headers.resize(in.ok() ? headers : 0);
  for (BpfHeader& header : compile.headers) {
    in.bytes(header.name);
    in.bytes(header.contents);
  }
  if (!in.u64(defines) || defines > payload.size() / 16) in.fail();
  compile.defines.resize(in.ok() ? defines : 0);
  for (auto& [name, value] : compile.defines) {
    in.bytes(name);
    in.bytes(value);
  }
  in.u32(level);
  in.bytes(compile.cpu);
  if (!in.at_end()) {
    error = "malformed compile request";
    return false;
  }
  if (task < 1 || task > 3) {
    error = "unknown worker task " + std::to_string(task);
    return false;
  }
  request.task = static_cast<WorkerTask>(task);
  compile.optimization_level = static_cast<int>(level);
  return true;
}

std::string encode_worker_result(const BpfCompileResult& result) {
  Writer out;
  out.u32(result.ok ? 1 : 0);
  out.bytes(
      std::string_view(reinterpret_cast<const char*>(result.object.data()), result.object.size()));
  out.u64(result.diagnostics.size());
  for (const BpfDiagnostic& diagnostic : result.diagnostics) {
    out.u32(static_cast<std::uint32_t>(diagnostic.severity));
    out.bytes(diagnostic.file);
    out.u32(diagnostic.line);
    out.u32(diagnostic.column);
    out.bytes(diagnostic.message);
  }
  out.bytes(result.diagnostics_text);
  out.bytes(result.error);
  out.u64(static_cast<std::uint64_t>(result.compile_time.count()));
  return out.frame(kResultMagic);
}

bool decode_worker_result(std::string_view frame, BpfCompileResult& result, std::string& error) {
  std::string_view payload;
  if (!payload_of(frame, kResultMagic, payload, error)) return false;
  Reader in(payload);
  std::uint32_t ok = 0;
  std::uint64_t count = 0, micros = 0;
  std::string object;
  in.u32(ok);
  in.bytes(object);
  if (!in.u64(count) || count > kMaxDiagnostics) in.fail();
  result.diagnostics.resize(in.ok() ? count : 0);
  for (BpfDiagnostic& diagnostic : result.diagnostics) {
    std::uint32_t severity = 0;
    in.u32(severity);
    in.bytes(diagnostic.file);
    in.u32(diagnostic.line);
    in.u32(diagnostic.column);
    in.bytes(diagnostic.message);
    if (severity > static_cast<std::uint32_t>(BpfSeverity::Error)) in.fail();
    diagnostic.severity = static_cast<BpfSeverity>(severity);
  }
  in.bytes(result.diagnostics_text);
  in.bytes(result.error);
  in.u64(micros);
  if (!in.at_end() || ok > 1) {
    error = "malformed compile result";
    return false;
  }
  result.ok = ok == 1;
  result.object.assign(object.begin(), object.end());
  result.compile_time = std::chrono::microseconds(static_cast<std::int64_t>(micros));
  return true;
}

std::optional<std::uint64_t> decode_frame_header(std::string_view header, std::string_view magic,
                                                 std::string& error) {
  if (header.size() != kFrameHeaderBytes || header.substr(0, magic.size()) != magic) {
    error = "bad message header";
    return std::nullopt;
  }
  std::uint64_t size = 0;
  for (int i = 0; i < 8; ++i)
    size |= static_cast<std::uint64_t>(static_cast<unsigned char>(header[8 + i])) << (8 * i);
  if (size > kMaxFramePayloadBytes) {
    error = "message of " + std::to_string(size) + " bytes is over the limit";
    return std::nullopt;
  }
  return size;
}

}  // namespace vigil::bpfcc
