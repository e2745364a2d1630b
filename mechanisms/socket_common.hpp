// What the five socket mechanisms share. A socket's domain and type decide everything else:
//
//   AF_UNIX binds <private folder>/sock (removed by the creating process); AF_INET binds
//   127.0.0.1 on a port the kernel picks.
//   SOCK_STREAM, SOCK_SEQPACKET: the Link holds a listener. A sender connects its own socket; a
//   receiver holds a copy of the listener, accepts connections as they come and takes one
//   message at a time from whichever is ready. It reports end_of_stream once it has accepted at
//   least one connection, every accepted one has closed and none is pending.
//   SOCK_DGRAM: the Link holds the bound receiving socket, which every receiver shares. A sender
//   connects its own socket to it, so the kernel reports a gone receiver (ECONNREFUSED).
//
// One message is one frame on a stream (framing.hpp), one datagram or one seqpacket record
// otherwise. Sends never raise SIGPIPE (MSG_NOSIGNAL): a gone peer is EPIPE.
//
// Fault points (faults/points.hpp): ipch/<name>/send and /receive on every channel, and
// ipch/<name>/drop on the senders of SOCK_DGRAM mechanisms.
#pragma once

#include <expected>
#include <memory>
#include <vector>

#include "channel.hpp"

namespace ipch::socket_common {

struct Kind {
  const char* name;  // the mechanism's name, used in errors and object()
  int domain;        // AF_UNIX or AF_INET (loopback)
  int type;          // SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM
};

// Settings: capacity (SO_SNDBUF of senders; on AF_INET also SO_RCVBUF of the receiving socket)
// and blocking. A capacity the kernel clamps is a SetupError naming the limit file and the fix.
std::expected<std::unique_ptr<Link>, SetupError> create(const Kind& k, const Settings& s);
std::vector<SettingInfo> settings(const Kind& k);
Traits traits(const Kind& k);

// The contract of a connection-oriented socket (unix-stream, unix-seqpacket, tcp): reliable,
// fifo, two-way, one connection per sender. `boundaries`: the kernel keeps records (seqpacket).
Contract connected_contract(bool boundaries, std::string persistence);

}  // namespace ipch::socket_common
