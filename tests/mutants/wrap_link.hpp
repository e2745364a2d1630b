// A Link that delegates to a real mechanism's Link and lets a mutant replace one channel: how a
// mutant breaks one thing and keeps the rest (objects, naming, removal) real.
#pragma once

#include <functional>
#include <memory>

#include "channel.hpp"

namespace ipch::mutants {

class WrapLink final : public Link {
 public:
  // `wrap` gets the real channel the inner link opened (and the inner link, to open more ends).
  using Wrap = std::function<Result<std::unique_ptr<Channel>>(Role, std::unique_ptr<Channel>, Link&)>;
  WrapLink(std::unique_ptr<Link> inner, Wrap wrap) : inner_(std::move(inner)), wrap_(std::move(wrap)) {}

  Result<std::unique_ptr<Channel>> open(Role role, Deadline d) override {
    auto c = inner_->open(role, d);
    if (!c) return c;
    return wrap_(role, std::move(*c), *inner_);
  }
  void release() override { inner_->release(); }
  void remove() override { inner_->remove(); }
  std::string object() const override { return inner_->object(); }
  MessageLimit limit() const override { return inner_->limit(); }

 private:
  std::unique_ptr<Link> inner_;
  Wrap wrap_;
};

}  // namespace ipch::mutants
