#include "gate.hpp"

#include <stdexcept>

namespace ipch::test {

Gate::Gate() {
  auto p = sys::pipe(0);
  if (!p) throw std::runtime_error("gate: pipe: " + describe(p.error()));
  r_ = std::move(p->first);
  w_ = std::move(p->second);
}

void Gate::open() {
  std::byte b{1};
  (void)sys::write(w_.get(), std::span(&b, 1));
}

bool Gate::wait(std::chrono::milliseconds guard) {
  std::byte b{};
  return sys::read_exact(r_.get(), std::span(&b, 1), Deadline::after(guard)).has_value();
}

}  // namespace ipch::test
