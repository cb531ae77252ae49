// Cycle detection over references between named definitions (macros that
// use macros, lists that include lists). Iterative, so arbitrarily long
// reference chains cannot overflow the stack.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/source.h"

namespace vigil {

struct ReferenceGraph {
  struct Edge {
    uint32_t target = 0;
    SourceRange range;  // the reference as written
  };
  std::vector<std::vector<Edge>> edges;  // per node, in source order
};

struct CycleStep {
  uint32_t node = 0;
  const ReferenceGraph::Edge* edge = nullptr;  // from `node` to the next step's node
};

struct Cycle {
  // The whole cycle, starting at its lowest-numbered node; or, when the cycle
  // is too long to print, only the reference that closes it.
  std::vector<CycleStep> steps;
  bool abbreviated = false;
};

struct CycleAnalysis {
  // Every node once, each after the nodes it references (ignoring the edges
  // that close cycles): the order in which to process definitions.
  std::vector<uint32_t> order;
  // Each distinct cycle (one per reference that closes a cycle).
  std::vector<Cycle> cycles;
  std::vector<bool> in_cycle;
};

CycleAnalysis find_cycles(const ReferenceGraph& graph);

}  // namespace vigil
