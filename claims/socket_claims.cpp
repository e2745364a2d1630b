#include "groups.hpp"
#include "socket_checks.hpp"

namespace ipch::claims {

std::vector<Claim> socket_claims() {
  const std::string source = "Socket-Based Communication";
  return {
      {"stream-boundaries",
       "Unix stream sockets do not keep message boundaries; datagram and seqpacket sockets do.",
       false,
       source + " (\"they ... can operate in stream (TCP-like) or datagram (UDP-like) modes\")",
       {"unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "pipe"},
       false,
       [](const Context& ctx) { return judge_boundaries(measure_boundaries(ctx), ctx.replay); }},
      {"unix-dgram-loses",
       "A Unix datagram socket loses messages when its receiver falls behind, as UDP does.",
       false,
       "Common Pitfalls 3 (\"When using datagram sockets ..., understand that messages can be lost, duplicated, or "
       "arrive out-of-order\")",
       {"unix-dgram"},
       false,
       [](const Context& ctx) { return judge_dgram_loss(measure_dgram_loss(ctx), ctx.replay); }},
      {"udp-loopback-loses",
       "UDP on loopback loses messages when its receiver falls behind, and neither duplicates nor reorders them "
       "there.",
       false,
       "Common Pitfalls 3 (\"When using datagram sockets or moving to network IPC, understand that messages can be "
       "lost, duplicated, or arrive out-of-order\")",
       {"udp"},
       false,
       [](const Context& ctx) { return judge_udp_loss(measure_udp_loss(ctx), ctx.replay); }},
      {"sockets-full-duplex",
       "They provide a full-duplex, bidirectional communication channel",
       true,
       source,
       {"unix-stream", "unix-seqpacket", "tcp", "unix-dgram"},
       false,
       [](const Context& ctx) { return judge_duplex(measure_duplex(ctx), ctx.replay); }},
  };
}

}  // namespace ipch::claims
