// The only file that includes Clang/LLVM headers (built with -fno-rtti, like
// LLVM itself, because it subclasses clang::DiagnosticConsumer).
#include "compiler/bpfcc/bpf_compiler.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/OptimizationLevel.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <map>
#include <mutex>

#include "compiler/bpfcc/embedded_headers.h"

namespace vigil::bpfcc {
namespace {

// Directory of the main file in the compile's file system. Sources are given
// relative to it, so diagnostics name them exactly as the caller did.
constexpr std::string_view kSourceDirectory = "/vigil/src";
constexpr std::size_t kMaxDiagnosticsTextBytes = 256 << 10;

#if defined(__x86_64__)
constexpr const char* kTargetArchDefine = "-D__TARGET_ARCH_x86";
#elif defined(__aarch64__)
constexpr const char* kTargetArchDefine = "-D__TARGET_ARCH_arm64";
#elif defined(__s390x__)
constexpr const char* kTargetArchDefine = "-D__TARGET_ARCH_s390";
#elif defined(__riscv)
constexpr const char* kTargetArchDefine = "-D__TARGET_ARCH_riscv";
#else
#error "vigil: set the bpf_tracing.h target architecture for this host"
#endif

void initialize_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
}

bool is_identifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
  for (char c : text)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// Relative, no "..", no empty or hidden components: names stay inside the
// include root and print unambiguously.
bool is_safe_relative_path(std::string_view path) {
  if (path.empty() || path.size() > 200 || path.front() == '/' || path.back() == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part.front() == '.') return false;
    for (char c : part)
      if (!(c == '_' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9')))
        return false;
    start = end + 1;
  }
  return true;
}

std::string validate(const BpfCompileRequest& request) {
  if (request.source.size() > kMaxSourceBytes)
    return "BPF source is " + std::to_string(request.source.size()) + " bytes; the limit is " +
           std::to_string(kMaxSourceBytes);
  if (!is_safe_relative_path(request.source_name) ||
      request.source_name.find('/') != std::string::npos)
    return "invalid BPF source name '" + request.source_name + "'";
  for (const BpfHeader& header : request.headers)
    if (!is_safe_relative_path(header.name)) return "invalid BPF header name '" + header.name + "'";
  for (const auto& [name, value] : request.defines)
    if (!is_identifier(name) || value.find_first_of("\r\n") != std::string::npos)
      return "invalid BPF define '" + name + "'";
  if (request.optimization_level < 1 || request.optimization_level > 3)
    return "invalid BPF optimization level " + std::to_string(request.optimization_level);
  if (request.cpu != "v1" && request.cpu != "v2" && request.cpu != "v3" && request.cpu != "v4")
    return "invalid BPF cpu '" + request.cpu + "'";
  return {};
}

// cc1 flags mirroring `clang -target bpf -g -O2 -c` (see `clang -###`), minus
// every host include path, plus the in-memory include root.
std::vector<std::string> cc1_arguments(const BpfCompileRequest& request) {
  std::vector<std::string> args = {
      "-triple", "bpf", "-target-cpu", request.cpu, "-emit-obj", "-clear-ast-before-backend",
      "-disable-llvm-verifier", "-discard-value-names", "-main-file-name", request.source_name,
      "-mrelocation-model", "static", "-mframe-pointer=all", "-fno-rounding-math",
      // Debug info is what the BPF backend turns into .BTF/.BTF.ext (CO-RE).
      "-debug-info-kind=constructor", "-dwarf-version=5", "-debugger-tuning=gdb",
      "-fdebug-compilation-dir=" + std::string(kSourceDirectory),
      "-O" + std::to_string(request.optimization_level), "-ferror-limit", "19",
      "-fgnuc-version=4.2.1", "-vectorize-loops", "-vectorize-slp",
      // Only the in-memory headers: no /usr/include, no Clang resource headers,
      // and no `#pragma clang __debug crash` from hostile sources.
      "-nostdsysteminc", "-nobuiltininc", "-disable-pragma-debug-crash", "-I",
      std::string(kIncludeRoot), kTargetArchDefine};
  for (const auto& [name, value] : request.defines) args.push_back("-D" + name + "=" + value);
  args.insert(args.end(), {"-x", "c", request.source_name});
  return args;
}

llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> make_file_system(
    const BpfCompileRequest& request) {
  auto fs = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  std::map<std::string, std::unique_ptr<llvm::MemoryBuffer>> headers;
  for (const EmbeddedHeader& header : embedded_headers()) {
    std::string path = std::string(kIncludeRoot) + "/" + std::string(header.name);
    headers[path] = llvm::MemoryBuffer::getMemBuffer(
        llvm::StringRef(header.contents.data(), header.contents.size()), path);
  }
  for (const BpfHeader& header : request.headers) {
    std::string path = std::string(kIncludeRoot) + "/" + header.name;
    headers[path] = llvm::MemoryBuffer::getMemBufferCopy(header.contents, path);
  }
  for (auto& [path, buffer] : headers) fs->addFile(path, 0, std::move(buffer));
  std::string main_path = std::string(kSourceDirectory) + "/" + request.source_name;
  fs->addFile(main_path, 0, llvm::MemoryBuffer::getMemBufferCopy(request.source, main_path));
  fs->setCurrentWorkingDirectory(kSourceDirectory);
  return fs;
}

BpfSeverity severity_of(clang::DiagnosticsEngine::Level level) {
  switch (level) {
    case clang::DiagnosticsEngine::Error:
    case clang::DiagnosticsEngine::Fatal: return BpfSeverity::Error;
    case clang::DiagnosticsEngine::Warning: return BpfSeverity::Warning;
    default: return BpfSeverity::Note;
  }
}

// Prints diagnostics as clang does and also records them with their locations.
class RecordingDiagnosticConsumer final : public clang::DiagnosticConsumer {
 public:
  RecordingDiagnosticConsumer(llvm::raw_ostream& text, clang::DiagnosticOptions* options,
                              std::vector<BpfDiagnostic>& records)
      : printer_(text, options), records_(records) {}

  void BeginSourceFile(const clang::LangOptions& lang, const clang::Preprocessor* pp) override {
    printer_.BeginSourceFile(lang, pp);
  }
  void EndSourceFile() override { printer_.EndSourceFile(); }
  void finish() override { printer_.finish(); }

  void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                        const clang::Diagnostic& info) override {
    DiagnosticConsumer::HandleDiagnostic(level, info);  // counts errors and warnings
    if (level == clang::DiagnosticsEngine::Ignored) return;
    if (records_.size() >= kMaxDiagnostics) return;
    printer_.HandleDiagnostic(level, info);
    BpfDiagnostic record;
    record.severity = severity_of(level);
    llvm::SmallString<256> message;
    info.FormatDiagnostic(message);
    record.message = message.str().str();
    if (info.hasSourceManager() && info.getLocation().isValid()) {
      clang::PresumedLoc where = info.getSourceManager().getPresumedLoc(info.getLocation());
      if (where.isValid()) {
        record.file = where.getFilename();
        record.line = where.getLine();
        record.column = where.getColumn();
      }
    }
    records_.push_back(std::move(record));
  }

 private:
  clang::TextDiagnosticPrinter printer_;
  std::vector<BpfDiagnostic>& records_;
};

// LLVM 19's BPF CO-RE pass (BPFAbstractMemberAccess) caches the globals it
// creates for relocations in a process-wide static map keyed by access string
// and never clears it: a later module with the same access string gets a
// global of an earlier, freed module, and the compile crashes or emits wrong
// code. So once a module has used CO-RE relocations, this process is done
// compiling; compile_bpf_isolated gives every compile a fresh process.
struct ProcessCompileState {
  std::mutex mutex;  // the cache is not thread-safe either
  bool core_cache_dirty = false;
};

ProcessCompileState& process_compile_state() {
  static ProcessCompileState state;
  return state;
}

// Marks the process when the module has globals created by the CO-RE pass
// ("btf_ama", BPFCORE.h). It runs right after that pass, at the start of the
// optimisation pipeline, before any pass could delete them.
class CoreRelocationProbe : public llvm::PassInfoMixin<CoreRelocationProbe> {
 public:
  llvm::PreservedAnalyses run(llvm::Module& module, llvm::ModuleAnalysisManager&) {
    for (const llvm::GlobalVariable& global : module.globals())
      if (global.hasAttribute("btf_ama")) process_compile_state().core_cache_dirty = true;
    return llvm::PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

std::string error_summary(unsigned errors, const std::string& source_name) {
  if (errors == 0) return "the BPF compiler produced no object for " + source_name;
  return std::to_string(errors) + (errors == 1 ? " error" : " errors") + " in " + source_name;
}

void compile_into(const BpfCompileRequest& request, BpfCompileResult& result) {
  initialize_bpf_target();

  std::vector<std::string> args = cc1_arguments(request);
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());

  std::string text;
  llvm::raw_string_ostream text_stream(text);
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  {
    auto options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
    clang::TextDiagnosticPrinter printer(text_stream, options.get());
    clang::DiagnosticsEngine engine(llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(), options,
                                    &printer, /*ShouldOwnClient=*/false);
    if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, engine)) {
      result.error = "internal error: the BPF compiler rejected its flags: " + text;
      return;
    }
  }
  invocation->getFrontendOpts().DisableFree = false;  // reused process: free everything
  invocation->getCodeGenOpts().PassBuilderCallbacks.push_back([](llvm::PassBuilder& builder) {
    // Runs after the BPF target registered its CO-RE pass at the same point.
    builder.registerPipelineStartEPCallback(
        [](llvm::ModulePassManager& passes, llvm::OptimizationLevel) {
          passes.addPass(CoreRelocationProbe());
        });
  });

