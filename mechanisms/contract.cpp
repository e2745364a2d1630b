#include "contract.hpp"

#include <nlohmann/json.hpp>

namespace ipch {

std::string_view to_string(Delivery d) { return d == Delivery::reliable ? "reliable" : "lossy"; }

std::string_view to_string(Ordering o) {
  switch (o) {
    case Ordering::fifo: return "fifo";
    case Ordering::per_priority: return "per-priority";
    case Ordering::per_type: return "per-type";
    case Ordering::none: return "none";
  }
  return "?";
}

std::string_view to_string(Direction d) { return d == Direction::one_way ? "one-way" : "two-way"; }

std::string_view to_string(EndOfStream e) {
  switch (e) {
    case EndOfStream::none: return "none";
    case EndOfStream::after_close: return "after-close";
    case EndOfStream::after_close_or_death: return "after-close-or-death";
  }
  return "?";
}

void to_json(nlohmann::json& j, const Contract& c) {
  j = nlohmann::json{
      {"delivery", to_string(c.delivery)},
      {"ordering", to_string(c.ordering)},
      {"boundaries", c.boundaries},
      {"atomic_write_limit", c.atomic_write_limit},
      {"direction", to_string(c.direction)},
      {"outlives_creator", c.outlives_creator},
      {"persistence", c.persistence},
      {"end_of_stream", to_string(c.end_of_stream)},
      {"many_senders", c.many_senders},
      {"many_receivers", c.many_receivers},
  };
  if (!c.sharing_note.empty()) j["sharing_note"] = c.sharing_note;
}

}  // namespace ipch
