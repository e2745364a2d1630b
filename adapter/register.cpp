// register_mechanism: a user's Mechanism made runnable by the real runner.
#include <deque>
#include <mutex>
#include <stdexcept>

#include <ipch/adapter.hpp>

#include "adapter_internal.hpp"
#include "catalogue.hpp"
#include "fault_point.hpp"
#include "registry.hpp"

namespace ipch::adapter {

namespace {

// The user's channel behind the errno fault's points (ipch/<name>/send and /receive), which the
// worker arms by the mechanism's name. Our own mechanisms ask them inside their send(); a user's
// code knows nothing of libfiu, so the adapter asks on its behalf, before the user's call.
class PointedChannel final : public Channel {
 public:
  PointedChannel(std::unique_ptr<Channel> inner, const fault_point::ChannelPoints& points)
      : inner_(std::move(inner)), points_(points) {}
  Result<void> send(std::span<const std::byte> msg, Deadline d, unsigned priority) override {
    if (fault_point::fires(points_.send)) return errno_error(fault_point::error_number());
    return inner_->send(msg, d, priority);
  }
  Result<Received> receive(std::vector<std::byte>& buf, Deadline d) override {
    if (fault_point::fires(points_.receive)) return errno_error(fault_point::error_number());
    return inner_->receive(buf, d);
  }
  void close() override { inner_->close(); }
  MessageLimit limit() const override { return inner_->limit(); }

 private:
  std::unique_ptr<Channel> inner_;
  const fault_point::ChannelPoints& points_;
};

class PointedLink final : public Link {
 public:
  PointedLink(std::unique_ptr<Link> inner, const fault_point::ChannelPoints& points)
      : inner_(std::move(inner)), points_(points) {}
  Result<std::unique_ptr<Channel>> open(Role role, Deadline d) override {
    auto c = inner_->open(role, d);
    if (!c) return std::unexpected(c.error());
    if (!*c) return errno_error(EINVAL);  // a null channel would crash the worker, not test it
    return std::make_unique<PointedChannel>(std::move(*c), points_);
  }
  void release() override { inner_->release(); }
  void remove() override { inner_->remove(); }
  std::string object() const override { return inner_->object(); }
  MessageLimit limit() const override { return inner_->limit(); }

 private:
  std::unique_ptr<Link> inner_;
  const fault_point::ChannelPoints& points_;
};

struct Registered {
  Mechanism mechanism;
  fault_point::ChannelPoints points;
};

// Stable addresses: the registry keeps pointers, forked workers use them.
std::deque<Registered>& registered() {
  static std::deque<Registered> r;
  return r;
}
std::mutex registered_mutex;

bool valid_name(const std::string& n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

const Mechanism* find_registered(const std::string& name) {
  std::lock_guard lock(registered_mutex);
  for (const auto& r : registered())
    if (r.mechanism.name == name) return &r.mechanism;
  return nullptr;
}

std::string register_mechanism(Mechanism m) {
  if (!valid_name(m.name)) {
    throw std::invalid_argument("register_mechanism: name '" + m.name +
                                "' is not a valid mechanism name; use one or more of a-z 0-9 . _ - (e.g. my-pipe)");
  }
  for (const Mechanism* b : registry::all()) {
    if (b->name == m.name) {
      throw std::invalid_argument("register_mechanism: '" + m.name +
                                  "' is a built-in mechanism; give yours a name of its own (e.g. my-" + m.name + ")");
    }
  }
  if (!m.create) throw std::invalid_argument("register_mechanism: " + m.name + ": create is empty; set it to a function returning your Link");
  for (const auto& s : m.settings) {
    if (s.name != "capacity" && s.name != "message_size" && s.name != "blocking") {
      throw std::invalid_argument("register_mechanism: " + m.name + ": setting '" + s.name +
                                  "' is not one the harness sets; list only capacity, message_size, blocking");
    }
  }
  if (find_registered(m.name)) return m.name;  // the first registration of a name stays
  std::lock_guard lock(registered_mutex);
  fault_point::ChannelPoints points_of(m.name);
  auto& r = registered().emplace_back(Registered{std::move(m), std::move(points_of)});
  // Whatever traits the user set: the harness can do no more with a user's code than these say.
  r.mechanism.traits = user_traits(r.mechanism.contract);
  auto create = std::move(r.mechanism.create);
  const fault_point::ChannelPoints* points = &r.points;
  r.mechanism.create = [create, points](const Settings& s) -> std::expected<std::unique_ptr<Link>, SetupError> {
    auto l = create(s);
    if (!l) return std::unexpected(l.error());
    if (!*l) return std::unexpected(SetupError{std::make_error_code(std::errc::invalid_argument), "create() returned a null Link"});
    return std::make_unique<PointedLink>(std::move(*l), *points);
  };
  registry::add(&r.mechanism);
  return r.mechanism.name;
}

bool honours(const Mechanism& m, const std::string& setting) {
  for (const auto& s : m.settings)
    if (s.name == setting) return true;
  return false;
}

Traits user_traits(const Contract& c) {
  Traits t;
  t.capacity_unit = CapacityUnit::declared;
  t.capacities = {4096, 16384};
  t.receiver_takes_over = c.outlives_creator && c.boundaries;
  t.points = {.calls = true};
  t.full_buffer_capacity = [](std::size_t) -> std::size_t { return 4096; };
  t.bench_capacity = [] { return std::optional<std::size_t>{}; };
  return t;
}

namespace {
// The faults of a mechanism with user_traits(c) and these settings, in the catalogue's order.
std::vector<std::string> faults_of(const Mechanism& m) {
  std::vector<std::string> out;
  for (const auto& e : faults::mechanism_faults()) {
    if (!faults::why_not(e, m).empty()) continue;
    if (!e.needs_setting.empty() && !honours(m, e.needs_setting)) continue;
    out.push_back(e.name);
  }
  return out;
}
}  // namespace

std::vector<std::string> faults_for(const std::string& mechanism) {
  const Mechanism* m = find_registered(mechanism);
  return m ? faults_of(*m) : std::vector<std::string>{};
}

std::vector<std::string> faults_for_any_mechanism() {
  Mechanism m;
  m.name = "any";
  m.traits = user_traits(m.contract);
  return faults_of(m);
}

}  // namespace ipch::adapter