  // Declared before the compiler, which refers to all three until destroyed.
  RecordingDiagnosticConsumer consumer(text_stream, &invocation->getDiagnosticOpts(),
                                       result.diagnostics);
  llvm::SmallVector<char, 0> object;
  llvm::LLVMContext context;

  clang::CompilerInstance compiler;
  compiler.setInvocation(invocation);
  compiler.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
  compiler.createFileManager(make_file_system(request));
  compiler.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>());
  compiler.setOutputStream(std::make_unique<llvm::raw_svector_ostream>(object));

  clang::EmitObjAction action(&context);
  bool succeeded = compiler.ExecuteAction(action);
  unsigned errors = consumer.getNumErrors();

  text_stream.flush();
  if (text.size() > kMaxDiagnosticsTextBytes) {
    text.resize(kMaxDiagnosticsTextBytes);
    text += "\n[diagnostics truncated]\n";
  }
  result.diagnostics_text = std::move(text);
  if (!succeeded || errors > 0 || object.empty()) {
    result.error = error_summary(errors, request.source_name);
    return;
  }
  result.object.assign(object.begin(), object.end());
  result.ok = true;
}

}  // namespace

BpfCompileResult compile_bpf(const BpfCompileRequest& request) {
  auto start = std::chrono::steady_clock::now();
  BpfCompileResult result;
  result.error = validate(request);
  ProcessCompileState& state = process_compile_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (result.error.empty() && state.core_cache_dirty)
    result.error =
        "compile_bpf: this process already compiled CO-RE relocations, which LLVM 19 caches "
        "process-wide; another compile could crash or emit wrong code (use "
        "compile_bpf_isolated)";
  if (result.error.empty()) {
    try {
      compile_into(request, result);
    } catch (const std::exception& error) {  // std::bad_alloc, mostly
      result.ok = false;
      result.object.clear();
      result.error = std::string("BPF compiler failed: ") + error.what();
    }
  }
  result.compile_time = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  result.total_time = result.compile_time;
  return result;
}

}  // namespace vigil::bpfcc
