#include "compiler/cycles.h"

#include <algorithm>
#include <set>

namespace vigil {
namespace {

enum class Visit : uint8_t { New, Active, Done };

// Reporting every cycle in full could take quadratic time on a hostile graph
// (a long chain whose every node points back at its start), and a very long
// cycle is unreadable anyway: such cycles are reported by their closing edge.
constexpr size_t kMaxPrintedCycleLength = 64;
constexpr size_t kMaxReportedCycleSteps = 10'000;

struct Frame {
  uint32_t node;
  size_t next_edge;
};

}  // namespace

CycleAnalysis find_cycles(const ReferenceGraph& graph) {
  const size_t node_count = graph.edges.size();
  CycleAnalysis result;
  result.order.reserve(node_count);
  result.in_cycle.assign(node_count, false);
  std::vector<Visit> visit(node_count, Visit::New);
  std::vector<size_t> stack_position(node_count, 0);
  std::vector<Frame> stack;
  std::set<std::vector<uint32_t>> seen_cycles;
  size_t reported_steps = 0;

  for (uint32_t root = 0; root < node_count; ++root) {
    if (visit[root] != Visit::New) continue;
    visit[root] = Visit::Active;
    stack_position[root] = 0;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const auto& edges = graph.edges[frame.node];
      if (frame.next_edge == edges.size()) {
        visit[frame.node] = Visit::Done;
        result.order.push_back(frame.node);
        stack.pop_back();
        continue;
      }
      const ReferenceGraph::Edge& edge = edges[frame.next_edge++];
      if (edge.target >= node_count) continue;
      if (visit[edge.target] == Visit::New) {
        visit[edge.target] = Visit::Active;
        stack_position[edge.target] = stack.size();
        stack.push_back({edge.target, 0});
        continue;
      }
      if (visit[edge.target] != Visit::Active) continue;
      // A back edge: the stack from the target up to here is a cycle.
      const size_t length = stack.size() - stack_position[edge.target];
      if (length > kMaxPrintedCycleLength || reported_steps + length > kMaxReportedCycleSteps) {
        result.in_cycle[edge.target] = true;
        result.in_cycle[frame.node] = true;
        result.cycles.push_back({{CycleStep{frame.node, &edge}}, true});
        continue;
      }
      std::vector<CycleStep> cycle;
      for (size_t i = stack_position[edge.target]; i < stack.size(); ++i) {
        const Frame& step = stack[i];
        cycle.push_back({step.node, &graph.edges[step.node][step.next_edge - 1]});
      }
      auto lowest =
          std::min_element(cycle.begin(), cycle.end(),
                           [](const CycleStep& a, const CycleStep& b) { return a.node < b.node; });
      std::rotate(cycle.begin(), lowest, cycle.end());
      std::vector<uint32_t> nodes;
      for (const CycleStep& step : cycle) nodes.push_back(step.node);
      if (!seen_cycles.insert(nodes).second) continue;
      for (uint32_t node : nodes) result.in_cycle[node] = true;
      reported_steps += length;
      result.cycles.push_back({std::move(cycle), false});
    }
  }
  return result;
}

}  // namespace vigil
