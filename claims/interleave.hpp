// Many writers, one reader, one byte stream: does each write arrive whole? The experiment behind
// "writes of at most PIPE_BUF are atomic" and "the kernel synchronises pipes and sockets for you".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "timeline.hpp"

namespace ipch::claims {

enum class StreamKind { pipe, unix_stream };

struct InterleaveResult {
  std::size_t record_size = 0;
  std::uint64_t records = 0;  // records written in all
  std::uint64_t torn = 0;     // records that arrived with another writer's bytes inside them
  std::uint64_t writers = 0;
  // Iff torn > 0: the first torn record, drawn as writers' lanes and the reader's lane, each
  // read() a mark labelled with whose bytes it held.
  std::vector<Timeline> first_torn;
  std::string describe() const;  // "4 writers x 64 records of 65537 B: 31 of 256 torn"
};

// `writers` forked processes share one write end of a `kind` stream and write `records_each`
// records of `record_size` bytes, each record one write() call filled with its writer's id and
// sequence; one reader reads everything and parses it back into records. The reader starts
// reading only once every writer is either done or asleep in the kernel, so that writes larger
// than the buffer meet each other. Deterministic in `seed`; throws std::runtime_error iff a
// system call fails; leaves no process behind.
InterleaveResult interleave(StreamKind kind, std::size_t writers, std::size_t record_size, std::size_t records_each,
                            std::uint64_t seed);

}  // namespace ipch::claims
