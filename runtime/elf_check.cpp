#include "runtime/elf_check.h"

#include <elf.h>

#include <cstring>

namespace vigil::runtime {
namespace {

#ifndef EM_BPF
constexpr uint16_t EM_BPF = 247;
#endif

bool fits(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

std::string section_name(std::span<const uint8_t> object, const Elf64_Shdr& names,
                         uint32_t name_offset) {
  if (names.sh_type == SHT_NOBITS || name_offset >= names.sh_size) return "";
  const char* start = reinterpret_cast<const char*>(object.data() + names.sh_offset + name_offset);
  size_t limit = names.sh_size - name_offset;
  return std::string(start, strnlen(start, limit));
}

}  // namespace

bool check_bpf_elf(std::span<const uint8_t> object, std::string* error) {
  if (object.empty()) {
    *error = "the object is empty";
    return false;
  }
  if (object.size() < SELFMAG || std::memcmp(object.data(), ELFMAG, SELFMAG) != 0) {
    *error = "not an ELF file";
    return false;
  }
  if (object.size() < sizeof(Elf64_Ehdr)) {
    *error = "truncated: " + std::to_string(object.size()) + " bytes, shorter than an ELF header";
    return false;
  }
  Elf64_Ehdr header;
  std::memcpy(&header, object.data(), sizeof header);
  if (header.e_ident[EI_CLASS] != ELFCLASS64) {
    *error = "not a 64-bit ELF file";
    return false;
  }
  bool little_endian = header.e_ident[EI_DATA] == ELFDATA2LSB;
  if (little_endian != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)) {
    *error = "ELF byte order differs from this machine's";
    return false;
  }
  if (header.e_machine != EM_BPF) {
    *error = "not a BPF object (ELF machine " + std::to_string(header.e_machine) + ")";
    return false;
  }
  if (header.e_type != ET_REL) {
    *error = "not a relocatable BPF object (ELF type " + std::to_string(header.e_type) + ")";
    return false;
  }
  if (header.e_shnum == 0 || header.e_shentsize != sizeof(Elf64_Shdr)) {
    *error = "no section header table";
    return false;
  }
  uint64_t table_size = uint64_t{header.e_shnum} * sizeof(Elf64_Shdr);
  if (!fits(header.e_shoff, table_size, object.size())) {
    *error = "truncated: the section header table ends past the end of the file (" +
             std::to_string(object.size()) + " bytes)";
    return false;
  }
  if (header.e_shstrndx >= header.e_shnum) {
    *error =
        "the section name table index " + std::to_string(header.e_shstrndx) + " is out of range";
    return false;
  }
  auto section = [&](size_t index) {
    Elf64_Shdr entry;
    std::memcpy(&entry, object.data() + header.e_shoff + index * sizeof(Elf64_Shdr), sizeof entry);
    return entry;
  };
  for (size_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr entry = section(i);
    if (entry.sh_type == SHT_NOBITS || entry.sh_type == SHT_NULL) continue;
    if (!fits(entry.sh_offset, entry.sh_size, object.size())) {
      Elf64_Shdr names = section(header.e_shstrndx);
      std::string name = fits(names.sh_offset, names.sh_size, object.size())
                             ? section_name(object, names, entry.sh_name)
                             : "";
      *error = "truncated: section " + std::to_string(i) + (name.empty() ? "" : " (" + name + ")") +
               " ends past the end of the file (" + std::to_string(object.size()) + " bytes)";
      return false;
    }
  }
  return true;
}

}  // namespace vigil::runtime
