#include "mutants.hpp"

#include "mutants_internal.hpp"
#include "nonrobust_shm.hpp"
#include "registry.hpp"

namespace ipch::mutants {

void register_mutants() {
  static bool done = false;
  if (done) return;
  done = true;
  for (auto* m : stream_mutants()) registry::add(m);
  for (auto* m : other_mutants()) registry::add(m);
  register_nonrobust_shm();
}

}  // namespace ipch::mutants
